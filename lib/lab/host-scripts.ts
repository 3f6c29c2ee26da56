/**
 * The programs that make a set of namespaces into a host. Kept as strings in a module (not files beside it)
 * so they travel with the compiled library.
 */

/**
 * Runs as PID 1 of fresh PID, mount, UTS, IPC and network namespaces, still seeing the machine's root.
 * Arguments: upper work merged hostname address/prefix repo-dir.
 * It builds the host's root (overlay over the machine's /, its own /proc /sys /run /tmp /dev), moves into it,
 * waits for `lab up` to hand it eth0, indexes the lab repository, then becomes the host's /sbin/init.
 */
export const BOOT_SCRIPT = String.raw`set -eu
upper=$1 work=$2 merged=$3 hostname=$4 cidr=$5 repo=$6
say() { echo "typebook-lab $hostname: $*"; }

mount -t overlay overlay -o "lowerdir=/,upperdir=$upper,workdir=$work" "$merged"
cd "$merged"
mount -t proc -o nosuid,nodev,noexec proc proc
# Kernel settings are the machine's, shared by all: read-only here. net.* belongs to the host's own network
# namespace (ip_nonlocal_bind for a VIP, forwarding...), so it stays writable.
mount --bind proc/sys proc/sys
mount -o remount,bind,ro proc/sys
mount --bind proc/sys/net proc/sys/net
mount -o remount,bind,rw proc/sys/net
mount -t sysfs -o nosuid,nodev,noexec sysfs sys
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs run
mkdir -m 1777 run/lock
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs tmp
# A small /dev of its own: the machine's disks and consoles stay out of reach of a playbook's mistakes.
mount -t tmpfs -o mode=755,nosuid tmpfs dev
mknod -m 666 dev/null c 1 3
mknod -m 666 dev/zero c 1 5
mknod -m 666 dev/full c 1 7
mknod -m 666 dev/random c 1 8
mknod -m 666 dev/urandom c 1 9
mknod -m 666 dev/tty c 5 0
mkdir dev/pts dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts dev/pts
ln -s pts/ptmx dev/ptmx
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs dev/shm
ln -s /proc/self/fd dev/fd
ln -s /proc/self/fd/0 dev/stdin
ln -s /proc/self/fd/1 dev/stdout
ln -s /proc/self/fd/2 dev/stderr
mount -o bind,ro "$repo" var/lib/typebook-lab/apt
hostname "$hostname"
# pivot_root(".", ".") stacks the old root on the new one; detaching it leaves only the host's root.
pivot_root . .
umount -l .
cd /

tries=0
until [ -e /sys/class/net/eth0 ]; do
  tries=$((tries + 1))
  if [ "$tries" -gt 800 ]; then say "eth0 never arrived"; exit 1; fi
  sleep 0.025
done
ip link set lo up
ip address add "$cidr" dev eth0
ip link set eth0 up

apt-get update -qq
exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /sbin/init
`;

/**
 * The host's /sbin/init (PID 1). Not systemd: ansible's service manager detection then finds sysvinit,
 * which is what `service` and /etc/init.d give on these hosts. It starts sshd, then reaps the orphans that
 * daemons leave behind when they detach.
 */
export const INIT_SCRIPT = String.raw`#!/bin/sh
# /sbin/init of a typebook lab host: starts sshd, then reaps orphaned processes until the lab is taken down.
mkdir -p /run/sshd
/usr/sbin/sshd
echo "typebook-lab $(hostname): up"
while :; do
  sleep 3600 &
  wait $!
done
`;

/** invoke-rc.d starts services only in a known runlevel; these hosts are always in Debian's default one. */
export const RUNLEVEL_SCRIPT = String.raw`#!/bin/sh
# typebook lab host: no init records a runlevel here; report Debian's default multi-user runlevel.
echo "N 2"
`;

export const SSHD_CONFIG = `# typebook lab host: root logs in with the lab's key only, against the host key the lab pinned.
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
`;

/**
 * Overlay markers node cannot make: whiteouts (character device 0:0, hides a path of the machine) and
 * opaque directories (xattr, hides a directory's machine contents). Arguments: `whiteout:PATH` | `opaque:PATH`.
 */
export const MARK_SCRIPT = String.raw`import os, stat, sys
for arg in sys.argv[1:]:
    kind, path = arg.split(':', 1)
    if kind == 'whiteout':
        if not os.path.lexists(path):
            os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(0, 0))
    elif kind == 'opaque':
        os.setxattr(path, 'trusted.overlay.opaque', b'y')
    else:
        sys.exit('unknown marker ' + kind)
`;

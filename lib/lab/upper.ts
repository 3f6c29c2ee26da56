/**
 * A host's upper layer before first boot: the few files that make the machine's root into this host
 * (name, host key, sshd settings, apt sources, init) and the markers that hide the machine's own
 * (/root, /home, password hashes, TLS keys, apt sources and lists, host keys, policy-rc.d, the labs' state).
 * Everything the host writes later lands here too, so `ls <state>/hosts/node1/upper` shows what a playbook changed.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { hostSourcesList } from './apt.js';
import { HOST_REPO_DIR, type HostLayout, type LabLayout } from './layout.js';
import { INIT_SCRIPT, RUNLEVEL_SCRIPT, SSHD_CONFIG } from './host-scripts.js';

/**
 * Paths of the machine a host never sees whole: its own mounts cover /proc, /sys, /dev, /run and /tmp, and /root
 * and /home are empty in every host (the machine's users' files and keys are none of its business).
 */
const COVERED_BY_HOST_MOUNTS = ['/root', '/home', '/proc', '/sys', '/dev', '/run', '/tmp'];
/** The machine's password and group-password files: a host gets them without any hash (see sanitizedShadow). */
const SHADOW_FILES = ['/etc/shadow', '/etc/gshadow'];
/** Their backups, and the machine's TLS private keys: whited out. */
const SECRET_FILES = ['/etc/shadow-', '/etc/gshadow-', '/etc/security/opasswd'];
const SECRET_DIRS = ['/etc/ssl/private'];

export interface Marker {
  kind: 'whiteout' | 'opaque';
  path: string;
}

/** Creates each missing directory of `rel` in the upper layer with the mode and owner the machine gives it. */
function mkdirLike(upper: string, rel: string): void {
  let machinePath = '/';
  for (const part of rel.split('/').filter((p) => p !== '')) {
    machinePath = join(machinePath, part);
    const target = join(upper, machinePath);
    if (existsSync(target)) continue;
    let mode = 0o755;
    let uid = 0;
    let gid = 0;
    try {
      const st = lstatSync(machinePath);
      if (st.isDirectory()) {
        uid = st.uid;
        gid = st.gid;
        mode = st.mode & 0o7777;
      }
    } catch {
      // not on the machine: a plain root-owned directory
    }
    mkdirSync(target);
    chownSync(target, uid, gid);
    chmodSync(target, mode); // exactly the machine's mode, whatever the umask
  }
}

function put(upper: string, rel: string, content: string, mode: number): void {
  mkdirLike(upper, dirname(rel));
  writeFileSync(join(upper, rel), content, { mode });
}

/** Replaces a file of the machine in the host, keeping the machine's mode and owner. */
function putLike(upper: string, rel: string, content: string): void {
  const st = lstatSync(rel);
  put(upper, rel, content, 0o600);
  const target = join(upper, rel);
  chownSync(target, st.uid, st.gid);
  chmodSync(target, st.mode & 0o7777);
}

/**
 * shadow(5)/gshadow(5) with every password field emptied of its hash: `!` (locked) stays locked, anything else
 * becomes `*` (no password). Accounts, ages and group members stay, so useradd, passwd -S and PAM work as on the
 * machine, and sshd still lets root in by key.
 */
export function sanitizedShadow(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const fields = line.split(':');
      if (fields.length < 2) return line;
      fields[1] = fields[1]?.startsWith('!') ? '!' : '*';
      return fields.join(':');
    })
    .join('\n');
}

/** The paths to hide, without any that lies inside another one or inside what the host's mounts cover. */
export function hiddenPaths(paths: readonly string[]): string[] {
  const inside = (path: string, dir: string): boolean => path === dir || !relative(dir, path).startsWith('..');
  // join() drops a trailing slash; '/' itself is never hidden (the host is an overlay of it)
  const absolute = [...new Set(paths.filter(isAbsolute).map((p) => join(p, '.')))].filter((p) => p !== '/').sort();
  return absolute.filter((p) => !COVERED_BY_HOST_MOUNTS.some((m) => inside(p, m)) && !absolute.some((q) => q !== p && inside(p, q)));
}

export function hostsFile(hosts: readonly { name: string; address: string }[]): string {
  return [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    '# typebook lab hosts',
    ...hosts.map((h) => `${h.address}\t${h.name}`),
    '',
  ].join('\n');
}

/**
 * Writes the host's files into its (empty) upper layer; returns the overlay markers still to make
 * (node has no mknod or setxattr; MARK_SCRIPT makes them for all hosts at once).
 */
export function prepareUpper(
  lab: LabLayout,
  host: HostLayout,
  allHosts: readonly { name: string; address: string }[],
  authorizedKey: string,
  hidden: readonly string[],
): Marker[] {
  const upper = host.upper;
  mkdirSync(upper, { recursive: true, mode: 0o755 });
  mkdirSync(host.work, { recursive: true, mode: 0o700 });
  mkdirSync(host.merged, { recursive: true, mode: 0o755 });
  const markers: Marker[] = [];
  const whiteout = (path: string): void => {
    mkdirLike(upper, dirname(path));
    markers.push({ kind: 'whiteout', path: join(upper, path) });
  };
  const opaque = (path: string): void => {
    mkdirLike(upper, path);
    markers.push({ kind: 'opaque', path: join(upper, path) });
  };

  put(upper, '/etc/hostname', `${host.name}\n`, 0o644);
  put(upper, '/etc/hosts', hostsFile(allHosts), 0o644);
  put(upper, '/etc/machine-id', `${randomBytes(16).toString('hex')}\n`, 0o444);

  // sshd: its own key only (the machine's keys hidden), root by the lab's key only.
  for (const file of safeReaddir('/etc/ssh')) {
    // the ed25519 pair is replaced by the host's own (a file in the upper layer hides the machine's)
    if (file.startsWith('ssh_host_') && !file.startsWith('ssh_host_ed25519_key')) whiteout(`/etc/ssh/${file}`);
  }
  put(upper, '/etc/ssh/sshd_config.d/typebook-lab.conf', SSHD_CONFIG, 0o644);
  opaque('/root');
  mkdirSync(join(upper, 'root/.ssh'), { mode: 0o700 });
  put(upper, '/root/.ssh/authorized_keys', authorizedKey.trim() + '\n', 0o600);

  // apt: the lab's repository and nothing else, and none of the machine's package lists.
  opaque('/etc/apt/sources.list.d');
  put(upper, '/etc/apt/sources.list', hostSourcesList(), 0o644);
  opaque('/var/lib/apt/lists');
  mkdirLike(upper, HOST_REPO_DIR);

  // Services start on install as on a real Debian host: no "deny everything" policy, a runlevel, a sysv init.
  if (existsOnMachine('/usr/sbin/policy-rc.d')) whiteout('/usr/sbin/policy-rc.d');
  put(upper, '/usr/sbin/runlevel', RUNLEVEL_SCRIPT, 0o755);
  put(upper, '/usr/sbin/init', INIT_SCRIPT, 0o755);

  // What the host has no need of: the machine's users, password hashes and private keys, the labs' state.
  opaque('/home');
  for (const file of SHADOW_FILES) {
    const text = safeRead(file);
    if (text !== undefined) putLike(upper, file, sanitizedShadow(text));
  }
  for (const dir of SECRET_DIRS) if (existsOnMachine(dir)) opaque(dir);
  for (const path of hiddenPaths([...SECRET_FILES, ...hidden])) if (existsOnMachine(path)) whiteout(path);
  return markers;
}

function existsOnMachine(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function safeRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

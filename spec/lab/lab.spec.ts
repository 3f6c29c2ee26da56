/**
 * A real lab of 3 hosts (root, namespaces, overlay, sshd): checked from the outside with the system ssh client,
 * then taken down and checked to have left nothing behind.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_STATE_ROOT, labDown, labStatus, labUp } from '../../lib/lab/index.js';
import { labLayout } from '../../lib/lab/layout.js';
import { readState } from '../../lib/lab/state.js';
import { waitForExit } from '../../lib/lab/system.js';
import { sanitizedShadow } from '../../lib/lab/upper.js';
import { labSsh, testLabName, useLab } from './fixture.js';

const NAME = testLabName('spec-lab');
const NAMESPACES = ['net', 'mnt', 'pid', 'uts', 'ipc'] as const;

interface Recorded {
  pids: number[];
  namespaces: Set<string>;
}

function namespaceIds(pid: number): string[] {
  return NAMESPACES.map((ns) => readlinkSync(`/proc/${pid}/ns/${ns}`));
}

/** Every namespace any process on the machine is in now. */
function liveNamespaces(): Set<string> {
  const seen = new Set<string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    for (const ns of NAMESPACES) {
      try {
        seen.add(readlinkSync(`/proc/${entry}/ns/${ns}`));
      } catch {
        // exited while we looked, or a zombie
      }
    }
  }
  return seen;
}

describe('lab: real hosts on this machine', function () {
  this.timeout(120_000);
  const fixture = useLab({ hosts: 3, name: 'spec-lab' }); // useLab adds the suffix: NAME
  const recorded: Recorded = { pids: [], namespaces: new Set() };
  const marker = `typebook-spec-${process.pid}`;

  before(() => {
    const state = readState(labLayout(NAME).statePath);
    for (const h of state?.hosts ?? []) {
      if (h.initPid === undefined) continue;
      recorded.pids.push(h.initPid, h.unsharePid);
      for (const id of namespaceIds(h.initPid)) recorded.namespaces.add(id);
    }
  });

  it('brings up hosts named nodeN that answer ssh with the lab key and pinned host keys', async () => {
    const { lab } = fixture;
    expect(lab.hosts.map((h) => h.name)).to.deep.equal(['node1', 'node2', 'node3']);
    for (const host of lab.hosts) {
      expect(host.address).to.match(/^10\.\d+\.0\.\d+$/);
      const out = await labSsh(lab, host.name, 'hostname');
      expect(out, out.stderr).to.include({ code: 0 });
      expect(out.stdout.trim()).to.equal(host.name);
    }
  });

  it('refuses a host whose key is not the pinned one', async () => {
    const { lab } = fixture;
    // node2's address with node1's pinned key: ssh must refuse to connect.
    const first = lab.hosts[0]!;
    const second = lab.hosts[1]!;
    const out = spawnSync(
      'ssh',
      [
        '-i', lab.privateKeyPath,
        '-o', `UserKnownHostsFile=${lab.knownHostsPath}`,
        '-o', 'StrictHostKeyChecking=yes',
        '-o', 'BatchMode=yes',
        '-o', 'ConnectTimeout=5',
        '-o', `HostKeyAlias=${first.address}`,
        `root@${second.address}`,
        'true',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(out.status).to.equal(255);
    expect(out.stderr).to.match(/HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  });

  it('keeps what a host writes to /etc in that host', async () => {
    const { lab } = fixture;
    const path = `/etc/${marker}`;
    expect((await labSsh(lab, 'node1', `echo node1 > ${path}`)).code).to.equal(0);
    expect((await labSsh(lab, 'node1', `cat ${path}`)).stdout).to.equal('node1\n');
    expect((await labSsh(lab, 'node2', `test -e ${path}`)).code).to.equal(1);
    expect(existsSync(path)).to.equal(false);
    // ...and it is in node1's upper layer, where a user can see what a playbook changed
    expect(readFileSync(join(lab.dir, 'hosts/node1/upper', path), 'utf8')).to.equal('node1\n');
  });

  it('gives each host its own PID namespace, init, /root and hostname', async () => {
    const { lab } = fixture;
    const out = await labSsh(lab, 'node2', 'cat /proc/1/comm; ls -A /root; ls -A /root/.ssh; readlink /sbin/init || echo not-a-link');
    expect(out.stdout.split('\n')).to.deep.equal(['init', '.ssh', 'authorized_keys', 'not-a-link', '']);
  });

  it("hides /home, password hashes and every lab's state and keys from the hosts", async () => {
    const { lab } = fixture;
    // Something for the hosts not to see, should this machine's /home be empty.
    const homeMarker = readdirSync('/home').length === 0 ? `/home/.${marker}` : undefined;
    if (homeMarker) writeFileSync(homeMarker, 'secret\n', { mode: 0o600 });
    try {
      const home = await labSsh(lab, 'node1', 'ls -A /home');
      expect(home, home.stderr).to.include({ code: 0, stdout: '' });
    } finally {
      if (homeMarker) rmSync(homeMarker, { force: true });
    }
    expect(readdirSync(DEFAULT_STATE_ROOT)).to.include(NAME); // this lab's key is there, on the machine
    const state = await labSsh(lab, 'node2', `ls -A ${DEFAULT_STATE_ROOT}; cat ${lab.privateKeyPath}`);
    expect(state.code).to.not.equal(0);
    expect(state.stdout).to.equal('');
    expect(state.stderr).to.match(/No such file or directory/);
    for (const file of ['/etc/shadow', '/etc/gshadow']) {
      const seen = await labSsh(lab, 'node1', `cat ${file}`);
      expect(seen.code, seen.stderr).to.equal(0);
      expect(seen.stdout).to.equal(sanitizedShadow(readFileSync(file, 'utf8')));
      for (const line of seen.stdout.trim().split('\n')) expect(line.split(':')[1]).to.match(/^[*!]$/);
      // the host's own copy, not the machine's
      expect(existsSync(join(lab.dir, 'hosts/node1/upper', file))).to.equal(true);
    }
    const backups = ['/etc/shadow-', '/etc/gshadow-'].filter((f) => existsSync(f));
    if (backups.length > 0) expect((await labSsh(lab, 'node1', `ls ${backups.join(' ')}`)).stdout).to.equal('');
  });

  it('connects the hosts over 10.x, with no default route and nothing routed off the lab', async () => {
    const { lab } = fixture;
    const node2 = lab.hosts[1]!;
    // node2's sshd banner, read from node1 over the bridge
    const banner = await labSsh(lab, 'node1', `timeout 5 bash -c 'exec 3<>/dev/tcp/${node2.address}/22; head -c 4 <&3'`);
    expect(banner.stdout).to.equal('SSH-');
    for (const host of lab.hosts) {
      const routes = await labSsh(lab, host.name, 'ip route show default; ip route get 192.0.2.1 2>&1');
      expect(routes.stdout.trim()).to.match(/^RTNETLINK answers: Network is unreachable$/);
    }
  });

  it('installs packages from the lab repository only, and starts services as Debian does', async () => {
    const { lab } = fixture;
    const sources = await labSsh(lab, 'node1', 'apt-get indextargets --format "$(printf %s \'$(URI)\')" | sort -u');
    expect(sources.stdout.trim().split('\n')).to.deep.equal(['file:/var/lib/typebook-lab/apt/./Packages']);
    const socat = await labSsh(lab, 'node1', 'apt-get install -y -q socat && socat -V | head -2');
    expect(socat.code, socat.stderr).to.equal(0);
    const haproxy = await labSsh(lab, 'node1', 'apt-get install -y -q haproxy >/dev/null && service haproxy status');
    expect(haproxy.code, haproxy.stderr).to.equal(0);
    expect(haproxy.stdout).to.match(/haproxy is running/);
    // installed on node1 only
    expect((await labSsh(lab, 'node2', 'test -e /usr/sbin/haproxy')).code).to.equal(existsSync('/usr/sbin/haproxy') ? 0 : 1);
  });

  it('writes an inventory that ansible reads, with pinned host keys', async function () {
    const { lab } = fixture;
    const inventory = parse(readFileSync(lab.inventoryPath, 'utf8')) as {
      all: { children: { lab: { hosts: Record<string, { ansible_host: string }>; vars: Record<string, string> } } };
    };
    const group = inventory.all.children.lab;
    expect(Object.keys(group.hosts)).to.deep.equal(['node1', 'node2', 'node3']);
    expect(group.hosts['node3']?.ansible_host).to.equal(lab.hosts[2]?.address);
    expect(group.vars).to.include({
      ansible_user: 'root',
      ansible_ssh_private_key_file: lab.privateKeyPath,
      ansible_ssh_common_args: `-o UserKnownHostsFile=${lab.knownHostsPath} -o StrictHostKeyChecking=yes`,
    });
    const knownHosts = readFileSync(lab.knownHostsPath, 'utf8').trim().split('\n');
    expect(knownHosts.map((l) => l.split(' ')[0])).to.deep.equal(lab.hosts.map((h) => h.address));

    const ansible = spawnSync('ansible', ['-i', lab.inventoryPath, 'lab', '-m', 'ping', '-o'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, ANSIBLE_HOST_KEY_CHECKING: 'True', ANSIBLE_SSH_ARGS: '-o ServerAliveInterval=2' },
    });
    // skipped: without ansible on this machine there is no oracle to compare the lab inventory with
    if (ansible.error && (ansible.error as NodeJS.ErrnoException).code === 'ENOENT') this.skip();
    expect(ansible.status, ansible.stdout + ansible.stderr).to.equal(0);
    expect(ansible.stdout.match(/SUCCESS/g)).to.have.length(3);
  });

  it('reports status and is idempotent when already up', async () => {
    const status = await labStatus({ name: NAME });
    expect(status.up).to.equal(true);
    expect(status.hosts.map((h) => [h.name, h.running, h.sshd])).to.deep.equal([
      ['node1', true, true],
      ['node2', true, true],
      ['node3', true, true],
    ]);
    // the command without a name lists every lab that is up, this one among them
    const listed = spawnSync(process.execPath, [new URL('../../dist/cli/typebook.js', import.meta.url).pathname, 'lab', 'status'], { encoding: 'utf8' });
    expect(listed.stdout).to.match(new RegExp(`^${NAME} +up +3 hosts on 10\\.\\d+\\.0\\.0/24$`, 'm'));
    const again = await labUp({ hosts: 3, name: NAME });
    expect(again.alreadyUp).to.equal(true);
    expect((await labStatus({ name: NAME })).hosts.map((h) => h.pid)).to.deep.equal(status.hosts.map((h) => h.pid));
    try {
      await labUp({ hosts: 2, name: NAME });
      expect.fail('a lab already up with another size was accepted');
    } catch (err) {
      expect((err as Error).message).to.match(/already up with 3 hosts/);
    }
  });

  it('leaves no namespace, mount, process, link or state behind after lab down', async () => {
    const { lab } = fixture;
    const down = await labDown({ name: NAME });
    expect(down).to.include({ removed: true, hosts: 3 });
    expect(recorded.pids).to.have.length(6);
    for (const pid of recorded.pids) {
      const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
      // gone, or at most a zombie waiting for this process (its parent) to collect it
      expect(stat === '' || / Z /.test(stat.slice(stat.lastIndexOf(')')))).to.equal(true);
    }
    const live = liveNamespaces();
    expect([...recorded.namespaces].filter((ns) => live.has(ns))).to.deep.equal([]);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.to.include(lab.dir);
    const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout;
    expect(links).not.to.include(`${lab.bridge}`);
    expect(links).not.to.include(`tb${labLayout(NAME).octet}-node`);
    expect(existsSync(lab.dir)).to.equal(false);
    expect((await labStatus({ name: NAME })).up).to.equal(false);
    expect(await labDown({ name: NAME })).to.include({ removed: false });
  });
});

describe('lab: recovery', function () {
  this.timeout(120_000);
  const name = testLabName('spec-lab-crash');
  after(async function () {
    this.timeout(60_000);
    await labDown({ name });
  });

  it('lab up cleans up after a crashed lab and starts afresh', async () => {
    const first = await labUp({ hosts: 1, name });
    const before = readState(labLayout(name).statePath)!.hosts[0]!;
    process.kill(before.initPid!, 'SIGKILL'); // the host dies; its links and state stay behind
    const stopped = await waitForExit([{ pid: before.initPid!, startTime: before.initStartTime! }], 10_000);
    expect(stopped).to.equal(true);
    expect((await labStatus({ name })).up).to.equal(false);
    const second = await labUp({ hosts: 1, name });
    expect(second.alreadyUp).to.equal(false);
    const after = readState(labLayout(name).statePath)!.hosts[0]!;
    expect(after.initPid).to.not.equal(before.initPid);
    expect(second.hosts).to.deep.equal(first.hosts);
    expect((await labStatus({ name })).hosts[0]).to.include({ running: true, sshd: true });
  });
});

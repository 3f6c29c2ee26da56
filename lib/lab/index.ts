/**
 * The lab: N real Linux hosts on this machine, for tests, demos and trying a playbook safely.
 *
 * A host is a process tree in its own network, mount, PID, UTS and IPC namespaces: an overlay of the machine's
 * root (its writes stay in its upper layer), its own /proc /sys /run /tmp /dev and /root, a veth into the lab's
 * bridge with a 10.X.0.0/24 address and no default route, and its own sshd with its own host key.
 * Nothing is mounted in the root namespace; `lab down` kills each host by PID, deletes the links and the state.
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { buildRepo, DEFAULT_PACKAGES, fetchIntoCache, packagesToFetch } from './apt.js';
import { addStandinToRepo } from './standin-debs.js';
import { BOOT_SCRIPT, MARK_SCRIPT } from './host-scripts.js';
import { renderInventory, renderKnownHosts, sshCommonArgs } from './inventory.js';
import {
  DEFAULT_CACHE_DIR,
  DEFAULT_LAB_NAME,
  DEFAULT_STATE_ROOT,
  hostLayout,
  labLayout,
  validateHostCount,
  validateLabName,
  type HostLayout,
  type LabLayout,
} from './layout.js';
import { checkNetworkFree, createBridge, deleteLinks, labLinks, listLinks, plugHosts } from './net.js';
import { readState, writeState, type HostState, type LabState } from './state.js';
import { mapLimit } from '../connection/semaphore.js';
import { childPids, isSameProcess, killAndWait, waitForExit, LabError, processInfo, run, sleep, sshAnswers } from './system.js';
import { prepareUpper } from './upper.js';

export { DEFAULT_CACHE_DIR, DEFAULT_LAB_NAME, DEFAULT_STATE_ROOT, MAX_HOSTS } from './layout.js';
export { DEFAULT_PACKAGES } from './apt.js';
export { LabError } from './system.js';
export { sshClientArgs, sshCommonArgs } from './inventory.js';

export interface LabOptions {
  /** default 'default'; tests use their own */
  name?: string;
  /** state dir; default /var/lib/typebook/lab/<name> */
  dir?: string;
}

export interface LabUpOptions extends LabOptions {
  hosts: number;
  /** where downloaded .debs are kept between labs; default /var/cache/typebook/lab/debs */
  cacheDir?: string;
  /** packages the hosts can install from the lab repository; default haproxy, keepalived, socat */
  packages?: readonly string[];
  /** called with a line of progress (for a CLI); the library itself prints nothing */
  onProgress?: (message: string) => void;
}

export interface LabHost {
  name: string;
  address: string;
}

export interface Lab {
  name: string;
  dir: string;
  subnet: string;
  /** this machine's address on the lab's bridge */
  controller: string;
  /** an address of the subnet that no host gets */
  vip: string;
  bridge: string;
  inventoryPath: string;
  knownHostsPath: string;
  privateKeyPath: string;
  /** `-o UserKnownHostsFile=... -o StrictHostKeyChecking=yes`, as in the inventory */
  sshCommonArgs: string;
  hosts: LabHost[];
  /** true when `labUp` found the lab already up and left it as it was */
  alreadyUp: boolean;
}

export interface HostStatus extends LabHost {
  /** the host's PID 1, seen from this machine */
  pid?: number;
  running: boolean;
  /** its sshd answered with an SSH banner */
  sshd: boolean;
}

export interface LabStatus {
  name: string;
  dir: string;
  /** a state exists and every host is running */
  up: boolean;
  subnet?: string;
  inventoryPath?: string;
  hosts: HostStatus[];
}

export interface LabDownResult {
  name: string;
  dir: string;
  /** false when there was nothing of the lab to remove */
  removed: boolean;
  hosts: number;
}

/** Debian package of each program the lab runs, for a clear message when one is missing. */
const REQUIRED_TOOLS: Record<string, string> = {
  unshare: 'util-linux',
  pivot_root: 'util-linux',
  mount: 'mount',
  ip: 'iproute2',
  'ssh-keygen': 'openssh-client',
  sshd: 'openssh-server',
  'dpkg-scanpackages': 'dpkg-dev',
  'apt-get': 'apt',
  python3: 'python3',
};
const TOOL_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
/**
 * Files a lab puts in its state dir: `lab down` removes these and nothing else it finds there, state.json last, so
 * a dir is marked as the lab's for as long as anything of the lab is in it.
 */
const STATE_ENTRIES = ['state.json.tmp', 'hosts', 'apt', 'inventory.yml', 'known_hosts', 'id_ed25519', 'id_ed25519.pub', 'state.json'];

export async function labUp(options: LabUpOptions): Promise<Lab> {
  const name = options.name ?? DEFAULT_LAB_NAME;
  const invalid = [validateLabName(name), validateHostCount(options.hosts)].filter((p) => p !== undefined);
  if (invalid.length > 0) throw new LabError(invalid.join('\n'));
  const lab = labLayout(name, options.dir);
  checkPrerequisites();
  return withLock(lab, async () => {
    const existing = ownedState(lab);
    if (existing && existing.hosts.length > 0 && existing.hosts.every(hostRunning)) {
      if (existing.hosts.length !== options.hosts) {
        throw new LabError(
          `lab '${lab.name}' is already up with ${existing.hosts.length} hosts; take it down first (typebook lab down${nameFlag(lab)}) to bring up ${options.hosts}`,
        );
      }
      return labInfo(lab, existing.hosts, true);
    }
    await checkNetworkFree(lab); // before anything is removed or created
    const leftovers = await teardown(lab, existing);
    if (leftovers) options.onProgress?.(`removed what a previous run of lab '${lab.name}' left behind`);
    try {
      return await bringUp(lab, options);
    } catch (err) {
      await teardown(lab, readState(lab.statePath)).catch(() => undefined);
      throw err;
    }
  });
}

export async function labDown(options: LabOptions = {}): Promise<LabDownResult> {
  const lab = layoutOf(options);
  return withLock(lab, async () => {
    const state = ownedState(lab);
    const removed = await teardown(lab, state);
    return { name: lab.name, dir: lab.dir, removed, hosts: state?.hosts.length ?? 0 };
  });
}

export async function labStatus(options: LabOptions = {}): Promise<LabStatus> {
  const lab = layoutOf(options);
  const state = readState(lab.statePath);
  if (!state) return { name: lab.name, dir: lab.dir, up: false, hosts: [] };
  const hosts = await Promise.all(
    state.hosts.map(async (h): Promise<HostStatus> => {
      const running = hostRunning(h);
      return {
        name: h.name,
        address: h.address,
        ...(h.initPid !== undefined ? { pid: h.initPid } : {}),
        running,
        sshd: running && (await sshAnswers(h.address, 22, 2000)),
      };
    }),
  );
  return {
    name: lab.name,
    dir: lab.dir,
    up: hosts.length > 0 && hosts.every((h) => h.running),
    subnet: state.subnet,
    inventoryPath: lab.inventoryPath,
    hosts,
  };
}

/** The status of every lab with state under the default state root (the labs `lab up` made without --dir). */
export async function labStatuses(): Promise<LabStatus[]> {
  let names: string[];
  try {
    names = readdirSync(DEFAULT_STATE_ROOT, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.includes('.')).map((d) => d.name).sort();
  } catch {
    return [];
  }
  const statuses = await Promise.all(names.map((name) => labStatus({ name })));
  return statuses.filter((s) => s.hosts.length > 0);
}

/** The lab as `labUp` returned it, for a lab that is up (e.g. brought up by another process). */
export function labInfoFromState(options: LabOptions = {}): Lab | undefined {
  const lab = layoutOf(options);
  const state = readState(lab.statePath);
  return state && state.hosts.length > 0 ? labInfo(lab, state.hosts, true) : undefined;
}

async function bringUp(lab: LabLayout, options: LabUpOptions): Promise<Lab> {
  const progress = options.onProgress ?? (() => undefined);
  mkdirSync(lab.dir, { recursive: true, mode: 0o700 });
  const state: LabState = {
    version: 1,
    name: lab.name,
    dir: lab.dir,
    subnet: lab.subnet,
    bridge: lab.bridge,
    createdAt: new Date().toISOString(),
    hosts: [],
  };
  // First of all, so that whatever a crash leaves in the dir is known to be this lab's (see ownedState).
  writeState(lab.statePath, state);
  const hosts = Array.from({ length: options.hosts }, (_, i) => hostLayout(lab, i + 1));
  const cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;

  const repoReady = (async () => {
    const debs = await packagesToFetch(options.packages ?? DEFAULT_PACKAGES, cacheDir);
    progress(`lab repository: ${debs.length} packages (cache ${cacheDir})`);
    await buildRepo(await fetchIntoCache(debs, cacheDir), cacheDir, lab.repoDir);
    // The nova stand-in's packages, built here (a second, no network): `apt-get install nova-api=VERSION` works.
    await addStandinToRepo(lab.repoDir);
  })();
  const layersReady = (async () => {
    await sshKeygen(lab.privateKeyPath, `typebook-lab-${lab.name}`);
    const authorizedKey = readFileSync(`${lab.privateKeyPath}.pub`, 'utf8');
    // Every lab's state (keys, inventories, other hosts' layers) and the .deb cache; upper.ts adds the machine's own.
    const hidden = [DEFAULT_STATE_ROOT, lab.dir, `${lab.dir}.lock`, cacheDir];
    const markers = hosts.flatMap((h) => prepareUpper(lab, h, hosts, authorizedKey, hidden));
    await run('python3', ['-c', MARK_SCRIPT, ...markers.map((m) => `${m.kind}:${m.path}`)]);
    await mapLimit(hosts, 8, (h) => sshKeygen(join(h.upper, 'etc/ssh/ssh_host_ed25519_key'), `root@${h.name}`));
    const knownHosts = hosts.map((h) => ({
      address: h.address,
      publicKey: readFileSync(join(h.upper, 'etc/ssh/ssh_host_ed25519_key.pub'), 'utf8'),
    }));
    writeFileSync(lab.knownHostsPath, renderKnownHosts(knownHosts), { mode: 0o644 });
  })();
  // Both run to the end before a failure is reported, so no download is left running behind teardown.
  const settled = await Promise.allSettled([repoReady, layersReady]);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;

  progress(`starting ${hosts.length} hosts on ${lab.subnet}`);
  await checkNetworkFree(lab); // again: another lab may have come up while the packages were fetched
  await createBridge(lab);
  state.hosts = hosts.map((h) => startHost(lab, h));
  writeState(lab.statePath, state);
  await findInits(state.hosts);
  writeState(lab.statePath, state);
  await plugHosts(
    lab,
    hosts.map((h, i) => ({ host: h, initPid: state.hosts[i]?.initPid as number })),
  );
  await waitForSshd(hosts, state.hosts);
  writeFileSync(lab.inventoryPath, renderInventory(lab, hosts), { mode: 0o644 });
  return labInfo(lab, state.hosts, false);
}

function startHost(lab: LabLayout, host: HostLayout): HostState {
  const log = openSync(host.consoleLog, 'a', 0o600);
  try {
    const child = spawn(
      'unshare',
      [
        '--fork',
        '--kill-child',
        '--pid',
        '--mount',
        '--uts',
        '--ipc',
        '--net',
        '--propagation',
        'private',
        '--',
        '/bin/sh',
        '-c',
        BOOT_SCRIPT,
        'typebook-lab-boot',
        host.upper,
        host.work,
        host.merged,
        host.name,
        `${host.address}/${lab.prefixLength}`,
        lab.repoDir,
      ],
      // Its own session: a Ctrl-C at the terminal that ran `lab up` does not reach the hosts.
      { detached: true, stdio: ['ignore', log, log], env: { PATH: TOOL_DIRS.join(':') } },
    );
    child.on('error', () => undefined); // reported below as a host that never started
    child.unref();
    const info = child.pid === undefined ? undefined : processInfo(child.pid);
    if (child.pid === undefined || !info) throw new LabError(`could not start ${host.name} (unshare): see ${host.consoleLog}`);
    return { name: host.name, address: host.address, veth: host.veth, unsharePid: child.pid, unshareStartTime: info.startTime };
  } finally {
    closeSync(log);
  }
}

/** The host's PID 1 is unshare's only child; its PID is what the veth is moved to. */
async function findInits(hosts: HostState[]): Promise<void> {
  const deadline = Date.now() + 5000;
  for (const h of hosts) {
    for (;;) {
      const [pid] = childPids(h.unsharePid);
      const info = pid === undefined ? undefined : processInfo(pid);
      if (pid !== undefined && info) {
        h.initPid = pid;
        h.initStartTime = info.startTime;
        break;
      }
      if (!isSameProcess(h.unsharePid, h.unshareStartTime)) throw new LabError(`${h.name} exited while starting`);
      if (Date.now() > deadline) throw new LabError(`${h.name} did not start within 5 s`);
      await sleep(5);
    }
  }
}

async function waitForSshd(layouts: readonly HostLayout[], hosts: readonly HostState[]): Promise<void> {
  const deadline = Date.now() + 30_000 + 500 * hosts.length;
  let pending = hosts.map((h, i) => ({ state: h, layout: layouts[i] as HostLayout }));
  while (pending.length > 0) {
    const dead = pending.find((p) => !hostRunning(p.state));
    if (dead) throw new LabError(`${dead.state.name} stopped while booting:\n${consoleTail(dead.layout)}`);
    const answers = await Promise.all(pending.map((p) => sshAnswers(p.state.address, 22, 1000)));
    pending = pending.filter((_, i) => !answers[i]);
    if (pending.length === 0) return;
    if (Date.now() > deadline) {
      const first = pending[0] as (typeof pending)[number];
      throw new LabError(
        `sshd did not answer on ${pending.map((p) => p.state.name).join(', ')}; ${first.state.name} said:\n${consoleTail(first.layout)}`,
      );
    }
    await sleep(50);
  }
}

/**
 * Removes everything of the lab that exists: veths first (a network namespace goes away asynchronously, its
 * veth with it), then each host's processes by PID, then the bridge and the state. Returns whether anything was there.
 */
async function teardown(lab: LabLayout, state: LabState | undefined): Promise<boolean> {
  const links = labLinks(await listLinks(), lab);
  await deleteLinks(links.filter((l) => l !== lab.bridge));
  // Only each host's PID 1 is killed (the kernel then kills its whole PID namespace): its unshare reaps it and
  // exits by itself, so no host is left a zombie for a PID 1 that may not reap.
  const hosts = state?.hosts ?? [];
  const inits = hosts.flatMap((h) =>
    h.initPid !== undefined && h.initStartTime !== undefined && isSameProcess(h.initPid, h.initStartTime)
      ? [{ pid: h.initPid, startTime: h.initStartTime }]
      : [],
  );
  const unshares = hosts.map((h) => ({ pid: h.unsharePid, startTime: h.unshareStartTime }));
  const running = inits.length > 0 || unshares.some((p) => isSameProcess(p.pid, p.startTime));
  await killAndWait(inits, 10_000);
  await waitForExit(unshares, 2_000);
  await killAndWait(unshares, 5_000);
  await deleteLinks(links.filter((l) => l === lab.bridge));
  const files = removeStateFiles(lab);
  return links.length > 0 || running || files;
}

/**
 * The lab's state, if `lab.dir` may be used and torn down as this lab's: a dir that does not exist, an empty one,
 * or one whose state.json names this lab at this path. Anything else (a mistyped --dir, a copy of a lab's dir,
 * another lab's) is refused before anything is touched: `lab down` deletes recursively what it finds there.
 */
function ownedState(lab: LabLayout): LabState | undefined {
  let entries: string[];
  try {
    entries = readdirSync(lab.dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    const why = code === 'ENOTDIR' ? 'it is not a directory' : (err as Error).message;
    throw new LabError(`refusing ${lab.dir} as the state dir of lab '${lab.name}': ${why}`);
  }
  if (entries.length === 0) return undefined;
  // state.json.tmp: a crash between writing the first state and renaming it
  const state = readState(lab.statePath) ?? readState(`${lab.statePath}.tmp`);
  if (state && state.name === lab.name && sameDir(state.dir, lab.dir)) return state;
  const why = !state
    ? `it holds ${describeEntries(lab.dir, entries)} and no state.json of a typebook lab`
    : state.name !== lab.name
      ? `its state.json is lab '${state.name}'s (use --name ${state.name})`
      : `its state.json is of lab '${lab.name}' in ${state.dir} (a copy?)`;
  throw new LabError(
    `refusing ${lab.dir} as the state dir of lab '${lab.name}': ${why}; nothing was changed. Give --dir a new or empty directory`,
  );
}

function sameDir(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

function describeEntries(dir: string, entries: readonly string[]): string {
  const shown = entries
    .slice()
    .sort()
    .slice(0, 6)
    .map((e) => {
      try {
        return statSync(join(dir, e)).isDirectory() ? `${e}/` : e;
      } catch {
        return e;
      }
    });
  return shown.join(', ') + (entries.length > shown.length ? `, ... (${entries.length} entries)` : '');
}

function removeStateFiles(lab: LabLayout): boolean {
  if (!existsSync(lab.dir)) return false;
  for (const entry of STATE_ENTRIES) rmSync(join(lab.dir, entry), { recursive: true, force: true });
  if (readdirSync(lab.dir).length === 0) rmdirSync(lab.dir);
  return true;
}

function hostRunning(h: HostState): boolean {
  return h.initPid !== undefined && h.initStartTime !== undefined && isSameProcess(h.initPid, h.initStartTime);
}

function labInfo(lab: LabLayout, hosts: readonly { name: string; address: string }[], alreadyUp: boolean): Lab {
  return {
    name: lab.name,
    dir: lab.dir,
    subnet: lab.subnet,
    controller: lab.controller,
    vip: lab.vip,
    bridge: lab.bridge,
    inventoryPath: lab.inventoryPath,
    knownHostsPath: lab.knownHostsPath,
    privateKeyPath: lab.privateKeyPath,
    sshCommonArgs: sshCommonArgs(lab.knownHostsPath),
    hosts: hosts.map((h) => ({ name: h.name, address: h.address })),
    alreadyUp,
  };
}

async function sshKeygen(path: string, comment: string): Promise<void> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
}

function consoleTail(host: HostLayout): string {
  try {
    return readFileSync(host.consoleLog, 'utf8').trim().split('\n').slice(-20).join('\n') || '(no output)';
  } catch {
    return '(no output)';
  }
}

function checkPrerequisites(): void {
  if (process.getuid?.() !== 0) throw new LabError('the lab needs root: it creates namespaces, mounts and network links');
  const missing = Object.entries(REQUIRED_TOOLS).filter(([tool]) => !TOOL_DIRS.some((d) => existsSync(join(d, tool))));
  if (missing.length > 0) {
    const packages = [...new Set(missing.map(([, pkg]) => pkg))];
    throw new LabError(
      `the lab needs ${missing.map(([t]) => t).join(', ')}: apt-get install ${packages.join(' ')}`,
    );
  }
}

function layoutOf(options: LabOptions): LabLayout {
  const name = options.name ?? DEFAULT_LAB_NAME;
  const invalid = validateLabName(name);
  if (invalid) throw new LabError(invalid);
  return labLayout(name, options.dir);
}

function nameFlag(lab: LabLayout): string {
  return lab.name === DEFAULT_LAB_NAME ? '' : ` --name ${lab.name}`;
}

/** The lock's text; undefined when something else (a directory, a link, a FIFO) has its name. */
function readLock(path: string): string | undefined {
  try {
    return lstatSync(path).isFile() ? readFileSync(path, 'utf8') : undefined;
  } catch {
    return '';
  }
}

/** One `lab` command at a time per lab: a lock file holding the PID and start time of its owner. */
async function withLock<T>(lab: LabLayout, body: () => Promise<T>): Promise<T> {
  mkdirSync(join(lab.lockPath, '..'), { recursive: true, mode: 0o755 });
  const self = processInfo(process.pid);
  const mine = `${process.pid} ${self?.startTime ?? ''}\n`;
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(lab.lockPath, mine, { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const text = readLock(lab.lockPath);
      // empty: its owner died between creating and writing it
      const held = text === undefined ? null : /^(?:(\d+) (\d*)\n)?$/.exec(text);
      if (!held) {
        throw new LabError(`${lab.lockPath} exists and is not a typebook lab lock; refusing to touch it (give --dir another directory)`);
      }
      const [, pid, start] = held;
      if (pid && start && isSameProcess(Number(pid), start)) {
        throw new LabError(`another typebook lab command (pid ${pid}) is working on lab '${lab.name}'`);
      }
      rmSync(lab.lockPath, { force: true }); // its owner died
    }
  }
  try {
    return await body();
  } finally {
    rmSync(lab.lockPath, { force: true });
  }
}

/**
 * A lab as a mocha fixture, for any suite that needs real hosts:
 *
 *   const fixture = useLab({ hosts: 3, name: 'e2e' });   // inside a describe()
 *   it('...', async () => { const out = await labSsh(fixture.lab, 'node1', 'hostname'); });
 *
 * The lab comes up in a `before` hook and goes down in an `after` hook, which mocha runs even when a test or
 * the `before` hook itself failed. Each suite must use its own lab name (not 'default': that is the user's).
 */
import { spawn } from 'node:child_process';
import { labDown, labUp, sshClientArgs, type Lab, type LabUpOptions } from '../../lib/lab/index.js';

export interface LabFixture {
  /** the lab, once the `before` hook has run */
  readonly lab: Lab;
}

/** Time a `before` hook allows: the first run on a machine downloads the lab's packages. */
const UP_TIMEOUT_MS = 300_000;

/**
 * A suite's lab name, with TYPEBOOK_TEST_LAB_SUFFIX appended when set, so that several checkouts on one machine
 * can run the same lab suites at once without taking each other's labs; under `mocha --parallel`, each worker's
 * labs carry its number.
 */
export function testLabName(name: string): string {
  const worker = process.env.MOCHA_WORKER_ID;
  const suffix = process.env.TYPEBOOK_TEST_LAB_SUFFIX ?? (worker !== undefined ? `w${worker}` : '');
  return withSuffix(name, suffix);
}

function withSuffix(name: string, suffix: string): string {
  return suffix === '' ? name : `${name.slice(0, 31 - suffix.length)}-${suffix}`;
}

/**
 * labUp, under another name when the lab's network number (a hash of its name) is taken by a lab that is up
 * at the same time (another worker's): the suites care for their hosts, not for the lab's name.
 */
async function labUpFree(options: LabUpOptions & { name: string }): Promise<Lab> {
  for (let attempt = 0; ; attempt++) {
    const name = attempt === 0 ? options.name : withSuffix(options.name, `n${attempt}`);
    try {
      return await labUp({ ...options, name });
    } catch (err) {
      const taken = /already has it up|overlaps the route|File exists/.test((err as Error).message);
      if (!taken || attempt >= 5) throw err;
    }
  }
}

export function useLab(requested: LabUpOptions & { name: string }): LabFixture {
  const options = { ...requested, name: testLabName(requested.name) };
  let current: Lab | undefined;
  before(async function () {
    this.timeout(UP_TIMEOUT_MS);
    current = await labUpFree(options);
  });
  after(async function () {
    this.timeout(60_000);
    await labDown({ name: current?.name ?? options.name, ...(options.dir !== undefined ? { dir: options.dir } : {}) });
  });
  return {
    get lab(): Lab {
      if (!current) throw new Error(`lab '${options.name}' is not up (its before hook failed or has not run)`);
      return current;
    },
  };
}

const shared = new Map<string, { options: LabUpOptions & { name: string }; up: Promise<Lab> }>();

/**
 * A lab shared by every suite that asks for it by the same name (suites whose hosts' state cannot meet: each
 * works under its own paths). It comes up in the first such suite's `before` hook and goes down after all
 * suites (spec/root-hooks.ts).
 */
export function useSharedLab(requested: LabUpOptions & { name: string }): LabFixture {
  const options = { ...requested, name: testLabName(requested.name) };
  let current: Lab | undefined;
  before(async function () {
    this.timeout(UP_TIMEOUT_MS);
    let entry = shared.get(options.name);
    if (!entry) shared.set(options.name, (entry = { options, up: labUpFree(options) }));
    current = await entry.up;
  });
  return {
    get lab(): Lab {
      if (!current) throw new Error(`shared lab '${options.name}' is not up (its before hook failed or has not run)`);
      return current;
    },
  };
}

/** Takes down every shared lab that came up. */
export async function downSharedLabs(): Promise<void> {
  for (const [name, entry] of shared) {
    const lab = await entry.up.catch(() => undefined);
    await labDown({ name: lab?.name ?? name, ...(entry.options.dir !== undefined ? { dir: entry.options.dir } : {}) });
  }
  shared.clear();
}

export interface SshResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Arguments for the system ssh client to reach a lab host as root, verifying its pinned host key. */
export function labSshArgs(lab: Lab, host: string): string[] {
  const target = lab.hosts.find((h) => h.name === host);
  if (!target) throw new Error(`lab '${lab.name}' has no host '${host}'`);
  return [
    ...sshClientArgs(lab),
    '-o',
    'BatchMode=yes',
    // A host killed under an open connection would otherwise leave ssh waiting forever.
    '-o',
    'ServerAliveInterval=2',
    '-o',
    'ConnectTimeout=5',
    '-o',
    'LogLevel=ERROR',
    `root@${target.address}`,
  ];
}

/**
 * Runs a shell command line on a lab host with the system ssh client, `stdin` on its standard input; never
 * throws on a non-zero exit. (Files of this machine under /tmp are not visible in the hosts, which have their
 * own /tmp: send a file's content on stdin rather than its path.)
 */
export function labSsh(lab: Lab, host: string, command: string, timeoutMs = 120_000, stdin?: string): Promise<SshResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', [...labSshArgs(lab, host), command], { stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (stdin !== undefined) child.stdin!.end(stdin);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 255, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

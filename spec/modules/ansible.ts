/**
 * Ansible itself as an oracle for the module suites: `ansible HOST -m MODULE` on a lab host, and a batch of
 * file cases run by ansible-playbook and by typebook on identical files, compared byte for byte.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CountingConnection } from '../../lib/connection/index.js';
import type { Lab } from '../../lib/lab/index.js';
import type { ModuleDefinition } from '../../lib/modules/module.js';
import { labSsh } from '../lab/fixture.js';
import { labConnection, runCounted, type RunOptions } from './harness.js';
import { runModule } from './harness.js';

export interface AnsibleOutcome {
  status: string;
  result: Record<string, unknown>;
}

/** `ansible HOST -m MODULE -a JSON` on a lab host, parsed from the minimal callback's `host | STATUS => {json}`. */
export function runAnsible(lab: Lab, host: string, module: string, args: Record<string, unknown>, flags: string[] = []): Promise<AnsibleOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn('ansible', [host, '-i', lab.inventoryPath, '-m', module, '-a', JSON.stringify(args), ...flags], {
      env: ansibleEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      const m = /^(\S+) \| ([A-Z!]+) => (\{[\s\S]*\})\s*$/m.exec(out);
      if (!m) return reject(new Error(`unexpected ansible output:\n${out}\n${err}`));
      resolve({ status: m[2]!, result: JSON.parse(m[3]!) as Record<string, unknown> });
    });
  });
}

/** an empty ansible.cfg: ANSIBLE_CONFIG=/dev/null is refused by ansible-core 2.14 (no .cfg extension) */
const EMPTY_CONFIG = join(tmpdir(), 'typebook-empty-ansible.cfg');
writeFileSync(EMPTY_CONFIG, '');

export function ansibleEnv(): NodeJS.ProcessEnv {
  return { ...process.env, ANSIBLE_CONFIG: EMPTY_CONFIG, ANSIBLE_HOST_KEY_CHECKING: 'True', ANSIBLE_NOCOLOR: '1', ANSIBLE_PYTHON_INTERPRETER: 'auto_silent' };
}

export interface OracleCase {
  name: string;
  /** the file before; undefined: no file */
  initial?: string;
  /** the module's arguments, without the path */
  args: Record<string, unknown>;
}

export interface OracleOutcome {
  name: string;
  /** base64 of the file after Ansible's run, '-' when there is none */
  ansible: string;
  typebook: string;
}

/**
 * The same cases run by Ansible (one ansible-playbook run, each case on its own file) and by typebook (each on
 * its own copy of the same file), then both files read back: byte-for-byte comparison.
 */
export async function oracle(lab: Lab, connection: CountingConnection, ansibleModule: string, module: ModuleDefinition, cases: OracleCase[]): Promise<OracleOutcome[]> {
  const dir = `/tmp/oracle-${module.name}`;
  const setup = [`rm -rf ${dir}`, `mkdir -p ${dir}/a ${dir}/t`];
  cases.forEach((c, i) => {
    if (c.initial !== undefined) {
      const b64 = Buffer.from(c.initial, 'utf8').toString('base64');
      setup.push(`printf %s '${b64}' | base64 -d > ${dir}/a/${i}`, `cp ${dir}/a/${i} ${dir}/t/${i}`);
    }
  });
  const prepared = await labSsh(lab, 'node1', setup.join(' && '));
  if (prepared.code !== 0) throw new Error(`oracle setup failed: ${prepared.stderr}`);
  const local = mkdtempSync(join(tmpdir(), 'typebook-oracle-'));
  try {
    const tasks = cases.map((c, i) => ({ name: c.name, [ansibleModule]: { ...c.args, path: `${dir}/a/${i}` }, ignore_errors: true }));
    const playbook = join(local, 'oracle.yml');
    writeFileSync(playbook, JSON.stringify([{ hosts: 'node1', gather_facts: false, tasks }]));
    await new Promise<void>((resolve, reject) => {
      const child = spawn('ansible-playbook', ['-i', lab.inventoryPath, playbook], { env: ansibleEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (out += b.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 55_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        if (!/PLAY RECAP/.test(out) || /unreachable=[1-9]/.test(out) || code === null) reject(new Error(`ansible-playbook did not run:\n${out}`));
        else resolve();
      });
    });
  } finally {
    rmSync(local, { recursive: true, force: true });
  }
  for (const [i, c] of cases.entries()) await runModule(module, { ...c.args, path: `${dir}/t/${i}` }, connection);
  const read = await labSsh(lab, 'node1', cases.map((_c, i) => `for s in a t; do if [ -f ${dir}/$s/${i} ]; then base64 -w0 ${dir}/$s/${i}; else printf -; fi; echo; done`).join('; '));
  const lines = read.stdout.split('\n');
  return cases.map((c, i) => ({ name: c.name, ansible: lines[2 * i]!, typebook: lines[2 * i + 1]! }));
}

/** Decoded text of an oracle side, for a readable assertion message. */
export function oracleText(b64: string): string {
  return b64 === '-' ? '(no file)' : Buffer.from(b64, 'base64').toString('utf8');
}

/**
 * Several tasks of one module on one lab host in ONE ansible-playbook run (json callback), each task's result
 * without Ansible's bookkeeping (invocation, _ansible_*): for suites comparing many cases with Ansible's.
 */
export function runAnsibleTasks(lab: Lab, host: string, tasks: readonly Record<string, unknown>[], flags: string[] = []): Promise<Record<string, unknown>[]> {
  const local = mkdtempSync(join(tmpdir(), 'typebook-oracle-'));
  const playbook = join(local, 'tasks.yml');
  writeFileSync(playbook, JSON.stringify([{ hosts: host, gather_facts: false, tasks: tasks.map((t) => ({ ...t, ignore_errors: true })) }]));
  return new Promise<Record<string, unknown>[]>((resolve, reject) => {
    const child = spawn('ansible-playbook', ['-i', lab.inventoryPath, playbook, ...flags], { env: { ...ansibleEnv(), ANSIBLE_STDOUT_CALLBACK: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 55_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      rmSync(local, { recursive: true, force: true });
      try {
        const report = JSON.parse(out.slice(out.indexOf('{'))) as { plays: { tasks: { hosts: Record<string, Record<string, unknown>> }[] }[] };
        resolve(report.plays[0]!.tasks.map((t) => {
          const result = t.hosts[host];
          if (!result) throw new Error(`no result for ${host}`);
          return Object.fromEntries(Object.entries(result).filter(([k]) => !k.startsWith('_ansible') && k !== 'invocation' && k !== 'action'));
        }));
      } catch (error) {
        reject(new Error(`unexpected ansible-playbook output (${(error as Error).message}):\n${out}\n${err}`));
      }
    });
  });
}

/**
 * What a module's lab spec needs on one host of `fixture`'s lab, opened before its tests and closed after:
 * `sh` (a command that must succeed, its stdout), `counted` (the module run by typebook, with its round trips)
 * and `ansible` (the same task run by Ansible's module `ansibleName`, its result); `bothWays` runs a task from
 * the same host state by Ansible then by typebook and expects equal results and equal `snapshot`s afterwards.
 */
export function onLabHost(fixture: { readonly lab: Lab }, module: ModuleDefinition, ansibleName: string, host = 'node1') {
  let connection: CountingConnection | undefined;
  before(() => {
    connection = labConnection(fixture.lab, host);
  });
  after(async () => {
    await connection?.close();
  });
  const counted = (args: Record<string, unknown>, options: RunOptions = {}) => runCounted(module, args, connection!, options);
  const ansible = async (args: Record<string, unknown>, options: { check?: boolean } = {}) =>
    (await runAnsibleTasks(fixture.lab, host, [{ [ansibleName]: args, ...(options.check ? { check_mode: true } : {}) }]))[0]!;
  const bothWays =
    <S>(setUp: (setup: S) => Promise<void>, snapshot: () => Promise<string>) =>
    async (setup: S, args: Record<string, unknown>, options: { check?: boolean } = {}) => {
      await setUp(setup);
      const theirs = await ansible(args, options);
      const theirHost = await snapshot();
      await setUp(setup);
      const ours = await counted(args, options);
      const ourHost = await snapshot();
      expect(ours.result, JSON.stringify(theirs)).to.deep.equal(theirs);
      expect(ourHost).to.equal(theirHost);
      return { ...ours, host: ourHost };
    };
  return {
    sh: async (command: string): Promise<string> => {
      const out = await labSsh(fixture.lab, host, command);
      if (out.code !== 0) throw new Error(`${command}: ${out.stderr}`);
      return out.stdout;
    },
    counted,
    ansible,
    bothWays,
  };
}

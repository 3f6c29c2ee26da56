/**
 * Runs Debian's ansible-core 2.14 (the oracle) with no ansible.cfg influence, a few processes at a time,
 * each distinct command once.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function ansibleAvailable(): boolean {
  try {
    execFileSync('ansible-inventory', ['--version'], { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** In CI the oracle must run; elsewhere its tests are skipped when ansible is not installed. */
export function oracleRequired(): boolean {
  return process.env.CI !== undefined && process.env.CI !== '';
}

// an empty ansible.cfg, and a cwd with no ansible.cfg nor group_vars/ that Ansible could pick up
const home = mkdtempSync(join(tmpdir(), 'typebook-oracle-'));
writeFileSync(join(home, 'ansible.cfg'), '');
const env: NodeJS.ProcessEnv = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: home,
  LC_ALL: 'C.UTF-8',
  ANSIBLE_CONFIG: join(home, 'ansible.cfg'),
  ANSIBLE_LOCALHOST_WARNING: 'False',
  ANSIBLE_INVENTORY_UNPARSED_WARNING: 'False',
  ANSIBLE_NOCOLOR: '1',
  ANSIBLE_LOCAL_TEMP: join(home, 'tmp'),
};

/** Removes the oracle's temporary home (call once all oracle calls are done). */
export function removeOracleHome(): void {
  rmSync(home, { recursive: true, force: true });
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const limit = 3;
let running = 0;
const waiting: Array<() => void> = [];
const cache = new Map<string, Promise<Run>>();

async function slot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** Runs an ansible command (argument vector, never a shell line); the same command runs only once. */
export function oracle(command: string, args: readonly string[], input?: string): Promise<Run> {
  const key = JSON.stringify([command, args, input ?? null]);
  let pending = cache.get(key);
  if (!pending) {
    pending = slot(
      () =>
        new Promise<Run>((resolve) => {
          const child = execFile(command, [...args], { cwd: home, env, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
            const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
            resolve({ code, stdout, stderr });
          });
          if (input !== undefined) child.stdin!.end(input);
        }),
    );
    cache.set(key, pending);
  }
  return pending;
}

export const oracleScript = new URL('./ansible_oracle.py', import.meta.url).pathname;

export interface OracleSelection {
  hosts: string[];
  warnings: string[];
  error: string | null;
}

/** Host patterns evaluated by ansible-core's InventoryManager, many in one process (see ansible_oracle.py). */
export async function oracleSelect(sources: readonly string[], queries: Array<{ pattern: string; limit?: string }>): Promise<OracleSelection[]> {
  const run = await oracle('/usr/bin/python3', [oracleScript], JSON.stringify({ sources, queries: queries.map((q) => ({ pattern: q.pattern, limit: q.limit ?? null })) }));
  if (run.code !== 0) throw new Error(`oracle script failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as OracleSelection[];
}

/** `-i` options for each source. */
export function inventoryArgs(sources: readonly string[]): string[] {
  return sources.flatMap((s) => ['-i', s]);
}

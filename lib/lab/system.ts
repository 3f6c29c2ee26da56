/**
 * The few system primitives the lab is built from: run a program (argument vector, never a shell string),
 * recognise a process by PID and start time (so a recycled PID is never killed), probe an sshd.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

export class LabError extends Error {
  override name = 'LabError';
}

export interface RunOutput {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** return a non-zero exit instead of throwing */
  allowFailure?: boolean;
}

/** A clean, predictable environment for the system tools we run (messages in English, no pager). */
export const TOOL_ENV: NodeJS.ProcessEnv = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LC_ALL: 'C',
  DEBIAN_FRONTEND: 'noninteractive',
};

export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? TOOL_ENV,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(new LabError(e.code === 'ENOENT' ? `command not found: ${command}` : `${command}: ${e.message}`)),
    );
    child.on('close', (code, signal) => {
      const result = {
        code: code ?? 128,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      };
      if (result.code !== 0 && !options.allowFailure) {
        const why = signal ? `killed by ${signal}` : `exit ${result.code}`;
        const detail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-15).join('\n');
        reject(new LabError(`${command} ${args.join(' ')} failed (${why})${detail ? `:\n${detail}` : ''}`));
      } else {
        resolve(result);
      }
    });
    if (options.input !== undefined && child.stdin) child.stdin.end(options.input);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface ProcessInfo {
  /** clock ticks since boot when the process started: with the PID, names one process for good */
  startTime: string;
  state: string;
  ppid: number;
}

export function processInfo(pid: number): ProcessInfo | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses: the fields that follow start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const ppid = fields[1];
  const startTime = fields[19];
  if (state === undefined || ppid === undefined || startTime === undefined) return undefined;
  return { state, ppid: Number(ppid), startTime };
}

/** Alive and still the same process: not exited, not a zombie, PID not reused. */
export function isSameProcess(pid: number, startTime: string): boolean {
  const info = processInfo(pid);
  return info !== undefined && info.startTime === startTime && info.state !== 'Z' && info.state !== 'X';
}

export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(/\s+/)
      .filter((s) => s !== '')
      .map(Number);
  } catch {
    return [];
  }
}

/** Waits (bounded) until none of the processes runs any more; returns whether they all stopped. */
export async function waitForExit(processes: readonly { pid: number; startTime: string }[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processes.some((p) => isSameProcess(p.pid, p.startTime))) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

/** Sends SIGKILL to each process that is still the same one, then waits (bounded) until all are gone. */
export async function killAndWait(processes: readonly { pid: number; startTime: string }[], timeoutMs: number): Promise<void> {
  for (const p of processes) {
    if (!isSameProcess(p.pid, p.startTime)) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone between the check and the kill
    }
  }
  if (!(await waitForExit(processes, timeoutMs))) {
    const left = processes.filter((p) => isSameProcess(p.pid, p.startTime));
    throw new LabError(`processes did not exit after SIGKILL: ${left.map((p) => p.pid).join(', ')}`);
  }
}

/** True when something at address:port answers with an SSH banner within timeoutMs. */
export function sshAnswers(address: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let seen = '';
    const socket = connect({ host: address, port });
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.on('data', (b: Buffer) => {
      seen += b.toString('latin1');
      if (seen.startsWith('SSH-')) finish(true);
      else if (seen.length >= 4) finish(false);
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(seen.startsWith('SSH-')));
  });
}

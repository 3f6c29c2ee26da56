/**
 * The probe's other mode: a command of the user's run again and again during the change (the seed's "run
 * tempest tests" during the upgrade window), each run counted as passed (exit 0) or failed. Bounded by count
 * and time; a run that outlives its timeout is killed (its whole process group) and counts as failed.
 */
import { spawn } from 'node:child_process';

export interface CommandProbeOptions {
  command: string;
  durationMs: number;
  maxRuns: number;
  /** a run still going after this long is killed and fails (default 10 min) */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** each run's output is passed here (default: dropped) */
  onOutput?: (chunk: Buffer) => void;
}

export interface CommandRun {
  startMs: number;
  endMs: number;
  ok: boolean;
  /** exit code, or the signal that ended it */
  exit: string;
}

function runOnce(options: CommandProbeOptions, started: number): Promise<CommandRun> {
  const startMs = performance.now() - started;
  return new Promise((resolve) => {
    // its own process group, so that a timeout or Ctrl-C ends what it started too
    const child = spawn('/bin/sh', ['-c', options.command], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const kill = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(kill, options.timeoutMs ?? 600_000);
    options.signal?.addEventListener('abort', kill, { once: true });
    child.stdout.on('data', (b: Buffer) => options.onOutput?.(b));
    child.stderr.on('data', (b: Buffer) => options.onOutput?.(b));
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ startMs, endMs: performance.now() - started, ok: false, exit: error.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', kill);
      resolve({ startMs, endMs: performance.now() - started, ok: code === 0, exit: signal ?? String(code) });
    });
  });
}

export async function commandProbe(options: CommandProbeOptions): Promise<CommandRun[]> {
  if (!(options.maxRuns >= 1 && options.durationMs > 0)) throw new RangeError('command probe: expected at least one run and a duration');
  const started = performance.now();
  const runs: CommandRun[] = [];
  while (runs.length < options.maxRuns && performance.now() - started < options.durationMs && !options.signal?.aborted) {
    runs.push(await runOnce(options, started));
  }
  return runs;
}

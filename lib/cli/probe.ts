/**
 * `typebook probe URL`: steady traffic against an API (the nova VIP) while something changes, then the report:
 * requests, failures, latencies, the version timeline and whether the version only went up. Exit 0 when every
 * request was answered and no version went back, 2 otherwise. `--command CMD` runs a command in a loop instead.
 * Ctrl-C (or SIGTERM) stops it early; the report is printed either way.
 */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { commandProbe, formatReport, probe, probePassed, summarize, type ProbeSample } from '../probe/index.js';
import { ProblemError, problem } from '../source/index.js';

interface ProbeFlags {
  rate: string;
  duration: string;
  maxRequests?: string;
  slow: string;
  timeout: string;
  anyAnswer?: boolean;
  json?: string;
  command?: string;
}

function number(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new ProblemError([problem({ file: `<--${flag}>`, line: 0, col: 0 }, `--${flag} ${value}: expected a number from ${min} to ${max}`)]);
  return n;
}

/** SIGINT/SIGTERM end the probe early instead of the process, once; a second one exits at once. */
function stopOnSignals(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(name === 'SIGINT' ? 130 : 143);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { signal: controller.signal, dispose: () => { process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal); } };
}

export function registerProbeCommand(program: Command): void {
  program
    .command('probe')
    .description('send steady traffic to an API while it changes, then report failures, latency and the version timeline')
    .argument('[url]', 'the URL to GET (e.g. the nova API VIP: http://VIP:8282/)')
    .option('--rate <n>', 'requests started per second', '200')
    .option('--duration <seconds>', 'stop after this long at the latest (Ctrl-C stops earlier)', '600')
    .option('--max-requests <n>', 'stop after this many requests at the latest (default: rate x duration)')
    .option('--slow <percent:seconds>', "this share of requests asks for a late answer (?delay=SECONDS); '0' for none", '5:1')
    .option('--timeout <seconds>', 'a request not answered by then fails', '10')
    .option('--any-answer', 'count any 200 answer, not only a version document')
    .option('--json <file>', 'write every sample and the summary as JSON')
    .option('--command <cmd>', 'run this shell command in a loop instead, counting the runs that fail')
    .action(async (url: string | undefined, flags: ProbeFlags) => {
      const durationMs = number('duration', flags.duration, 0.001, 86_400) * 1000;
      const { signal, dispose } = stopOnSignals();
      try {
        if (flags.command !== undefined) {
          const runs = await commandProbe({ command: flags.command, durationMs, maxRuns: flags.maxRequests !== undefined ? number('max-requests', flags.maxRequests, 1, 1e7) : 1e7, timeoutMs: number('timeout', flags.timeout, 1, 86_400) * 1000, signal });
          const failed = runs.filter((r) => !r.ok);
          process.stdout.write(`probe command ${JSON.stringify(flags.command)}: ${runs.length} runs, ${failed.length} failed${failed.length ? ` (exits: ${failed.slice(0, 5).map((r) => r.exit).join(', ')})` : ''}\n`);
          if (flags.json) writeFileSync(flags.json, JSON.stringify({ runs }, null, 1));
          process.exitCode = runs.length > 0 && failed.length === 0 ? 0 : 2;
          return;
        }
        if (url === undefined) throw new ProblemError([problem({ file: '<probe>', line: 0, col: 0 }, 'probe: give a URL, or --command CMD')]);
        const rate = number('rate', flags.rate, 0.01, 2000);
        const [percent, delay] = flags.slow === '0' ? [0, 0] : flags.slow.split(':').map(Number) as [number, number];
        if (!(percent >= 0 && percent <= 100) || !(delay >= 0 && delay <= 600)) throw new ProblemError([problem({ file: '<--slow>', line: 0, col: 0 }, `--slow ${flags.slow}: expected PERCENT:SECONDS, e.g. 5:1`)]);
        const live = process.stderr.isTTY === true;
        let answered = 0;
        let failedSoFar = 0;
        let lastVersion = '';
        const ticker = live ? setInterval(() => process.stderr.write(`\r  ${answered} answered, ${failedSoFar} failed, version ${lastVersion || '-'}   `), 500) : undefined;
        const samples: ProbeSample[] = await probe({
          url,
          ratePerSecond: rate,
          durationMs,
          maxRequests: flags.maxRequests !== undefined ? number('max-requests', flags.maxRequests, 1, 1e7) : Math.max(1, Math.ceil((rate * durationMs) / 1000)),
          timeoutMs: number('timeout', flags.timeout, 0.1, 3600) * 1000,
          signal,
          ...(percent > 0 ? { slow: { every: Math.max(1, Math.round(100 / percent)), delaySeconds: delay } } : {}),
          ...(flags.anyAnswer ? { versionDocument: false } : {}),
          onSample: (s) => {
            if (s.ok) answered++;
            else failedSoFar++;
            if (s.version) lastVersion = s.version;
          },
        });
        if (ticker) {
          clearInterval(ticker);
          process.stderr.write('\n');
        }
        const summary = summarize(samples);
        process.stdout.write(formatReport(summary, samples, { url, color: !process.env.NO_COLOR && process.stdout.isTTY === true, picture: process.stdout.isTTY === true || process.env.TYPEBOOK_PROBE_PICTURE === '1', width: Math.min(100, (process.stdout.columns ?? 80) - 20) }));
        if (flags.json) writeFileSync(flags.json, JSON.stringify({ url, summary, samples }, null, 1));
        process.exitCode = probePassed(summary) ? 0 : 2;
      } finally {
        dispose();
      }
    });
}

/**
 * The probe's report for people: the figures, the version timeline and the verdict, and on a terminal a
 * picture of the run over time (requests answered per slice, failures, which version answered).
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { ProbeSample } from './probe.js';
import type { ProbeSummary } from './summary.js';

export interface ReportOptions {
  url: string;
  color?: boolean;
  /** draw the timeline picture (a terminal) */
  picture?: boolean;
  width?: number;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const millis = (ms: number): string => (ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`);

/** Whether the run kept its promise: nothing failed, the version never went back. */
export function probePassed(summary: ProbeSummary): boolean {
  return summary.requests > 0 && summary.failed === 0 && summary.regressions === 0;
}

export function formatReport(summary: ProbeSummary, samples: readonly ProbeSample[], options: ReportOptions): string {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const rate = summary.durationMs > 0 ? Math.round(summary.requests / (summary.durationMs / 1000)) : 0;
  const lines: string[] = [];
  lines.push(`probe ${options.url}: ${summary.requests} requests in ${seconds(summary.durationMs)} (~${rate}/s), ${summary.slow} of them slow`);
  const failed = summary.failed === 0 ? c.green('0') : c.red(String(summary.failed));
  lines.push(`  failed:     ${failed}${summary.failed > 0 ? `, for at most ${millis(summary.longestOutageMs)} in a row` : ''}`);
  for (const f of summary.firstFailures) lines.push(c.red(`    at ${seconds(f.startMs)}: ${f.error ?? 'failed'}`));
  lines.push(`  latency:    p50 ${millis(summary.latencyMs.p50)}, p99 ${millis(summary.latencyMs.p99)} (slow requests aside), slowest ${millis(summary.latencyMs.max)}`);
  const served = Object.entries(summary.servedBy).sort(([a], [b]) => a.localeCompare(b)).map(([h, n]) => `${h} ${n}`).join(', ');
  if (served) lines.push(`  served by:  ${served}`);
  if (summary.versions.length > 0) {
    lines.push(`  versions:   ${summary.versions.map((v) => `${v.version} from ${seconds(v.fromMs)} to ${seconds(v.toMs)} (${v.requests})`).join('; ')}`);
  }
  if (summary.regressions === 0) {
    lines.push(`  monotonic:  ${c.green('yes')}: no request started after a newer version's answer was answered by an older one`);
  } else {
    lines.push(`  monotonic:  ${c.red(`no, ${summary.regressions} request(s) went back`)}`);
    for (const r of summary.firstRegressions) {
      lines.push(c.red(`    started at ${seconds(r.sample.startMs)}, answered by ${r.sample.version}${r.sample.servedBy ? ` (${r.sample.servedBy})` : ''}, after ${r.after.version} answered at ${seconds(r.after.endMs)}`));
    }
  }
  if (options.picture && samples.length > 0) lines.push('', ...picture(samples, summary, options.width ?? 60, c));
  lines.push(probePassed(summary) ? c.green('PASSED: every request answered, the version only went up') : c.red('FAILED: see above'));
  return `${lines.join('\n')}\n`;
}

const BARS = ' ▁▂▃▄▅▆▇█';

/** One column per slice of time: answered requests (bars), failures (x), the version that answered (a letter per version). */
function picture(samples: readonly ProbeSample[], summary: ProbeSummary, width: number, c: ChalkInstance): string[] {
  const span = Math.max(1, summary.durationMs);
  const columns = Math.max(10, Math.min(width, 120));
  const answered = new Array<number>(columns).fill(0);
  const failed = new Array<number>(columns).fill(0);
  const newest = new Array<string | undefined>(columns).fill(undefined);
  const slot = (ms: number): number => Math.min(columns - 1, Math.floor((ms / span) * columns));
  for (const s of samples) {
    const i = slot(s.startMs);
    if (s.ok) answered[i]!++;
    else failed[i]!++;
    if (s.ok && s.version !== undefined) newest[i] = s.version;
  }
  const top = Math.max(1, ...answered);
  const letters = new Map(summary.versions.map((v, i) => [v.version, String.fromCharCode(65 + (i % 26))]));
  const bar = answered.map((n) => BARS[Math.round((n / top) * (BARS.length - 1))]).join('');
  const fails = failed.map((n) => (n > 0 ? c.red('x') : '·')).join('');
  const versions = newest.map((v) => (v === undefined ? ' ' : letters.get(v)!)).join('');
  const legend = [...letters].map(([v, l]) => `${l} = ${v}`).join(', ');
  return [
    `  answered  ${bar}  (per ${seconds(span / columns)}, highest ${top})`,
    `  failed    ${fails}`,
    `  version   ${versions}  (${legend})`,
    `            0 s${' '.repeat(Math.max(1, columns - 3 - seconds(span).length))}${seconds(span)}`,
  ];
}

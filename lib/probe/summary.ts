/**
 * What a probe's samples say: how many requests failed and for how long, the latencies, which backend and
 * which version answered when, and whether the version only went up: once a request was answered by a
 * version, no request started after that answer may be answered by an older one (nova's promise that users
 * see the max API version as a monotonically increasing number).
 */
import type { ProbeSample } from './probe.js';

export interface VersionSpan {
  version: string;
  /** first start and last end of the requests it answered, in ms since the probe started */
  fromMs: number;
  toMs: number;
  requests: number;
}

export interface Regression {
  /** the request answered by an older version */
  sample: ProbeSample;
  /** the earlier-ended answer it contradicts */
  after: ProbeSample;
}

export interface ProbeSummary {
  requests: number;
  failed: number;
  slow: number;
  /** the longest outage: from the start of a failed request to the start of the next that got through (0: none) */
  longestOutageMs: number;
  latencyMs: { p50: number; p99: number; max: number };
  servedBy: Record<string, number>;
  versions: VersionSpan[];
  regressions: number;
  firstRegressions: Regression[];
  firstFailures: ProbeSample[];
  durationMs: number;
}

/** nova microversions compare as numbers: 2.95 > 2.93, 2.100 > 2.99 */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Requests answered by a version older than one that answered before they started. */
export function regressions(samples: readonly ProbeSample[]): Regression[] {
  const versioned = samples.filter((s) => s.ok && s.version !== undefined);
  const byEnd = [...versioned].sort((a, b) => a.endMs - b.endMs);
  const byStart = [...versioned].sort((a, b) => a.startMs - b.startMs);
  const found: Regression[] = [];
  let highest: ProbeSample | undefined;
  let e = 0;
  for (const s of byStart) {
    while (e < byEnd.length && byEnd[e]!.endMs < s.startMs) {
      const ended = byEnd[e++]!;
      if (!highest || compareVersions(ended.version!, highest.version!) > 0) highest = ended;
    }
    if (highest && compareVersions(s.version!, highest.version!) < 0) found.push({ sample: s, after: highest });
  }
  return found;
}

export function summarize(samples: readonly ProbeSample[]): ProbeSummary {
  const ordered = [...samples].sort((a, b) => a.startMs - b.startMs);
  const servedBy: Record<string, number> = {};
  const spans = new Map<string, VersionSpan>();
  let longestOutageMs = 0;
  let outageStart: number | undefined;
  let outageEnd = 0;
  for (const s of ordered) {
    if (s.servedBy !== undefined) servedBy[s.servedBy] = (servedBy[s.servedBy] ?? 0) + 1;
    if (s.ok && s.version !== undefined) {
      const span = spans.get(s.version) ?? { version: s.version, fromMs: s.startMs, toMs: s.endMs, requests: 0 };
      span.fromMs = Math.min(span.fromMs, s.startMs);
      span.toMs = Math.max(span.toMs, s.endMs);
      span.requests++;
      spans.set(s.version, span);
    }
    if (s.ok) {
      if (outageStart !== undefined) longestOutageMs = Math.max(longestOutageMs, s.startMs - outageStart);
      outageStart = undefined;
      continue;
    }
    outageStart ??= s.startMs;
    outageEnd = Math.max(outageEnd, s.endMs);
  }
  if (outageStart !== undefined) longestOutageMs = Math.max(longestOutageMs, outageEnd - outageStart);
  const latencies = samples.filter((s) => !s.slow).map((s) => s.endMs - s.startMs).sort((a, b) => a - b);
  const all = samples.map((s) => s.endMs - s.startMs);
  const failures = ordered.filter((s) => !s.ok);
  const regressed = regressions(samples);
  return {
    requests: samples.length,
    failed: failures.length,
    slow: samples.filter((s) => s.slow).length,
    longestOutageMs,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: all.reduce((m, v) => Math.max(m, v), 0) },
    servedBy,
    versions: [...spans.values()].sort((a, b) => a.fromMs - b.fromMs),
    regressions: regressed.length,
    firstRegressions: regressed.slice(0, 5),
    firstFailures: failures.slice(0, 5),
    durationMs: samples.reduce((m, s) => Math.max(m, s.endMs), 0),
  };
}

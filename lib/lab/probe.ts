/**
 * A traffic probe: HTTP GETs at a steady rate against one URL (the VIP), each on a new connection (as
 * separate API clients would), every answer recorded, so that "no request failed during the change" is a
 * measurement. Bounded by count and by time: it always stops by itself.
 */
import { request } from 'node:http';

export interface ProbeOptions {
  url: string;
  /** requests started per second */
  ratePerSecond: number;
  /** stop starting requests after this long */
  durationMs: number;
  /** and after this many, whichever comes first */
  maxRequests: number;
  /** a request that has not answered by then fails */
  timeoutMs?: number;
  /** stop early (the requests in flight still end) */
  signal?: AbortSignal;
  /** a request whose status is not one of these fails (default: any 2xx) */
  okStatus?: (status: number) => boolean;
}

export interface ProbeSample {
  /** ms since the probe started, when the request was sent */
  startMs: number;
  /** ms it took to answer or fail */
  durationMs: number;
  ok: boolean;
  status?: number;
  /** the answer's X-Served-By header: which backend served it */
  servedBy?: string;
  /** the answer body's version.version, when it is a nova version document */
  version?: string;
  error?: string;
}

export interface ProbeSummary {
  requests: number;
  failed: number;
  /** the longest outage: from the start of a failed request to the start of the next one that got through (0: none failed) */
  longestOutageMs: number;
  /** the slowest answer or failure */
  maxLatencyMs: number;
  /** requests per backend (X-Served-By) */
  servedBy: Record<string, number>;
  /** requests per announced version */
  versions: Record<string, number>;
  /** the first failures, for the report */
  firstFailures: ProbeSample[];
}

const MAX_BODY = 64 * 1024;

function one(url: URL, timeoutMs: number, okStatus: (status: number) => boolean, started: number): Promise<ProbeSample> {
  const startMs = performance.now() - started;
  return new Promise((resolve) => {
    let settled = false;
    const done = (sample: Omit<ProbeSample, 'startMs' | 'durationMs'>): void => {
      if (settled) return;
      settled = true;
      resolve({ startMs, durationMs: performance.now() - started - startMs, ...sample });
    };
    const req = request(url, { method: 'GET', agent: false, timeout: timeoutMs, headers: { connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY) chunks.push(chunk);
      });
      res.on('error', (error) => done({ ok: false, error: error.message }));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const servedBy = typeof res.headers['x-served-by'] === 'string' ? res.headers['x-served-by'] : undefined;
        let version: string | undefined;
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { version?: { version?: unknown } };
          if (typeof body.version?.version === 'string') version = body.version.version;
        } catch {
          // not a version document
        }
        const ok = okStatus(status);
        done({ ok, status, ...(servedBy !== undefined ? { servedBy } : {}), ...(version !== undefined ? { version } : {}), ...(ok ? {} : { error: `HTTP ${status}` }) });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (error) => done({ ok: false, error: error.message }));
    req.end();
  });
}

/** Runs the probe; resolves when the last request has ended. */
export async function probe(options: ProbeOptions): Promise<{ samples: ProbeSample[]; summary: ProbeSummary }> {
  if (!(options.ratePerSecond > 0 && options.ratePerSecond <= 1000)) throw new RangeError(`probe rate ${options.ratePerSecond}/s: expected more than 0 and at most 1000`);
  if (!(options.maxRequests >= 1 && options.maxRequests <= 1_000_000)) throw new RangeError(`probe count ${options.maxRequests}: expected 1 to 1000000`);
  if (!(options.durationMs > 0 && options.durationMs <= 3_600_000)) throw new RangeError(`probe duration ${options.durationMs} ms: expected more than 0 and at most one hour`);
  const url = new URL(options.url);
  if (url.protocol !== 'http:') throw new RangeError(`probe URL ${options.url}: only http:// is supported`);
  const timeoutMs = options.timeoutMs ?? 5000;
  const okStatus = options.okStatus ?? ((s: number) => s >= 200 && s < 300);
  const interval = 1000 / options.ratePerSecond;
  const started = performance.now();
  const pending: Promise<ProbeSample>[] = [];
  for (let i = 0; i < options.maxRequests; i++) {
    const due = i * interval;
    if (due >= options.durationMs || options.signal?.aborted) break;
    const wait = due - (performance.now() - started);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (options.signal?.aborted) break;
    pending.push(one(url, timeoutMs, okStatus, started));
  }
  const samples = await Promise.all(pending);
  return { samples, summary: summarize(samples) };
}

export function summarize(samples: readonly ProbeSample[]): ProbeSummary {
  const servedBy: Record<string, number> = {};
  const versions: Record<string, number> = {};
  let longestOutageMs = 0;
  let maxLatencyMs = 0;
  let outageStart: number | undefined;
  let outageEnd = 0;
  for (const s of samples) {
    maxLatencyMs = Math.max(maxLatencyMs, s.durationMs);
    if (s.servedBy !== undefined) servedBy[s.servedBy] = (servedBy[s.servedBy] ?? 0) + 1;
    if (s.version !== undefined) versions[s.version] = (versions[s.version] ?? 0) + 1;
    if (s.ok) {
      // the outage lasted until the first request that got through
      if (outageStart !== undefined) longestOutageMs = Math.max(longestOutageMs, s.startMs - outageStart);
      outageStart = undefined;
      continue;
    }
    outageStart ??= s.startMs;
    outageEnd = s.startMs + s.durationMs;
  }
  if (outageStart !== undefined) longestOutageMs = Math.max(longestOutageMs, outageEnd - outageStart);
  const failures = samples.filter((s) => !s.ok);
  return { requests: samples.length, failed: failures.length, longestOutageMs, maxLatencyMs, servedBy, versions, firstFailures: failures.slice(0, 5) };
}

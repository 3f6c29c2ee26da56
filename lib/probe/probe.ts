/**
 * The traffic probe: HTTP GETs at a steady rate against one URL (the nova API's VIP), each on a new
 * connection (as separate API clients would), some of them slow, every answer recorded, so that "no request
 * failed and the version only went up during the upgrade" is a measurement. Bounded by count and by time, and
 * stoppable: it always stops by itself.
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
  /** a request that has not answered by then fails (default 10 s) */
  timeoutMs?: number;
  /** stop starting requests (those in flight still end) */
  signal?: AbortSignal;
  /** one request in `every` asks to be answered `delaySeconds` late (`?delay=`, which nova ignores) */
  slow?: { every: number; delaySeconds: number };
  /** the answer must be a nova version document (default true); false: any answer with an accepted status */
  versionDocument?: boolean;
  /** the statuses that count as an answer (default 200) */
  okStatus?: (status: number) => boolean;
  /** called as each request ends (for a live picture) */
  onSample?: (sample: ProbeSample) => void;
}

export interface ProbeSample {
  /** ms since the probe started, when the request was sent */
  startMs: number;
  /** ms since the probe started, when it was answered or failed */
  endMs: number;
  ok: boolean;
  slow: boolean;
  status?: number;
  /** the answer's X-Served-By header: which backend served it */
  servedBy?: string;
  /** the version document's version.version (nova's max API microversion) */
  version?: string;
  error?: string;
}

const MAX_BODY = 64 * 1024;

function one(url: URL, slow: number | undefined, options: ProbeOptions, started: number): Promise<ProbeSample> {
  const startMs = performance.now() - started;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const okStatus = options.okStatus ?? ((s: number) => s === 200);
  const target = new URL(url);
  if (slow !== undefined) target.searchParams.set('delay', String(slow));
  return new Promise((resolve) => {
    let settled = false;
    const done = (sample: Omit<ProbeSample, 'startMs' | 'endMs' | 'slow'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const result: ProbeSample = { startMs, endMs: performance.now() - started, slow: slow !== undefined, ...sample };
      options.onSample?.(result);
      resolve(result);
    };
    // the whole exchange is bounded, not only the idle time between packets
    const timer = setTimeout(() => {
      req.destroy();
      done({ ok: false, error: `no answer in ${timeoutMs} ms` });
    }, timeoutMs + (slow ?? 0) * 1000);
    const req = request(target, { method: 'GET', agent: false, headers: { connection: 'close', accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY) chunks.push(chunk);
      });
      res.on('error', (error) => done({ ok: false, error: error.message }));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const servedBy = typeof res.headers['x-served-by'] === 'string' ? { servedBy: res.headers['x-served-by'] } : {};
        let version: string | undefined;
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { version?: { version?: unknown } };
          if (typeof body.version?.version === 'string') version = body.version.version;
        } catch {
          // not JSON: no version document
        }
        const answered = okStatus(status);
        const error = !answered ? `HTTP ${status}` : options.versionDocument !== false && version === undefined ? `HTTP ${status} without a version document` : undefined;
        done({ ok: error === undefined, status, ...servedBy, ...(version !== undefined ? { version } : {}), ...(error !== undefined ? { error } : {}) });
      });
    });
    req.on('error', (error) => done({ ok: false, error: error.message }));
    req.end();
  });
}

export function checkProbeOptions(options: ProbeOptions): void {
  if (!(options.ratePerSecond > 0 && options.ratePerSecond <= 2000)) throw new RangeError(`probe rate ${options.ratePerSecond}/s: expected more than 0 and at most 2000`);
  if (!(Number.isInteger(options.maxRequests) && options.maxRequests >= 1 && options.maxRequests <= 10_000_000)) throw new RangeError(`probe count ${options.maxRequests}: expected 1 to 10000000`);
  if (!(options.durationMs > 0 && options.durationMs <= 24 * 3_600_000)) throw new RangeError(`probe duration ${options.durationMs} ms: expected more than 0 and at most a day`);
  if (options.slow && !(options.slow.every >= 1 && options.slow.delaySeconds >= 0 && options.slow.delaySeconds <= 600)) throw new RangeError('probe slow requests: expected one in N >= 1, delayed 0 to 600 s');
  if (new URL(options.url).protocol !== 'http:') throw new RangeError(`probe URL ${options.url}: only http:// is supported`);
}

/** Runs the probe; resolves when the last request has ended. */
export async function probe(options: ProbeOptions): Promise<ProbeSample[]> {
  checkProbeOptions(options);
  const url = new URL(options.url);
  const interval = 1000 / options.ratePerSecond;
  const started = performance.now();
  const pending: Promise<ProbeSample>[] = [];
  for (let i = 0; i < options.maxRequests; i++) {
    const due = i * interval;
    if (due >= options.durationMs || options.signal?.aborted) break;
    const wait = due - (performance.now() - started);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (options.signal?.aborted) break;
    const slow = options.slow && i % options.slow.every === options.slow.every - 1 ? options.slow.delaySeconds : undefined;
    pending.push(one(url, slow, options, started));
  }
  return Promise.all(pending);
}

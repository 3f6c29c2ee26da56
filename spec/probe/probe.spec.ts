/** The probe's logic: failures, outages, percentiles and the monotonic-version check; and real requests to loopback. */
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { commandProbe, formatReport, probe, probePassed, regressions, summarize, type ProbeSample } from '../../lib/probe/index.js';

const sample = (startMs: number, endMs: number, version: string | undefined, ok = true): ProbeSample => ({ startMs, endMs, ok, slow: false, ...(version ? { version } : {}), ...(ok ? {} : { error: 'refused' }) });

describe('probe summary', () => {
  it('finds a version that flips back after a newer one answered', () => {
    const samples = [sample(0, 5, '2.93'), sample(10, 15, '2.95'), sample(20, 25, '2.93'), sample(30, 35, '2.95')];
    const found = regressions(samples);
    expect(found).to.have.length(1);
    expect(found[0]!.sample.startMs).to.equal(20);
    const summary = summarize(samples);
    expect(summary.regressions).to.equal(1);
    expect(probePassed(summary)).to.equal(false);
  });

  it('does not count requests in flight together as a regression', () => {
    // the old answer started before the new one ended: both were in flight at the hand-over
    const samples = [sample(0, 100, '2.93'), sample(10, 20, '2.95'), sample(15, 120, '2.93'), sample(130, 140, '2.95')];
    expect(regressions(samples)).to.deep.equal([]);
  });

  it('compares microversions as numbers', () => {
    expect(regressions([sample(0, 1, '2.100'), sample(5, 6, '2.99')])).to.have.length(1);
    expect(regressions([sample(0, 1, '2.99'), sample(5, 6, '2.100')])).to.have.length(0);
  });

  it('measures the outage until the first request that got through', () => {
    const samples = [sample(0, 1, '2.93'), sample(10, 3000, undefined, false), sample(20, 21, undefined, false), sample(500, 501, '2.93')];
    const summary = summarize(samples);
    expect(summary.failed).to.equal(2);
    expect(summary.longestOutageMs).to.equal(490);
    expect(summary.latencyMs.max).to.equal(2990);
    expect(formatReport(summary, samples, { url: 'http://x/' })).to.match(/failed: +2, for at most 490 ms in a row/);
  });
});

describe('probe against a loopback server', () => {
  let server: Server;
  let url: string;
  let mode: 'ok' | 'hang' | 'plain' = 'ok';
  before(async () => {
    server = createServer((req, res) => {
      if (mode === 'hang') return; // never answers
      const body = mode === 'ok' ? JSON.stringify({ version: { version: '2.93' } }) : 'hello';
      res.setHeader('X-Served-By', 'here');
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('sends the rate asked, each request on its own connection, and stops by itself', async () => {
    mode = 'ok';
    const samples = await probe({ url, ratePerSecond: 100, durationMs: 300, maxRequests: 1000, slow: { every: 10, delaySeconds: 0 } });
    expect(samples.length).to.be.within(28, 31);
    expect(samples.every((s) => s.ok && s.version === '2.93' && s.servedBy === 'here')).to.equal(true);
    expect(samples.filter((s) => s.slow)).to.have.length(3);
  });

  it('counts a request that never ends as failed, and an answer without a version document', async () => {
    mode = 'hang';
    const hung = await probe({ url, ratePerSecond: 10, durationMs: 100, maxRequests: 1, timeoutMs: 200 });
    expect(hung[0]!.ok).to.equal(false);
    expect(hung[0]!.error).to.match(/no answer in 200 ms/);
    mode = 'plain';
    const plain = await probe({ url, ratePerSecond: 10, durationMs: 100, maxRequests: 1 });
    expect(plain[0]!.error).to.match(/without a version document/);
    expect((await probe({ url, ratePerSecond: 10, durationMs: 100, maxRequests: 1, versionDocument: false }))[0]!.ok).to.equal(true);
  });

  it('refuses an unbounded or foreign probe', async () => {
    let error: unknown;
    await probe({ url, ratePerSecond: 0, durationMs: 100, maxRequests: 1 }).catch((e: unknown) => (error = e));
    expect(String(error)).to.match(/rate/);
    await probe({ url: 'https://127.0.0.1/', ratePerSecond: 1, durationMs: 100, maxRequests: 1 }).catch((e: unknown) => (error = e));
    expect(String(error)).to.match(/only http/);
  });
});

describe('probe --command', () => {
  it('runs a command again and again, counting the runs that fail, and stops by itself', async () => {
    const runs = await commandProbe({ command: 'test -e /nonexistent-typebook-probe || exit 0; exit 1', durationMs: 300, maxRuns: 3 });
    expect(runs).to.have.length(3);
    expect(runs.every((r) => r.ok)).to.equal(true);
    const failing = await commandProbe({ command: 'exit 3', durationMs: 200, maxRuns: 2 });
    expect(failing.map((r) => [r.ok, r.exit])).to.deep.equal([[false, '3'], [false, '3']]);
  });

  it('kills a run that outlives its timeout, with what it started', async () => {
    const started = performance.now();
    const runs = await commandProbe({ command: 'sleep 30 & sleep 30', durationMs: 100, maxRuns: 1, timeoutMs: 200 });
    expect(performance.now() - started).to.be.below(5000);
    expect(runs[0]!.ok).to.equal(false);
    expect(runs[0]!.exit).to.equal('SIGTERM');
  });
});

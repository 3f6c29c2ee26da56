/**
 * The flagship job on lab hosts in the seed's topology (inventory/lab: node1 controller, node2 API + compute,
 * node3 and node4 computes; node1 and node2 balance): site.yml at N, then upgrade-nova.yml to N+1 under 200
 * requests a second through the VIP, some slow. Then the two ways an API node can stop the rollout.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { runPlaybook, type PlaybookRun, type RunEvent } from '../../lib/engine/index.js';
import type { Lab } from '../../lib/lab/index.js';
import { STANDIN_RELEASES } from '../../lib/lab/standin-debs.js';
import { probe, summarize, type ProbeSummary } from '../../lib/probe/index.js';
import { labSsh, useLab } from '../lab/fixture.js';

const root = new URL('../../', import.meta.url).pathname;
const [N, N1] = [STANDIN_RELEASES[0]!.version, STANDIN_RELEASES[1]!.version];

interface Run extends PlaybookRun {
  failures: string[];
  changedTasks: string[];
}

async function play(lab: Lab, playbook: string, extraVars: Record<string, unknown> = {}): Promise<Run> {
  const failures: string[] = [];
  const changedTasks: string[] = [];
  const onEvent = (e: RunEvent): void => {
    if (e.type !== 'host_result') return;
    if (e.status === 'failed' && !e.ignored) failures.push(`${e.host} ${e.task}: ${e.message ?? ''}`);
    if (e.changed && e.item === undefined) changedTasks.push(`${e.host} ${e.task}`);
  };
  const result = await runPlaybook({ playbook: join(root, 'playbooks', playbook), inventory: [lab.inventoryPath, join(root, 'inventory/lab')], extraVars, onEvent });
  return { ...result, failures, changedTasks };
}

async function sh(lab: Lab, host: string, command: string): Promise<string> {
  const r = await labSsh(lab, host, command);
  if (r.code !== 0) throw new Error(`${host}: ${command}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** server -> status (`show stat`) in backend nova-api of the HAProxy on `host` */
async function servers(lab: Lab, host: string): Promise<Record<string, string>> {
  const csv = await sh(lab, host, "echo 'show stat' | socat - UNIX-CONNECT:/var/run/haproxy.sock");
  const lines = csv.split('\n').filter((l) => l.startsWith('nova-api,') && !/,(FRONTEND|BACKEND),/.test(l));
  const header = csv.split('\n')[0]!.replace(/^# /, '').split(',');
  const status = header.indexOf('status');
  return Object.fromEntries(lines.map((l) => [l.split(',')[1]!, l.split(',')[status]!]));
}

/** 200 requests a second through the VIP, one in 20 answered a second late, while `during` runs */
async function underTraffic<T>(lab: Lab, during: () => Promise<T>): Promise<{ result: T; summary: ProbeSummary }> {
  const stop = new AbortController();
  const flow = probe({ url: `http://${lab.vip}:8282/`, ratePerSecond: 200, durationMs: 120_000, maxRequests: 24_000, slow: { every: 20, delaySeconds: 1 }, signal: stop.signal });
  await new Promise((r) => setTimeout(r, 1500));
  try {
    const result = await during();
    await new Promise((r) => setTimeout(r, 1500));
    return { result, summary: summarize(await (stop.abort(), flow)) };
  } finally {
    stop.abort();
    await flow.catch(() => undefined);
  }
}

const report = (s: ProbeSummary): string => JSON.stringify({ failed: s.failed, regressions: s.regressions, firstFailures: s.firstFailures, firstRegressions: s.firstRegressions });

describe('upgrade-nova.yml: the rolling upgrade on lab hosts', function () {
  this.timeout(300_000);
  const fixture = useLab({ hosts: 4, name: 'upgrade' });

  it(`deploys ${N} with site.yml`, async () => {
    const site = await play(fixture.lab, 'site.yml');
    expect(site.failures).to.deep.equal([]);
    expect(site.exitCode).to.equal(0);
    expect(await sh(fixture.lab, 'node1', 'nova-manage service list')).to.match(/^nova-api\s+node2\s+up\s+26$/m);
  });

  it(`upgrades to ${N1} under traffic: no request fails, the version never goes back`, async () => {
    const { result, summary } = await underTraffic(fixture.lab, () => play(fixture.lab, 'upgrade-nova.yml', { nova_version: N1 }));
    expect(result.failures).to.deep.equal([]);
    expect(result.exitCode).to.equal(0);
    console.log(`      ${summary.requests} requests (${summary.slow} slow), ${summary.failed} failed, ${summary.regressions} went back; versions ${summary.versions.map((v) => `${v.version}: ${v.requests}`).join(', ')}`);
    expect(summary.failed, report(summary)).to.equal(0);
    expect(summary.regressions, report(summary)).to.equal(0);
    expect(summary.versions.map((v) => v.version)).to.deep.equal(['2.93', '2.95']);
    expect(summary.requests).to.be.greaterThan(1000);
  });

  it('leaves every service at N+1, the migrations done, and every server UP in every HAProxy', async () => {
    const services = await sh(fixture.lab, 'node1', 'nova-manage service list');
    expect(services.trim().split('\n')).to.have.length(7);
    expect(services).to.not.match(/ 26$/m);
    expect(services).to.not.match(/ down /);
    expect(await sh(fixture.lab, 'node1', 'nova-status upgrade check')).to.match(/^Success/);
    expect(await sh(fixture.lab, 'node1', 'nova-manage db online_data_migrations')).to.match(/^migrated 0 record\(s\), 0 left/);
    for (const lb of ['node1', 'node2']) expect(await servers(fixture.lab, lb)).to.deep.equal({ node1: 'UP', node2: 'UP' });
  });

  it('runs again at the target version without changing or draining anything', async () => {
    const { result, summary } = await underTraffic(fixture.lab, () => play(fixture.lab, 'upgrade-nova.yml', { nova_version: N1 }));
    expect(result.exitCode).to.equal(0);
    expect(result.changedTasks).to.deep.equal([]);
    expect(summary.failed, report(summary)).to.equal(0);
    // both served all along: nothing was drained
    expect(Object.keys(summary.servedBy).sort()).to.deep.equal(['node1', 'node2']);
  });
});

describe('upgrade-nova.yml: an API node that stops the rollout', function () {
  this.timeout(300_000);
  const fixture = useLab({ hosts: 4, name: 'upgrade-stop' });

  it("stops with node2's new API unhealthy: it stays in maintenance, node1 serves, no request fails", async () => {
    expect((await play(fixture.lab, 'site.yml')).exitCode).to.equal(0);
    // node2's next start listens elsewhere: its new API never answers the health check (the running one is untouched)
    await sh(fixture.lab, 'node2', "sed -i 's/^\\[DEFAULT\\]$/[DEFAULT]\\nosapi_compute_listen_port = 8775/' /etc/nova/nova.conf && grep -q '^osapi_compute_listen_port = 8775' /etc/nova/nova.conf");
    const { result, summary } = await underTraffic(fixture.lab, () => play(fixture.lab, 'upgrade-nova.yml', { nova_version: N1, nova_api_health_retries: 5 }));
    expect(result.exitCode).to.equal(2);
    expect(result.failures.join('\n'), result.failures.join('\n')).to.match(/^node2 The rollout stops here: the upgrade of the API on node2 failed/m);
    expect(summary.failed, report(summary)).to.equal(0);
    expect(summary.regressions, report(summary)).to.equal(0);
    for (const lb of ['node1', 'node2']) expect(await servers(fixture.lab, lb)).to.deep.equal({ node1: 'UP', node2: 'MAINT' });
  });

});

describe('upgrade-nova.yml: the other API node already DOWN', function () {
  this.timeout(300_000);
  const fixture = useLab({ hosts: 4, name: 'upgrade-down' });

  it('refuses to drain node1 while node2 is DOWN, changes nothing in HAProxy, and no request fails', async () => {
    expect((await play(fixture.lab, 'site.yml')).exitCode).to.equal(0);
    await sh(fixture.lab, 'node2', 'invoke-rc.d nova-api stop');
    for (let i = 0; i < 50 && (await servers(fixture.lab, 'node1')).node2 !== 'DOWN'; i++) await new Promise((r) => setTimeout(r, 200));
    expect((await servers(fixture.lab, 'node1')).node2).to.equal('DOWN');
    const { result, summary } = await underTraffic(fixture.lab, () => play(fixture.lab, 'upgrade-nova.yml', { nova_version: N1 }));
    expect(result.exitCode).to.equal(2);
    expect(result.failures.join('\n')).to.match(/refusing: backend 'nova-api' would have no server in service whose health checks pass/);
    expect(result.changedTasks.filter((t) => /nova-api|Drain|Hand the traffic/.test(t) && t.startsWith('node1 ')), 'node1 untouched').to.deep.equal([]);
    expect(summary.failed, report(summary)).to.equal(0);
    for (const lb of ['node1', 'node2']) expect(await servers(fixture.lab, lb)).to.deep.equal({ node1: 'UP', node2: 'DOWN' });
    expect(await sh(fixture.lab, 'node1', 'nova-manage service list')).to.match(/^nova-api\s+node1\s+up\s+26$/m);
  });
});

/**
 * playbooks/setup-ha.yml (roles haproxy and keepalived) on lab hosts, with the lab's inventory in the shape of
 * inventory/example.yml (inventory/lab, plus node3 as a third API server): node1 and node2 are the load balancers,
 * node1..node3 run the nova API stand-in behind them. Traffic goes from this machine to the VIP on the lab's bridge, bounded by the probe.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlaybook, type PlaybookRun, type RunEvent } from '../../lib/engine/index.js';
import { probe, summarize, type ProbeSample, type ProbeSummary } from '../../lib/probe/index.js';
import { ProblemError } from '../../lib/source/index.js';
import { shellQuote } from '../../lib/connection/quote.js';
import { labSsh, useLab } from '../lab/fixture.js';

const root = new URL('../../', import.meta.url).pathname;
const setupHa = join(root, 'playbooks/setup-ha.yml');
const STANDIN = readFileSync(join(root, 'lib/lab/nova-standin.py'), 'utf8');
const LOADBALANCERS = ['node1', 'node2'];
/** node3 joins the API servers: a backend that is not a load balancer */
const extraInventory = join(mkdtempSync(join(tmpdir(), 'typebook-ha-inv-')), 'backends.yml');
writeFileSync(extraInventory, 'all:\n  children:\n    nova_api:\n      hosts:\n        node3:\n');

describe('setup-ha.yml: HAProxy and keepalived on lab hosts', function () {
  this.timeout(180_000);
  const fixture = useLab({ hosts: 3, name: 'ha' });
  const vipUrl = (): string => `http://${fixture.lab.vip}:8282/`;

  async function run(extraVars: Record<string, unknown> = {}, playbook = setupHa): Promise<PlaybookRun & { failures: string[] }> {
    const failures: string[] = [];
    const onEvent = (e: RunEvent): void => {
      if (e.type === 'host_result' && e.status === 'failed' && !e.ignored) failures.push(`${e.host} ${e.task}: ${JSON.stringify(e.result).slice(0, 400)}`);
    };
    const result = await runPlaybook({ playbook, inventory: [fixture.lab.inventoryPath, join(root, 'inventory/lab'), extraInventory], extraVars, onEvent });
    return { ...result, failures };
  }

  async function sh(host: string, command: string): Promise<string> {
    const r = await labSsh(fixture.lab, host, command);
    if (r.code !== 0) throw new Error(`${host}: ${command}: exit ${r.code}: ${r.stderr}`);
    return r.stdout;
  }

  async function holders(): Promise<string[]> {
    const held = await Promise.all(LOADBALANCERS.map(async (h) => ((await sh(h, `ip -4 -o addr show to ${fixture.lab.vip}/32`)).trim() !== '' ? [h] : [])));
    return held.flat();
  }

  /** Polls until `check` holds, at most `ms`; returns whether it did. */
  async function eventually(check: () => Promise<boolean>, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await check()) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return check();
  }

  const traffic = async (durationMs: number): Promise<{ summary: ProbeSummary; samples: ProbeSample[] }> => {
    const samples = await probe({ url: vipUrl(), ratePerSecond: 100, durationMs, maxRequests: Math.ceil(durationMs / 10) + 1, timeoutMs: 5000 });
    return { summary: summarize(samples), samples };
  };

  after(() => rmSync(join(extraInventory, '..'), { recursive: true, force: true }));

  before(async function () {
    // the nova API stand-in on every backend (the nova role comes with the upgrade); lab down ends it
    for (const host of ['node1', 'node2', 'node3']) {
      await labSsh(fixture.lab, host, 'cat > /tmp/nova-standin.py && { setsid python3 /tmp/nova-standin.py api-alone --port 8774 --quiet </dev/null >/tmp/standin.log 2>&1 & }', 30_000, STANDIN);
    }
  });

  it('refuses wrong inventory values before any host changes', async () => {
    let error: unknown;
    await run({ haproxy_vip: `${fixture.lab.vip}0`, keepalived_virtual_router_id: 256 }).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(ProblemError);
    const messages = (error as ProblemError).problems.map((p) => p.message);
    expect(messages.some((m) => /'haproxy_vip' is '10\.\d+\.0\.2500'; expected an IPv4 address|'haproxy_vip' is '10\.\d+\.0\.2500'/.test(m))).to.equal(true, messages.join('\n'));
    expect(messages.some((m) => /'keepalived_virtual_router_id' is 256/.test(m))).to.equal(true, messages.join('\n'));
    for (const host of LOADBALANCERS) expect((await labSsh(fixture.lab, host, 'dpkg -s haproxy keepalived >/dev/null 2>&1 || test -e /etc/haproxy/haproxy.cfg')).code).to.not.equal(0);
  });

  it('converges, and a second run changes nothing', async () => {
    const first = await run();
    expect(first.failures).to.deep.equal([]);
    expect(first.exitCode).to.equal(0);
    expect(Object.keys(first.stats).sort()).to.deep.equal(LOADBALANCERS);
    for (const host of LOADBALANCERS) expect(first.stats[host]!.changed).to.be.greaterThan(0);
    const second = await run();
    expect(second.exitCode).to.equal(0);
    for (const host of LOADBALANCERS) expect(second.stats[host]!.changed, `${host} changed on the second run`).to.equal(0);
  });

  it('gives a backend that is not a load balancer neither role', async () => {
    expect((await labSsh(fixture.lab, 'node3', 'dpkg -s haproxy')).code).to.not.equal(0);
    expect((await labSsh(fixture.lab, 'node3', 'dpkg -s keepalived')).code).to.not.equal(0);
    expect((await labSsh(fixture.lab, 'node3', `ip -4 -o addr show to ${fixture.lab.vip}/32`)).stdout.trim()).to.equal('');
  });

  it('has one VIP holder, the highest priority, and every backend answers through the VIP', async () => {
    expect(await holders()).to.deep.equal(['node1']);
    const { summary } = await traffic(2000);
    expect(summary.failed, JSON.stringify(summary.firstFailures)).to.equal(0);
    expect(Object.keys(summary.servedBy).sort()).to.deep.equal(['node1', 'node2', 'node3']);
    // the seed's file, with the health check added: the runtime API answers as root with mode 600
    const config = await sh('node1', 'cat /etc/haproxy/haproxy.cfg');
    for (const line of ['chroot /var/lib/haproxy', 'stats socket /var/run/haproxy.sock mode 600 level admin', 'option redispatch', 'timeout http-request 10s', `bind ${fixture.lab.vip}:8282`, 'option httpchk GET /']) {
      expect(config).to.include(line);
    }
    expect(await sh('node1', 'grep -c "^net.ipv4.ip_nonlocal_bind *= *1" /etc/sysctl.conf; cat /proc/sys/net/ipv4/ip_nonlocal_bind')).to.equal('1\n1\n');
  });

  it('moves the VIP in under 2 s when HAProxy dies on its holder, and takes it back when HAProxy returns', async () => {
    const started = performance.now();
    const flow = traffic(12_000);
    await new Promise((r) => setTimeout(r, 2000));
    const killedAtMs = performance.now() - started;
    await sh('node1', 'kill "$(cat /var/run/haproxy.pid)"');
    expect(await eventually(async () => (await holders()).join() === 'node2', 5000), 'node2 holds the VIP').to.equal(true);
    await new Promise((r) => setTimeout(r, 2000));
    // the playbook starts HAProxy again; keepalived on node1 (priority 101) preempts node2 (100)
    const again = await run();
    expect(again.exitCode).to.equal(0);
    expect(await eventually(async () => (await holders()).join() === 'node1', 5000), 'node1 holds the VIP again').to.equal(true);
    const { summary, samples } = await flow;
    console.log(`      failover: ${summary.failed} of ${summary.requests} requests failed, for ${Math.round(summary.longestOutageMs)} ms; slowest answer ${Math.round(summary.latencyMs.max)} ms`);
    expect(summary.longestOutageMs).to.be.below(2000);
    expect(summary.failed).to.be.below(summary.requests / 10);
    expect(samples.filter((s) => !s.ok && s.startMs < killedAtMs - 50), 'failures before HAProxy was killed').to.deep.equal([]);
    expect(await holders()).to.deep.equal(['node1']);
  });

  it('reloads HAProxy on a changed template while requests flow, and none fails', async () => {
    const flow = traffic(6000);
    await new Promise((r) => setTimeout(r, 1000));
    const changed = await run({ haproxy_timeouts: { 'http-request': '10s', queue: '1m', connect: '10s', client: '1m', server: '1m', check: '10s', tunnel: '1h' } });
    const { summary } = await flow;
    expect(changed.exitCode).to.equal(0);
    for (const host of LOADBALANCERS) {
      expect(changed.stats[host]!.changed).to.equal(2); // the template, and the reload handler
      expect(await sh(host, 'cat /etc/haproxy/haproxy.cfg')).to.include('timeout tunnel 1h');
    }
    expect(summary.failed, JSON.stringify(summary.firstFailures)).to.equal(0);
    expect(summary.requests).to.be.greaterThan(500);
    const back = await run();
    expect(back.exitCode).to.equal(0);
  });

  it('lets an operator who logs in unprivileged drain a server through the root-only socket with become', async () => {
    await sh('node1', [
      'id tbops >/dev/null 2>&1 || useradd -m -s /bin/sh tbops',
      'install -d -o tbops -m 700 /home/tbops/.ssh',
      'install -o tbops -m 600 /root/.ssh/authorized_keys /home/tbops/.ssh/authorized_keys',
      `echo ${shellQuote('tbops ALL=(ALL) NOPASSWD: ALL')} > /etc/sudoers.d/tbops`,
      'chmod 440 /etc/sudoers.d/tbops',
    ].join(' && '));
    const dir = mkdtempSync(join(tmpdir(), 'typebook-ha-'));
    try {
      const playbook = join(dir, 'drain.yml');
      writeFileSync(playbook, [
        '- hosts: node1',
        '  gather_facts: false',
        '  vars: {ansible_user: tbops}',
        '  tasks:',
        '    - name: as tbops, the socket is out of reach',
        '      haproxy_info: {backend: nova-api}',
        '      register: denied',
        '      ignore_errors: true',
        '    - assert: {that: "denied is failed and \'Permission denied\' in denied.msg"}',
        '    - name: with become, node3 is drained and put in maintenance',
        '      community.general.haproxy: {state: disabled, host: node3, backend: nova-api, drain: true, wait: true}',
        '      become: true',
        '    - haproxy_info: {backend: nova-api, server: node3}',
        '      become: true',
        '      register: state',
        '    - assert: {that: "state.backends[\'nova-api\'].node3.admin_state == \'maint\'"}',
        '    - community.general.haproxy: {state: enabled, host: node3, backend: nova-api, wait: true}',
        '      become: true',
        '',
      ].join('\n'));
      const result = await run({}, playbook);
      expect(result.failures.filter((f) => !f.includes('out of reach'))).to.deep.equal([]);
      expect(result.exitCode).to.equal(0);
      expect(result.stats.node1!.changed).to.equal(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

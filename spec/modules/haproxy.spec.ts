/**
 * haproxy and haproxy_info against a real HAProxy 2.6 on a lab host (node1), in front of two real HTTP
 * backends: the nova API stand-in on node2 and node3. Clients run on node2 (python3, bounded in count and time).
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { CountingConnection } from '../../lib/connection/index.js';
import { shellJoin, shellQuote } from '../../lib/connection/quote.js';
import type { Lab } from '../../lib/lab/index.js';
import haproxy from '../../lib/modules/haproxy.js';
import haproxyInfo from '../../lib/modules/haproxy_info.js';
import type { ModuleResult } from '../../lib/modules/module.js';
import { labSsh, labSshArgs, useLab } from '../lab/fixture.js';
import { checkModuleArgs } from '../../lib/playbook/module-args.js';
import { runAnsible } from './ansible.js';
import { checkedArgs, labConnection, runModule } from './harness.js';

const SOCKET = '/var/run/haproxy.sock';
const STANDIN = readFileSync(new URL('../../lib/lab/nova-standin.py', import.meta.url), 'utf8');

/** Fires `count` GET requests at once; prints `<label> <i> <status> <X-Served-By>` (or `<label> <i> error ...`) as each ends. */
const CLIENT = `
import sys, threading, urllib.request
url, count, label = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def one(i):
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            r.read()
            print('%s %d %d %s' % (label, i, r.status, r.headers.get('X-Served-By')), flush=True)
    except Exception as e:
        print('%s %d error %s' % (label, i, e), flush=True)
threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
for t in threads: t.start()
for t in threads: t.join()
`;

interface ServerInfo {
  status: string;
  admin_state: string;
  uweight: number;
  weight: number;
  scur: number;
  qcur: number;
}
type Backends = Record<string, Record<string, ServerInfo>>;

function address(lab: Lab, host: string): string {
  const h = lab.hosts.find((x) => x.name === host);
  if (!h) throw new Error(`no ${host}`);
  return h.address;
}

function config(lab: Lab): string {
  const [n1, n2, n3] = ['node1', 'node2', 'node3'].map((h) => address(lab, h));
  return `global
    daemon
    stats socket ${SOCKET} mode 600 level admin
    stats timeout 2m

# no 'option redispatch': requests queued on a server stay on its queue when it is drained (qcur), instead of
# moving to the backend's queue, so the drain really waits for the queue too
defaults
    mode http
    retries 3
    timeout connect 5s
    timeout client 1m
    timeout server 1m
    timeout queue 30s
    timeout check 2s

frontend nova-api-vip
    bind ${n1}:8282
    default_backend nova-api

backend nova-api
    balance roundrobin
    option httpchk GET /
    # ?to=node2 pins a request to node2, whose maxconn 1 then queues the others on it (qcur)
    use-server node2 if { url_param(to) -m str node2 }
    server node2 ${n2}:8774 check inter 300ms rise 2 fall 2 weight 10 maxconn 1
    server node3 ${n3}:8774 check inter 300ms rise 2 fall 2 weight 10 maxconn 1

backend tracking
    server node2 ${n2}:8774 track nova-api/node2
`;
}

/** Runs a command on a lab host with `stdin`; fails the test on a non-zero exit. */
async function sshWithInput(lab: Lab, host: string, command: string, stdin: string): Promise<string> {
  const result = await labSsh(lab, host, command, 60_000, stdin);
  if (result.code !== 0) throw new Error(`${host}: ${command} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

/** Starts the client on node2; each line it prints is pushed to `events` as it arrives. */
function startClient(lab: Lab, events: string[], path: string, count: number, label: string): Promise<string[]> {
  const url = `http://${address(lab, 'node1')}:8282${path}`;
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', [...labSshArgs(lab, 'node2'), shellJoin(['timeout', '40', 'python3', '-c', CLIENT, url, String(count), label])], { stdio: ['ignore', 'pipe', 'pipe'] });
    const mine: string[] = [];
    let partial = '';
    child.stdout.on('data', (b: Buffer) => {
      partial += b.toString();
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        events.push(line);
        mine.push(line);
      }
    });
    child.on('error', reject);
    child.on('close', () => resolve(mine));
  });
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, tries = 100, ms = 100): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < tries; i++) {
    last = await read();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, ms));
  }
  throw new Error(`never ${what}: ${JSON.stringify(last)}`);
}

describe('haproxy module (lab)', function () {
  this.timeout(60_000);
  const fixture = useLab({ hosts: 3, name: 'mod-haproxy' });
  let conn: CountingConnection;
  let probe: CountingConnection;
  const standinPids = new Map<string, string>();

  const info = async (backend = 'nova-api'): Promise<Record<string, ServerInfo>> => {
    const r = await runModule(haproxyInfo, { backend }, probe);
    expect(r.failed, String(r.msg)).to.not.equal(true);
    return (r.backends as Backends)[backend]!;
  };
  /** Runs the module and returns its result with the round trips it took. */
  const run = async (args: Record<string, unknown>, options: { check?: boolean; diff?: boolean } = {}): Promise<ModuleResult & { trips: number }> => {
    const start = conn.roundTrips;
    const result = await runModule(haproxy, args, conn, options);
    return { ...result, trips: conn.roundTrips - start };
  };
  const startStandin = async (host: string): Promise<void> => {
    const pid = await sshWithInput(fixture.lab, host,
      'cat > /tmp/nova-standin.py && { setsid python3 /tmp/nova-standin.py api-alone --bind 0.0.0.0 --port 8774 --quiet </dev/null >/tmp/standin.log 2>&1 & echo $!; }', STANDIN);
    standinPids.set(host, pid.trim());
  };
  const stopStandin = async (host: string): Promise<void> => {
    const pid = standinPids.get(host);
    if (pid === undefined) return;
    standinPids.delete(host);
    await labSsh(fixture.lab, host, `kill ${shellQuote(pid)}; for i in $(seq 50); do kill -0 ${shellQuote(pid)} 2>/dev/null || exit 0; sleep 0.1; done; exit 1`);
  };
  before(async function () {
    this.timeout(180_000);
    const lab = fixture.lab;
    const install = await labSsh(lab, 'node1', 'DEBIAN_FRONTEND=noninteractive apt-get install -y haproxy >/tmp/apt.log 2>&1 || { tail -20 /tmp/apt.log; exit 1; }');
    expect(install.code, install.stdout + install.stderr).to.equal(0);
    await Promise.all([startStandin('node2'), startStandin('node3')]);
    await sshWithInput(lab, 'node1', 'cat > /etc/haproxy/haproxy.cfg && haproxy -c -q -f /etc/haproxy/haproxy.cfg && /etc/init.d/haproxy restart >/dev/null', config(lab));
    conn = labConnection(lab, 'node1');
    probe = labConnection(lab, 'node1');
    await until('both servers UP', () => info(), (s) => s.node2?.status === 'UP' && s.node3?.status === 'UP');
  });
  after(async function () {
    this.timeout(30_000);
    await conn?.close();
    await probe?.close();
    await Promise.all([...standinPids.keys()].map((h) => stopStandin(h)));
  });

  it('haproxy_info reads every server of a backend in one round trip', async () => {
    const start = probe.roundTrips;
    const r = await runModule(haproxyInfo, {}, probe);
    expect(probe.roundTrips - start).to.equal(1);
    const backends = r.backends as Backends;
    expect(Object.keys(backends)).to.deep.equal(['nova-api', 'tracking']);
    expect(backends['nova-api']!.node2).to.include({ status: 'UP', admin_state: 'ready', weight: 10, uweight: 10, scur: 0, qcur: 0, health_check: 'enabled' });
    expect(backends.tracking!.node2).to.include({ status: 'UP', health_check: 'none' });
  });

  it('drains a server under live slow requests: returns once its sessions and queue are done, new requests go to the other', async () => {
    const lab = fixture.lab;
    const events: string[] = [];
    // three slow requests pinned to node2: one in progress, two queued on it (maxconn 1); each takes 3 s, so that
    // all three are seen at once even when a loaded machine starts the client's threads late
    const slow = startClient(lab, events, '/?delay=3&to=node2', 3, 'slow');
    await until('node2 busy with a queue', () => info(), (s) => s.node2!.scur === 1 && s.node2!.qcur === 2);
    const drain = run({ state: 'drain', host: 'node2', backend: 'nova-api', wait: true, wait_interval: 1, wait_retries: 20, socket: SOCKET })
      .then((r) => {
        events.push('module returned');
        return r;
      });
    await until('node2 in drain', () => info(), (s) => s.node2!.admin_state === 'drain');
    const fast = await startClient(lab, events, '/', 4, 'fast');
    const result = await drain;
    const slowLines = await slow;

    expect(result.failed, String(result.msg)).to.not.equal(true);
    expect(result.changed).to.equal(true);
    expect(result.command).to.deep.equal(['set server nova-api/node2 state drain']);
    const [before] = result.state_before as ServerInfo[];
    const [after] = result.state_after as ServerInfo[];
    expect(before).to.include({ admin_state: 'ready', status: 'UP' });
    expect(before).to.include({ scur: 1, qcur: 2 });
    expect(after).to.include({ admin_state: 'drain', status: 'DRAIN', scur: 0, qcur: 0 });
    // every slow request succeeded, each before the module returned
    expect(slowLines).to.have.length(3);
    const returned = events.indexOf('module returned');
    for (const line of slowLines) {
      expect(line).to.match(/^slow \d 200 node2$/);
      expect(events.indexOf(line)).to.be.lessThan(returned);
    }
    // requests that came during the drain went to node3 only, and were answered while the module still waited
    expect(fast).to.have.length(4);
    for (const line of fast) {
      expect(line).to.match(/^fast \d 200 node3$/);
      expect(events.indexOf(line)).to.be.lessThan(returned);
    }

    const again = await run({ state: 'drain', host: 'node2', backend: 'nova-api', wait: true, wait_interval: 1, socket: SOCKET });
    expect(again).to.include({ changed: false, trips: 1 });
  });

  it('disables (MAINT), enables (UP, weight kept), with no change the second time and nothing changed in check mode', async () => {
    const args = { host: 'node2', backend: 'nova-api' };
    const disabled = await run({ ...args, state: 'disabled' }, { diff: true });
    expect(disabled).to.include({ changed: true, trips: 2, msg: 'nova-api/node2: admin_state drain -> maint' });
    expect(disabled.state_after).to.have.deep.nested.property('[0].status', 'MAINT');
    expect(disabled.diff).to.deep.equal([{
      before: 'nova-api/node2: admin_state=drain weight=10 health_check=enabled agent_check=none\n',
      after: 'nova-api/node2: admin_state=maint weight=10 health_check=enabled agent_check=none\n',
      beforeHeader: `${SOCKET} (before)`,
      afterHeader: `${SOCKET} (after)`,
    }]);
    expect(await run({ ...args, state: 'disabled' })).to.include({ changed: false, trips: 1 });
    expect((await info()).node2).to.include({ status: 'MAINT', admin_state: 'maint' });

    const check = await run({ ...args, state: 'enabled' }, { check: true, diff: true });
    expect(check).to.include({ changed: true, trips: 1 });
    expect(check.command).to.deep.equal(['set server nova-api/node2 state ready']);
    expect(check.state_after).to.have.deep.nested.property('[0].admin_state', 'ready');
    expect((await info()).node2).to.include({ status: 'MAINT', admin_state: 'maint' });

    const enabled = await run({ ...args, state: 'enabled', wait: true, wait_interval: 1, wait_retries: 20 });
    expect(enabled.failed, String(enabled.msg)).to.not.equal(true);
    expect(enabled.changed).to.equal(true);
    expect(enabled.state_after).to.have.deep.nested.property('[0].status', 'UP');
    expect((await info()).node2).to.include({ status: 'UP', admin_state: 'ready', weight: 10, uweight: 10 });
    expect(await run({ ...args, state: 'enabled', wait: true })).to.include({ changed: false, trips: 1 });
    expect(await run({ ...args, state: 'enabled' }, { check: true })).to.include({ changed: false, trips: 1 });
  });

  it('sets an absolute weight and a weight relative to the configured one', async () => {
    const args = { host: 'node3', backend: 'nova-api', state: 'enabled' };
    expect(await run({ ...args, weight: 4 })).to.include({ changed: true, trips: 2, msg: 'nova-api/node3: weight 10 -> 4' });
    expect((await info()).node3).to.include({ uweight: 4, weight: 4 });
    expect(await run({ ...args, weight: '4' })).to.include({ changed: false, trips: 1 });
    expect(await run({ ...args, weight: '50%' })).to.include({ changed: true, trips: 2 });
    expect((await info()).node3).to.include({ uweight: 5 });
    expect(await run({ ...args, weight: '50%' })).to.include({ changed: false, trips: 1 });
    expect(await run({ ...args, weight: '100%' })).to.include({ changed: true });
    expect((await info()).node3).to.include({ uweight: 10 });
  });

  it('finds the backends of a server when none is given', async () => {
    const r = await run({ host: 'node2', state: 'disabled' });
    expect(r.changed).to.equal(true);
    // tracking/node2 is in maintenance twice: forced, and inherited from nova-api/node2
    expect((r.state_after as { backend: string; status: string }[]).map((s) => `${s.backend} ${s.status}`)).to.deep.equal(['nova-api MAINT', 'tracking MAINT (via nova-api/node2)']);
    expect(r.state_after).to.have.deep.nested.property('[1].admin_state', 'maint');
    const back = await run({ host: 'node2', state: 'enabled', wait: true, wait_interval: 1, wait_retries: 20 });
    expect(back.failed, String(back.msg)).to.not.equal(true);
    expect((back.state_after as { status: string }[]).map((s) => s.status)).to.deep.equal(['UP', 'UP']);
  });

  it('names what exists for a wrong backend or server; does nothing without fail_on_not_found, as Ansible', async () => {
    const wrongBackend = await run({ host: 'node2', backend: 'nova-apj', state: 'disabled', fail_on_not_found: true });
    expect(wrongBackend).to.include({ failed: true, changed: false, msg: "backend 'nova-apj' not found (backends: nova-api, tracking; did you mean 'nova-api'?)" });
    const wrongServer = await run({ host: 'nod3', backend: 'nova-api', state: 'disabled', fail_on_not_found: true });
    expect(wrongServer).to.include({ failed: true, msg: "server 'nod3' not found in backend 'nova-api' (its servers: node2, node3; did you mean 'node3'?)" });
    const nowhere = await run({ host: 'node9', state: 'disabled', fail_on_not_found: true });
    expect(nowhere.msg).to.match(/^server 'node9' not found in any backend \(servers: nova-api\/node2, nova-api\/node3, tracking\/node2/);
    const tolerated = await run({ host: 'nod3', backend: 'nova-api', state: 'disabled' });
    expect(tolerated.failed).to.not.equal(true);
    expect(tolerated).to.include({ changed: false, trips: 1 });
    expect(tolerated.msg).to.match(/not found .*nothing done \(fail_on_not_found is false\)/);
    const info404 = await runModule(haproxyInfo, { backend: 'nova-api', server: 'node4' }, probe);
    expect(info404).to.include({ failed: true, msg: "server 'node4' not found in backend 'nova-api' (its servers: node2, node3; did you mean 'node2'?)" });
  });

  it('fails clearly when the socket does not exist', async () => {
    const other = labConnection(fixture.lab, 'node1');
    try {
      const r = await runModule(haproxy, { host: 'node2', state: 'enabled', socket: '/run/no-haproxy.sock' }, other);
      expect(r.failed).to.equal(true);
      expect(r.msg).to.match(/cannot connect to unix socket \/run\/no-haproxy\.sock.*stats socket \/run\/no-haproxy\.sock level admin/);
    } finally {
      await other.close();
    }
  });

  it('does not hang draining a server that is DOWN, and fails (bounded) waiting for it to come UP', async () => {
    await stopStandin('node3');
    await until('node3 DOWN', () => info(), (s) => s.node3!.status === 'DOWN');
    const drained = await run({ host: 'node3', backend: 'nova-api', state: 'drain', wait: true, wait_interval: 1, wait_retries: 10 });
    expect(drained.failed, String(drained.msg)).to.not.equal(true);
    expect(drained).to.include({ changed: true, trips: 2 });
    expect(drained.state_after).to.have.deep.nested.property('[0].status', 'DOWN');
    expect(await run({ host: 'node3', backend: 'nova-api', state: 'disabled', drain: true, wait: true, wait_interval: 1, wait_retries: 10 }))
      .to.include({ changed: true, trips: 2 });

    // out of maintenance HAProxy shows it 'UP 1/2' until its next check fails: the wait does not take that for UP
    const notUp = await run({ host: 'node3', backend: 'nova-api', state: 'enabled', wait: true, wait_interval: 1, wait_retries: 3 });
    expect(notUp).to.include({ failed: true, changed: true, trips: 4 });
    expect(notUp.msg).to.match(/^not UP after 3 reads 1 s apart: nova-api\/node3 status DOWN/);

    await startStandin('node3');
    const up = await run({ host: 'node3', backend: 'nova-api', state: 'enabled', wait: true, wait_interval: 1, wait_retries: 20 });
    expect(up.failed, String(up.msg)).to.not.equal(true);
    expect(up).to.include({ changed: false });
    expect(up.state_after).to.have.deep.nested.property('[0].status', 'UP');
  });

  it('refuses bad arguments by validation, at load time with file:line:col', () => {
    const refused = (args: Record<string, unknown>): string => {
      try {
        checkedArgs(haproxy, args);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error(`accepted ${JSON.stringify(args)}`);
    };
    expect(refused({ host: 'node2', state: 'up' })).to.equal(`<test>:1:1 error: after templating: 'state' is 'up'; expected one of "enabled", "disabled", "drain"`);
    expect(refused({ host: 'node2', state: 'enabled', weight: 'abc' })).to.equal("<test>:1:1 error: after templating: 'weight' is 'abc'; expected a weight: 0 to 256, or 0% to 100% of the configured weight");
    expect(refused({ host: 'node2', state: 'enabled', weight: 300 })).to.match(/'weight' is '300'; expected a weight/);
    expect(refused({ host: 'node2', state: 'enabled', weight: '101%' })).to.match(/'weight' is '101%'; expected a weight/);
    expect(refused({ host: 'node2;shutdown sessions server b/s', state: 'enabled' })).to.match(/'host' is .*; expected a HAProxy name: letters, digits and \. _ : -$/);
    expect(refused({ host: 'node2', state: 'enabled', wait_retries: 0 })).to.match(/wait_retries/);
    expect(refused({ hots: 'node2', state: 'enabled' })).to.match(/unknown argument 'hots' for module haproxy \(did you mean 'host'\?\)/);
    expect(checkedArgs(haproxy, { host: 'node2', state: 'enabled', weight: 7, wait: 'yes' })).to.deep.equal({ host: 'node2', state: 'enabled', weight: '7', wait: true });
    // at load time a template may stand for a name or a weight; a literal is checked there already
    expect(checkModuleArgs(haproxy, { host: '{{ inventory_hostname }}', state: 'drain', weight: '{{ w }}' }, { file: 'site.yml', line: 3, col: 7 })).to.deep.equal([]);
    const problems = checkModuleArgs(haproxy, { host: 'node2', state: 'drained' }, { file: 'site.yml', line: 3, col: 7 });
    expect(problems).to.have.length(1);
    expect(problems[0]).to.include({ file: 'site.yml', line: 3 });
    expect(problems[0]!.message).to.match(/'state' is 'drained'/);
  });

  it('ends the sessions of a server it disables with shutdown_sessions', async () => {
    const events: string[] = [];
    const slow = startClient(fixture.lab, events, '/?delay=5&to=node2', 1, 'slow');
    await until('node2 busy', () => info(), (s) => s.node2!.scur === 1);
    const r = await run({ host: 'node2', backend: 'nova-api', state: 'disabled', shutdown_sessions: true });
    expect(r).to.include({ changed: true, trips: 2 });
    expect(r.command).to.deep.equal(['set server nova-api/node2 state maint', 'shutdown sessions server nova-api/node2']);
    const [line] = await slow;
    expect(line).to.match(/^slow 0 error /);
    await until('node2 without sessions', () => info(), (s) => s.node2!.scur === 0);
    expect(await run({ host: 'node2', backend: 'nova-api', state: 'disabled', shutdown_sessions: true })).to.include({ changed: false, trips: 1 });
    expect(await run({ host: 'node2', backend: 'nova-api', state: 'enabled', wait: true, wait_interval: 1, wait_retries: 20 })).to.include({ changed: true });
  });

  it('with disabled + drain, drains, waits for the session in flight, then disables', async () => {
    const events: string[] = [];
    const slow = startClient(fixture.lab, events, '/?delay=1.5&to=node2', 1, 'slow');
    await until('node2 busy', () => info(), (s) => s.node2!.scur === 1);
    const r = await run({ host: 'node2', backend: 'nova-api', state: 'disabled', drain: true, wait_interval: 1, wait_retries: 20 });
    events.push('module returned');
    await slow;
    expect(r.failed, String(r.msg)).to.not.equal(true);
    expect(r.changed).to.equal(true);
    expect(r.command).to.deep.equal(['set server nova-api/node2 state drain', 'set server nova-api/node2 state maint']);
    expect(events).to.deep.equal(['slow 0 200 node2', 'module returned']);
    expect(r.state_after).to.have.deep.nested.property('[0].status', 'MAINT');
    // read, drain + read, at least one more read while the request runs, maint + read
    expect(r.trips).to.be.at.least(4);
    expect(await run({ host: 'node2', backend: 'nova-api', state: 'disabled', drain: true })).to.include({ changed: false, trips: 1 });
    expect(await run({ host: 'node2', backend: 'nova-api', state: 'enabled', wait: true, wait_interval: 1, wait_retries: 20 })).to.include({ changed: true });
  });

  it('agrees with Ansible\'s community.general.haproxy both ways', async function () {
    this.timeout(90_000);
    const target = { host: 'node2', backend: 'nova-api', socket: SOCKET };
    expect(await run({ ...target, state: 'disabled' })).to.include({ changed: true });
    const ansibleAfterUs = await runAnsible(fixture.lab, 'node1', 'community.general.haproxy', { ...target, state: 'disabled' });
    expect(ansibleAfterUs.status, JSON.stringify(ansibleAfterUs.result)).to.equal('SUCCESS');
    expect(ansibleAfterUs.result.state_after).to.deep.equal([{ status: 'MAINT', weight: '10', scur: '0' }]);

    const ansibleEnables = await runAnsible(fixture.lab, 'node1', 'community.general.haproxy', { ...target, state: 'enabled' });
    expect(ansibleEnables.status, JSON.stringify(ansibleEnables.result)).to.equal('CHANGED');
    expect(await run({ ...target, state: 'enabled' })).to.include({ changed: false, trips: 1 });
    expect(await run({ ...target, state: 'disabled' }, { check: true })).to.include({ changed: true });
    expect((await info()).node2).to.include({ admin_state: 'ready' });
  });
});

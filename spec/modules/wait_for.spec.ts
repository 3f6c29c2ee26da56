/** wait_for on real lab hosts: a real HTTP server and sshd on 10.x addresses, files, draining connections. */
import { expect } from 'chai';
import type { CountingConnection } from '../../lib/connection/index.js';
import waitFor from '../../lib/modules/wait_for.js';
import { labSsh, useLab } from '../lab/fixture.js';
import { runAnsible as ansible } from './ansible.js';
import { checkedArgs, labConnection, runCounted } from './harness.js';


describe('wait_for module', function () {
  this.timeout(60_000);
  let node1: CountingConnection;
  let node2: CountingConnection;
  let serverPid = '';
  after(async () => {
    if (serverPid) await labSsh(fixture.lab, 'node2', `kill ${serverPid}`);
    await node1?.close();
    await node2?.close();
  });
  const fixture = useLab({ hosts: 2, name: 'mod-wait-for' });
  let node2Address = '';
  const counted = (conn: CountingConnection, args: Record<string, unknown>) => runCounted(waitFor, args, conn);

  before(async () => {
    node1 = labConnection(fixture.lab, 'node1');
    node2 = labConnection(fixture.lab, 'node2');
    node2Address = fixture.lab.hosts.find((h) => h.name === 'node2')!.address;
    const started = await labSsh(fixture.lab, 'node2', `cd /tmp; setsid python3 -m http.server 8080 --bind ${node2Address} >/dev/null 2>&1 </dev/null & echo $!`);
    serverPid = started.stdout.trim();
    expect(serverPid).to.match(/^\d+$/);
  });

  it('waits for a port another host serves (1 round trip), as Ansible reports it', async () => {
    const { result, trips } = await counted(node1, { host: node2Address, port: 8080, timeout: 20 });
    expect(trips).to.equal(1);
    expect(result).to.include({ changed: false, state: 'started', port: 8080, path: null, search_regex: null });
    expect(result.failed).to.equal(undefined);
    const ours = Object.keys(result).sort();
    const { status, result: theirs } = await ansible(fixture.lab, 'node1', 'ansible.builtin.wait_for', { host: node2Address, port: 8080, timeout: 20 });
    expect(status).to.equal('SUCCESS');
    expect(ours).to.deep.equal(Object.keys(theirs).filter((k) => !k.startsWith('_') && k !== 'invocation').sort());
  });

  it('fails with Ansible\'s message when the port never opens, and takes msg', async () => {
    const { result, trips } = await counted(node1, { host: node2Address, port: 8081, timeout: 1, connect_timeout: 1 });
    expect(trips).to.equal(1);
    expect(result).to.include({ changed: false, failed: true, msg: `Timeout when waiting for ${node2Address}:8081` });
    const custom = await counted(node1, { host: node2Address, port: 8081, timeout: 1, msg: 'backend is down' });
    expect(custom.result.msg).to.equal('backend is down');
    expect((await counted(node1, { host: node2Address, port: 8081, state: 'stopped', timeout: 5 })).result.failed).to.equal(undefined);
  });

  it('finds a text in what the port sends (sshd banner), with groups', async () => {
    const { result } = await counted(node1, { host: node2Address, port: 22, search_regex: 'OpenSSH_(\\d+)', timeout: 10 });
    expect(result.failed, String(result.msg)).to.equal(undefined);
    expect(result.match_groups).to.have.length(1);
    expect((result.match_groups as string[])[0]).to.match(/^\d+$/);
  });

  it('waits for a file to appear with a text, and to go away', async () => {
    await labSsh(fixture.lab, 'node1', `rm -f /tmp/ready; (sleep 1; echo 'booted pid=42' > /tmp/ready) >/dev/null 2>&1 </dev/null &`);
    const { result } = await counted(node1, { path: '/tmp/ready', search_regex: 'pid=(?P<pid>\\d+)', timeout: 20 });
    expect(result.failed, String(result.msg)).to.equal(undefined);
    expect(result).to.include({ changed: false, path: '/tmp/ready', state: 'started' });
    expect(result.match_groupdict).to.deep.equal({ pid: '42' });
    expect(result.match_groups).to.deep.equal(['42']);
    const gone = await counted(node1, { path: '/tmp/ready', state: 'absent', timeout: 1 });
    expect(gone.result).to.include({ failed: true, msg: 'Timeout when waiting for /tmp/ready to be absent.' });
    await labSsh(fixture.lab, 'node1', 'rm /tmp/ready');
    expect((await counted(node1, { path: '/tmp/ready', state: 'absent', timeout: 5 })).result.failed).to.equal(undefined);
  });

  it('waits for established connections on a port to drain (from /proc/net/tcp)', async () => {
    const held = await labSsh(fixture.lab, 'node1', `python3 -c 'import socket,sys,time; s=socket.create_connection((sys.argv[1], 8080)); print("open", flush=True); time.sleep(30)' ${node2Address} >/tmp/hold.log 2>&1 </dev/null & pid=$!; for i in $(seq 50); do grep -q open /tmp/hold.log && break; sleep 0.1; done; echo $pid`);
    const holder = held.stdout.trim();
    expect(holder).to.match(/^\d+$/);
    const busy = await counted(node2, { host: '0.0.0.0', port: 8080, state: 'drained', timeout: 1 });
    expect(busy.result).to.include({ failed: true, msg: 'Timeout when waiting for 0.0.0.0:8080 to drain' });
    // only ESTABLISHED counted and the client excluded: nothing left to wait for
    const excluded = await counted(node2, { host: '0.0.0.0', port: 8080, state: 'drained', timeout: 1, exclude_hosts: [fixture.lab.hosts[0]!.address] });
    expect(excluded.result.failed).to.equal(undefined);
    await labSsh(fixture.lab, 'node1', `kill ${holder}`);
    const drained = await counted(node2, { host: '0.0.0.0', port: 8080, state: 'drained', timeout: 20 });
    expect(drained.result).to.include({ changed: false, state: 'drained', port: 8080 });
    expect(drained.result.failed).to.equal(undefined);
  });

  it('refuses bad arguments (schema) and bad combinations (Ansible\'s messages)', async () => {
    expect(() => checkedArgs(waitFor, { port: 80, stat: 'started' })).to.throw(/did you mean 'state'/);
    expect(() => checkedArgs(waitFor, { port: 'http' })).to.throw(/port/);
    expect(() => checkedArgs(waitFor, { port: 80, active_connection_states: ['OPEN'] })).to.throw(/ESTABLISHED/);
    expect(() => checkedArgs(waitFor, { port: 80, path: '/tmp/x' })).to.throw(/module wait_for: parameters are mutually exclusive: port\|path/);
    expect(() => checkedArgs(waitFor, { path: '/tmp/x', state: 'stopped' })).to.throw(/module wait_for: state=stopped should only be used for checking a port in the wait_for module/);
    expect(() => checkedArgs(waitFor, { port: 80, exclude_hosts: ['10.0.0.1'] })).to.throw(/exclude_hosts should only be with state=drained/);
    expect((await counted(node1, { path: '/tmp/x', search_regex: '(' })).result.msg).to.match(/^Invalid regular expression/);
  });
});

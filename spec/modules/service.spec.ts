/** service on real lab hosts (SysV init, no systemd) with haproxy from the lab repo, and against Ansible's service. */
import { expect } from 'chai';
import type { CountingConnection } from '../../lib/connection/index.js';
import service, { sysvRunning } from '../../lib/modules/service.js';
import { labSsh, useLab } from '../lab/fixture.js';
import { runAnsible as ansible } from './ansible.js';
import { checkedArgs, labConnection, runCounted } from './harness.js';


describe('service module', function () {
  this.timeout(60_000);
  let node1: CountingConnection;
  after(async () => {
    await node1?.close();
  });
  const fixture = useLab({ hosts: 1, name: 'mod-service' });
  const running = async () => (await labSsh(fixture.lab, 'node1', 'service haproxy status')).code === 0;
  const counted = (args: Record<string, unknown>, options: { check?: boolean } = {}) => runCounted(service, args, node1, options);

  before(async function () {
    this.timeout(120_000);
    node1 = labConnection(fixture.lab, 'node1');
    const install = await labSsh(fixture.lab, 'node1', 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q haproxy');
    expect(install.code, install.stderr).to.equal(0);
  });

  it('reads a SysV status as Ansible does', () => {
    expect(sysvRunning('haproxy', 0, 'haproxy is running.\n')).to.equal(true);
    expect(sysvRunning('haproxy', 3, 'haproxy not running.\n')).to.equal(false);
    expect(sysvRunning('x', 0, 'x is not running\n')).to.equal(false);
    expect(sysvRunning('x', 0, 'line one\nline two\nline three\n')).to.equal(true);
    expect(sysvRunning('x', 5, 'line one\nline two\nline three\n')).to.equal(undefined);
  });

  it('stops a running service (2 round trips), then changes nothing (1)', async () => {
    expect(await running()).to.equal(true); // the package's install started it
    const first = await counted({ name: 'haproxy', state: 'stopped' });
    expect(first.result).to.deep.equal({ changed: true, name: 'haproxy', state: 'stopped' });
    expect(first.trips).to.equal(2);
    expect(await running()).to.equal(false);
    const second = await counted({ name: 'haproxy', state: 'stopped' });
    expect(second.result).to.deep.equal({ changed: false, name: 'haproxy', state: 'stopped' });
    expect(second.trips).to.equal(1);
  });

  it('check mode says it would start, and starts nothing (1 round trip)', async () => {
    const { result, trips } = await counted({ name: 'haproxy', state: 'started' }, { check: true });
    expect(result.changed).to.equal(true);
    expect(trips).to.equal(1);
    expect(await running()).to.equal(false);
  });

  it('starts it, idempotently; Ansible then finds nothing to change', async () => {
    expect((await counted({ name: 'haproxy', state: 'started' })).result.changed).to.equal(true);
    expect(await running()).to.equal(true);
    const again = await counted({ name: 'haproxy', state: 'started' });
    expect(again.result.changed).to.equal(false);
    expect(again.trips).to.equal(1);
    const { status, result } = await ansible(fixture.lab, 'node1', 'ansible.builtin.service', { name: 'haproxy', state: 'started' });
    expect(status).to.equal('SUCCESS');
    expect(result.changed).to.equal(false);
  });

  it('finds nothing to change after Ansible stopped it and disabled it', async () => {
    expect((await ansible(fixture.lab, 'node1', 'ansible.builtin.service', { name: 'haproxy', state: 'stopped', enabled: false })).status).to.equal('CHANGED');
    const { result, trips } = await counted({ name: 'haproxy', state: 'stopped', enabled: false });
    expect(result).to.deep.equal({ changed: false, name: 'haproxy', enabled: false, state: 'stopped' });
    expect(trips).to.equal(1);
  });

  it('enables it with update-rc.d; Ansible agrees', async () => {
    expect((await labSsh(fixture.lab, 'node1', 'ls /etc/rc2.d/S??haproxy')).code).to.not.equal(0);
    const { result } = await counted({ name: 'haproxy', enabled: true });
    expect(result).to.deep.equal({ changed: true, name: 'haproxy', enabled: true });
    expect((await labSsh(fixture.lab, 'node1', 'ls /etc/rc2.d/S??haproxy')).code).to.equal(0);
    expect((await counted({ name: 'haproxy', enabled: true })).result.changed).to.equal(false);
    expect((await ansible(fixture.lab, 'node1', 'ansible.builtin.service', { name: 'haproxy', enabled: true })).result.changed).to.equal(false);
  });

  it('reloaded starts a stopped service; restarted always restarts (new process)', async () => {
    expect((await counted({ name: 'haproxy', state: 'reloaded' })).result).to.include({ changed: true, state: 'started' });
    expect(await running()).to.equal(true);
    const pidBefore = (await labSsh(fixture.lab, 'node1', 'cat /var/run/haproxy.pid')).stdout;
    const { result, trips } = await counted({ name: 'haproxy', state: 'restarted', sleep: 1 });
    expect(result).to.deep.equal({ changed: true, name: 'haproxy', state: 'started' });
    expect(trips).to.equal(2);
    expect(await running()).to.equal(true);
    expect((await labSsh(fixture.lab, 'node1', 'cat /var/run/haproxy.pid')).stdout).to.not.equal(pidBefore);
  });

  it('with pattern, reads the process table (and never matches its own command)', async () => {
    expect((await counted({ name: 'haproxy', state: 'started', pattern: '/usr/sbin/haproxy -f' })).result.changed).to.equal(false);
    const absent = await counted({ name: 'haproxy', state: 'stopped', pattern: 'typebook-never-running-daemon' });
    expect(absent.result.changed).to.equal(false);
    expect(absent.trips).to.equal(1);
    expect(await running()).to.equal(true);
  });

  it('is Ansible\'s service: systemd and its arguments are the systemd module\'s', () => {
    expect(service.aliases).to.not.include.members(['systemd', 'ansible.builtin.systemd', 'ansible.builtin.systemd_service']);
    expect(() => checkedArgs(service, { name: 'haproxy', state: 'started', daemon_reload: true })).to.throw(/daemon_reload/);
  });

  it('fails clearly for a service this SysV host does not have', async () => {
    const { result } = await counted({ name: 'no-such-service', state: 'started' });
    expect(result.failed).to.equal(true);
    expect(result.msg).to.match(/no \/etc\/init\.d\/no-such-service .*SysV init, no systemd/);
  });

  it('reports a failing init script with its message', async () => {
    await labSsh(fixture.lab, 'node1', `printf '#!/bin/sh\\ncase "$1" in status) exit 3;; *) echo "cannot $1: broken on purpose" >&2; exit 1;; esac\\n' > /etc/init.d/broken && chmod +x /etc/init.d/broken`);
    const { result } = await counted({ name: 'broken', state: 'started' });
    expect(result).to.include({ failed: true, msg: 'cannot start: broken on purpose\n' });
  });

  it('refuses bad arguments', async () => {
    expect(() => checkedArgs(service, { name: 'haproxy', stat: 'started' })).to.throw(/did you mean 'state'/);
    expect(() => checkedArgs(service, { name: 'haproxy', state: 'running' })).to.throw(/started/);
    expect(() => checkedArgs(service, { name: 'haproxy' })).to.throw(/module service: one of the following is required: state, enabled/);
  });
});

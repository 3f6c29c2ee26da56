/**
 * systemd_service on a real lab host, which runs no systemd (a small sh init; SysV scripts), with haproxy from
 * the lab repo: enabled and masked through systemctl's offline mode, equal to Ansible's systemd module both ways;
 * state through the init script (where Ansible's module fails, "Service is in unknown state"), checked against
 * Ansible's service module; daemon_reload failing with Ansible's message.
 */
import { expect } from 'chai';
import type { CountingConnection } from '../../lib/connection/index.js';
import { findModule } from '../../lib/modules/index.js';
import systemd, { parseSystemctlShow } from '../../lib/modules/systemd.js';
import { resolveAliases } from '../../lib/playbook/module-args.js';
import { labSsh, useLab } from '../lab/fixture.js';
import { runAnsible as ansible, runAnsibleTasks } from './ansible.js';
import { checkedArgs, labConnection, runModule } from './harness.js';

describe('systemd_service module (lab without a running systemd)', function () {
  this.timeout(90_000);
  let node1: CountingConnection;
  after(async () => node1?.close());
  const fixture = useLab({ hosts: 1, name: 'h15m-systemd' });
  const sh = async (cmd: string) => (await labSsh(fixture.lab, 'node1', cmd)).stdout;
  const running = async () => (await labSsh(fixture.lab, 'node1', 'service haproxy status')).code === 0;
  const counted = async (args: Record<string, unknown>, options: { check?: boolean } = {}) => {
    const before = node1.roundTrips;
    const result = await runModule(systemd, args, node1, options);
    return { result, trips: node1.roundTrips - before };
  };

  before(async function () {
    this.timeout(120_000);
    node1 = labConnection(fixture.lab, 'node1');
    const install = await labSsh(fixture.lab, 'node1', 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q haproxy');
    expect(install.code, install.stderr).to.equal(0);
    expect(await sh('test -d /run/systemd/system || echo no systemd')).to.equal('no systemd\n');
  });

  it('is its own module under every name, and service no longer answers to systemd', () => {
    for (const name of ['systemd', 'systemd_service', 'ansible.builtin.systemd', 'ansible.builtin.systemd_service', 'ansible.legacy.systemd']) expect(findModule(name), name).to.equal(systemd);
    expect(findModule('service')).to.not.equal(systemd);
  });

  it("checks the arguments as Ansible's argument_spec does", () => {
    expect(checkedArgs(systemd, { daemon_reload: true })).to.include({ daemon_reload: true });
    expect(checkedArgs(systemd, { 'daemon-reexec': true })).to.include({ daemon_reexec: true });
    expect(resolveAliases(systemd, { unit: 'haproxy', 'daemon-reload': true }).args).to.deep.equal({ name: 'haproxy', daemon_reload: true });
    expect(() => checkedArgs(systemd, { state: 'started' })).to.throw(/missing parameter\(s\) required by 'state': name/);
    expect(() => checkedArgs(systemd, { masked: true })).to.throw(/required by 'masked': name/);
    expect(() => checkedArgs(systemd, { name: 'x', scope: 'session' })).to.throw(/global/);
    expect(() => checkedArgs(systemd, { name: 'x', state: 'running' })).to.throw(/started/);
  });

  it('daemon_reload: check mode does nothing; a run fails with systemctl\'s error, as Ansible\'s does', async () => {
    const checked = await counted({ daemon_reload: true }, { check: true });
    expect(checked.result).to.deep.equal({ changed: false, name: null, status: {} });
    expect(checked.trips).to.equal(1);
    const [theirs, theirsChecked] = [
      await runAnsibleTasks(fixture.lab, 'node1', [{ systemd_service: { daemon_reload: true } }]),
      await runAnsibleTasks(fixture.lab, 'node1', [{ systemd_service: { daemon_reload: true } }], ['--check']),
    ];
    expect(theirsChecked[0]).to.deep.equal(checked.result);
    const ours = await runModule(systemd, { daemon_reload: true }, node1);
    expect(ours).to.deep.equal(theirs[0]);
    expect(ours.msg).to.match(/^failure 1 during daemon-reload: System has not been booted with systemd/);
  });

  it('state falls back to the init script: stops (2 round trips), then nothing to do (1); Ansible\'s service agrees', async () => {
    expect(await running()).to.equal(true);
    const stop = await counted({ name: 'haproxy', state: 'stopped' });
    expect(stop.result).to.deep.equal({ changed: true, name: 'haproxy', state: 'stopped', status: {} });
    expect(stop.trips).to.equal(2);
    expect(await running()).to.equal(false);
    const again = await counted({ name: 'haproxy', state: 'stopped' });
    expect(again.result.changed).to.equal(false);
    expect(again.trips).to.equal(1);
    expect((await ansible(fixture.lab, 'node1', 'ansible.builtin.service', { name: 'haproxy', state: 'stopped' })).result.changed).to.equal(false);
    // Ansible's systemd module itself cannot tell the state without systemd
    expect((await ansible(fixture.lab, 'node1', 'ansible.builtin.systemd_service', { name: 'haproxy', state: 'started' })).result.msg).to.equal('Service is in unknown state');
  });

  it('state: check mode starts nothing; started, restarted (new process), reloaded', async () => {
    expect((await counted({ name: 'haproxy', state: 'started' }, { check: true })).result.changed).to.equal(true);
    expect(await running()).to.equal(false);
    expect((await counted({ name: 'haproxy', state: 'started' })).result).to.include({ changed: true, state: 'started' });
    expect(await running()).to.equal(true);
    expect((await ansible(fixture.lab, 'node1', 'ansible.builtin.service', { name: 'haproxy', state: 'started' })).result.changed).to.equal(false);
    const pid = await sh('cat /var/run/haproxy.pid');
    expect((await counted({ name: 'haproxy', state: 'restarted' })).result).to.include({ changed: true, state: 'started' });
    expect(await running()).to.equal(true);
    expect(await sh('cat /var/run/haproxy.pid')).to.not.equal(pid);
    expect((await counted({ name: 'haproxy', state: 'reloaded' })).result).to.include({ changed: true, state: 'started' });
    expect(await running()).to.equal(true);
  });

  it("enabled goes through systemctl as Ansible's does: same results, and each finds the other's change done", async () => {
    const theirsChecked = await runAnsibleTasks(fixture.lab, 'node1', [{ systemd: { name: 'haproxy', enabled: false } }], ['--check']);
    const checked = await counted({ name: 'haproxy', enabled: false }, { check: true });
    expect(checked.result).to.deep.equal(theirsChecked[0]);
    expect(checked.result).to.deep.equal({ changed: true, name: 'haproxy', enabled: false, status: {} });
    expect(checked.trips).to.equal(1);
    expect((await counted({ name: 'haproxy', enabled: false })).result).to.deep.equal({ changed: true, name: 'haproxy', enabled: false, status: {} });
    expect(await sh('ls /etc/rc2.d/ | grep haproxy')).to.match(/^K\d\dhaproxy/);
    expect((await runAnsibleTasks(fixture.lab, 'node1', [{ systemd: { name: 'haproxy', enabled: false } }]))[0]).to.deep.equal({ changed: false, name: 'haproxy', enabled: false, status: {} });
    expect((await runAnsibleTasks(fixture.lab, 'node1', [{ systemd: { name: 'haproxy', enabled: true } }]))[0]).to.deep.equal({ changed: true, name: 'haproxy', enabled: true, status: {} });
    const after = await counted({ name: 'haproxy', enabled: true });
    expect(after.result).to.deep.equal({ changed: false, name: 'haproxy', enabled: true, status: {} });
    expect(after.trips).to.equal(1);
  });

  it("masked links the unit to /dev/null through systemctl, as Ansible's does, both ways", async () => {
    expect((await counted({ name: 'haproxy', masked: true }, { check: true })).result).to.deep.equal({ changed: true, name: 'haproxy', status: {} });
    expect(await sh('readlink /etc/systemd/system/haproxy.service || echo none')).to.equal('none\n');
    expect((await counted({ name: 'haproxy', masked: true })).result).to.deep.equal({ changed: true, name: 'haproxy', status: {} });
    expect(await sh('readlink /etc/systemd/system/haproxy.service')).to.equal('/dev/null\n');
    expect((await runAnsibleTasks(fixture.lab, 'node1', [{ systemd: { name: 'haproxy', masked: true } }]))[0]).to.deep.equal({ changed: false, name: 'haproxy', status: {} });
    // unmasking and enabling at once: enabled is read after unmasking, as Ansible does
    const both = await counted({ name: 'haproxy', masked: false, enabled: true });
    expect(both.result).to.deep.equal({ changed: true, name: 'haproxy', enabled: true, status: {} });
    expect(await sh('readlink /etc/systemd/system/haproxy.service || echo none')).to.equal('none\n');
    expect((await runAnsibleTasks(fixture.lab, 'node1', [{ systemd: { name: 'haproxy', masked: false, enabled: true } }]))[0]).to.deep.equal({ changed: false, name: 'haproxy', enabled: true, status: {} });
    expect((await runAnsibleTasks(fixture.lab, 'node1', [{ systemd: { name: 'haproxy', masked: true } }]))[0]).to.include({ changed: true });
    expect((await counted({ name: 'haproxy', masked: true })).result.changed).to.equal(false);
    expect((await counted({ name: 'haproxy', masked: false })).result.changed).to.equal(true);
  });

  it("fails as Ansible's does for a unit neither systemd nor init.d knows, and for a glob", async () => {
    const cases = [{ name: 'typebook-no-such', enabled: true }, { name: 'typebook-no-such', masked: true }, { name: 'web*', state: 'started' }];
    const theirs = await runAnsibleTasks(fixture.lab, 'node1', cases.map((args) => ({ systemd: args })));
    for (const [i, args] of cases.entries()) expect(await runModule(systemd, args, node1), JSON.stringify(args)).to.deep.equal(theirs[i]);
    expect(theirs[0]).to.include({ failed: true, rc: 1 });
  });

  it('without systemctl at all: state and enabled as the service module does them, masked and daemon_reload a clear error', async () => {
    // only this lab host's overlay loses systemctl
    await sh('mv /usr/bin/systemctl /usr/bin/systemctl.h15m-hidden');
    try {
      expect(await sh('command -v systemctl || echo none')).to.equal('none\n');
      expect((await counted({ name: 'haproxy', enabled: false })).result).to.deep.equal({ changed: true, name: 'haproxy', enabled: false, status: {} });
      expect(await sh('ls /etc/rc2.d/ | grep haproxy')).to.match(/^K\d\dhaproxy/);
      expect((await counted({ name: 'haproxy', enabled: true, state: 'started' })).result).to.deep.equal({ changed: true, name: 'haproxy', enabled: true, state: 'started', status: {} });
      expect(await sh('ls /etc/rc2.d/ | grep haproxy')).to.match(/^S\d\dhaproxy/);
      expect((await counted({ name: 'haproxy', enabled: true, state: 'started' })).result.changed).to.equal(false);
      expect((await counted({ name: 'haproxy', masked: true })).result).to.deep.include({ failed: true, msg: 'Failed to find required executable "systemctl": this host has no systemd, which masked needs' });
      expect((await counted({ daemon_reload: true })).result).to.include({ failed: true });
      expect((await counted({ name: 'typebook-no-such', state: 'started' })).result).to.deep.equal({ changed: false, failed: true, msg: 'Could not find the requested service typebook-no-such: host' });
    } finally {
      await sh('mv /usr/bin/systemctl.h15m-hidden /usr/bin/systemctl');
    }
  });

  it("reads systemctl show as Ansible's parse_systemctl_show does", () => {
    const show = 'Id=x.service\nExecStart={ path=/bin/x ; argv[]=/bin/x\n  --flag ; }\nDescription={ not multi-line\nActiveState=active\n';
    expect(parseSystemctlShow(show)).to.deep.equal({ Id: 'x.service', ExecStart: '{ path=/bin/x ; argv[]=/bin/x\n  --flag ; }', Description: '{ not multi-line', ActiveState: 'active' });
  });
});

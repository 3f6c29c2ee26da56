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
import { checkedArgs, labConnection, runModule, runCounted } from './harness.js';

describe('systemd_service module (lab without a running systemd)', function () {
  this.timeout(90_000);
  let node1: CountingConnection;
  after(async () => node1?.close());
  const fixture = useLab({ hosts: 1, name: 'mod-systemd' });
  const sh = async (cmd: string) => (await labSsh(fixture.lab, 'node1', cmd)).stdout;
  const running = async () => (await labSsh(fixture.lab, 'node1', 'service haproxy status')).code === 0;
  const counted = (args: Record<string, unknown>, options: { check?: boolean } = {}) => runCounted(systemd, args, node1, options);

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
    await sh('mv /usr/bin/systemctl /usr/bin/systemctl.typebook-hidden');
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
      await sh('mv /usr/bin/systemctl.typebook-hidden /usr/bin/systemctl');
    }
  });

  it("reads systemctl show as Ansible's parse_systemctl_show does", () => {
    const show = 'Id=x.service\nExecStart={ path=/bin/x ; argv[]=/bin/x\n  --flag ; }\nDescription={ not multi-line\nActiveState=active\n';
    expect(parseSystemctlShow(show)).to.deep.equal({ Id: 'x.service', ExecStart: '{ path=/bin/x ; argv[]=/bin/x\n  --flag ; }', Description: '{ not multi-line', ActiveState: 'active' });
  });
});

/**
 * The branch for a running systemd, on a lab host made to look like one (/run/systemd/system, and a stand-in
 * systemctl in /usr/local/bin that keeps units' state in files and logs every call): Ansible's module and
 * typebook's, each from the same starting state, must return the same result and make the same calls.
 */
const FAKE_SYSTEMCTL = String.raw`#!/bin/sh
d=/var/lib/typebook-fake-systemd
echo "$*" >>"$d/log"
opts=; while [ $# -gt 0 ]; do case $1 in --*) opts="$opts $1"; shift;; *) break;; esac; done
cmd=$1; u=\${2:-}; u=\${u%.service}
known() { [ -e "$d/$u.known" ]; }
case $cmd in
  show)
    echo "Id=$u.service"
    if ! known; then printf 'LoadState=not-found\nActiveState=inactive\n'; exit 0; fi
    if [ -e "$d/$u.masked" ]; then echo LoadState=masked; else echo LoadState=loaded; fi
    if [ -e "$d/$u.active" ]; then printf 'ActiveState=active\nSubState=running\n'; else printf 'ActiveState=inactive\nSubState=dead\n'; fi
    printf 'ExecStart={ path=/usr/sbin/%s ; argv[]=/usr/sbin/%s -f\n  /etc/%s.cfg ; }\nDescription=the %s unit\n' "$u" "$u" "$u" "$u" ;;
  is-enabled)
    if ! known; then echo "Failed to get unit file state for $u.service: No such file or directory" >&2; exit 1; fi
    if [ -e "$d/$u.masked" ]; then echo masked; exit 1; fi
    if [ -e "$d/$u.enabled" ]; then echo enabled; exit 0; fi
    echo disabled; exit 1 ;;
  start|restart|reload) known || { echo "Unit $u.service not found." >&2; exit 5; }; touch "$d/$u.active" ;;
  stop) rm -f "$d/$u.active" ;;
  enable) touch "$d/$u.enabled" ;;
  disable) rm -f "$d/$u.enabled" ;;
  mask) touch "$d/$u.masked" ;;
  unmask) rm -f "$d/$u.masked" ;;
  daemon-reload|daemon-reexec) ;;
  list-unit-files) exit 1 ;;
  *) exit 0 ;;
esac
exit 0
`;

/** the state dir's files, and the log of calls */
function splitState(text: string): [string, string] {
  const at = text.indexOf('---\n');
  return [text.slice(0, at), text.slice(at + 4)];
}

describe('systemd_service module (lab host standing in for a running systemd, against Ansible)', function () {
  this.timeout(120_000);
  let node1: CountingConnection;
  after(async () => node1?.close());
  const fixture = useLab({ hosts: 1, name: 'mod-systemd-fake' });
  const sh = async (cmd: string) => {
    const r = await labSsh(fixture.lab, 'node1', cmd);
    if (r.code !== 0) throw new Error(r.stderr);
    return r.stdout;
  };

  before(async () => {
    node1 = labConnection(fixture.lab, 'node1');
    const b64 = Buffer.from(FAKE_SYSTEMCTL.replace(/\\\$/g, '$')).toString('base64');
    await sh(`mkdir -p /run/systemd/system /var/lib/typebook-fake-systemd && printf %s ${b64} | base64 -d > /usr/local/bin/systemctl && chmod +x /usr/local/bin/systemctl && command -v systemctl`);
  });

  // [starting state (files under the state dir), arguments]
  const cases: [string, Record<string, unknown>][] = [
    ['web.known', { name: 'web', state: 'started' }],
    ['web.known web.active', { name: 'web.service', state: 'started' }],
    ['web.known web.active', { name: 'web', state: 'restarted', no_block: true }],
    ['web.known', { name: 'web', state: 'reloaded' }],
    ['web.known web.active', { name: 'web', state: 'reloaded' }],
    ['web.known web.active', { name: 'web', state: 'stopped' }],
    ['web.known', { name: 'web', enabled: true, force: true }],
    ['web.known web.enabled', { name: 'web', enabled: false, state: 'started' }],
    ['web.known', { name: 'web', masked: true, scope: 'user' }],
    ['web.known web.masked', { name: 'web', masked: false }],
    ['web.known web.masked', { name: 'web', masked: false, enabled: true }],
    ['', { name: 'nosuch', state: 'started' }],
    ['', { name: 'nosuch', masked: true }],
    ['web.known', { name: 'web', daemon_reload: true, daemon_reexec: true, state: 'started' }],
    ['', { daemon_reload: true }],
  ];

  // case i works on unit wI, so that every case runs in one ansible-playbook run, from one starting state
  const unitOf = (i: number, text: string) => text.replace(/\bweb\b/g, `w${i}`);
  const casesHere = cases.map(([files, args], i) => [unitOf(i, files), JSON.parse(unitOf(i, JSON.stringify(args))) as Record<string, unknown>] as const);
  const reset = () => sh(`cd /var/lib/typebook-fake-systemd && rm -f -- * && : > log && touch ${casesHere.map(([files]) => files).join(' ')} log`);
  const state = () => sh("cd /var/lib/typebook-fake-systemd && ls | grep -vx log; echo ---; cat log");

  for (const check of [false, true]) {
    it(`gives Ansible's results and makes Ansible's calls${check ? ' (check mode)' : ''}`, async () => {
      await reset();
      const theirs = await runAnsibleTasks(fixture.lab, 'node1', casesHere.map(([, args]) => ({ systemd_service: args })), check ? ['--check'] : []);
      const [theirFiles, theirLog] = splitState(await state());
      expect(theirs[0]).to.include({ changed: true, state: 'started' });
      expect((theirs[0]!.status as Record<string, string>).ExecStart).to.contain('\n');
      await reset();
      for (const [i, [, args]] of casesHere.entries()) expect(await runModule(systemd, args, node1, { check }), JSON.stringify(args)).to.deep.equal(theirs[i]);
      const [ourFiles, ourLog] = splitState(await state());
      expect(ourFiles).to.equal(theirFiles);
      // the calls that change something, in Ansible's order (typebook reads more, in one go)
      const changing = (log: string) => log.split('\n').filter((l) => l !== '' && !/^(?:--\S+ )*(?:show|is-enabled|list-unit-files)\b/.test(l));
      expect(changing(ourLog)).to.deep.equal(changing(theirLog));
      expect(changing(theirLog)).to.include.members(check ? [] : ['start w0', '--no-block restart w2', '--user mask w8', 'daemon-reload', 'daemon-reexec']);
    });
  }
});

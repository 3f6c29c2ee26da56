/**
 * service_facts on real lab hosts, result for result equal to Ansible's service_facts on the same host:
 *  - as the lab host is (a small sh init, SysV scripts, haproxy from the lab repo running, then stopped), and
 *    through the engine, where a later task reads `services[...]` and `ansible_facts.services`;
 *  - with stand-ins for the tools of the other init systems, which both modules then find and read the same
 *    way: a failing `service`, Red Hat's chkconfig (three ways of listing), upstart's initctl, OpenRC's
 *    rc-status/rc-update, and systemd: /proc/1/comm bound to a file saying systemd, and a systemctl that gives
 *    the host's real `list-unit-files` and a `list-units` in systemd 252's format (no systemd runs in the lab,
 *    so that one cannot be real), logging its calls so that both modules are seen to make the same ones.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CountingConnection } from '../../lib/connection/index.js';
import { runPlaybook, type HostResultEvent, type RunEvent } from '../../lib/engine/index.js';
import { findModule } from '../../lib/modules/index.js';
import serviceFacts, { addUnitFiles, parseStatusAll, parseUnits, servicesFrom, type Services } from '../../lib/modules/service_facts.js';
import { pySplit } from '../../lib/ansible/index.js';
import { parseSections } from '../../lib/modules/system-state.js';
import { labSsh, useLab } from '../lab/fixture.js';
import { ansibleEnv, runAnsibleTasks } from './ansible.js';
import { checkedArgs, labConnection, runCounted, runModule } from './harness.js';

type Result = Record<string, unknown>;
const servicesOf = (r: Result): Record<string, Record<string, unknown>> => (r.ansible_facts as { services: Record<string, Record<string, unknown>> }).services;

describe('service_facts module (lab host with SysV init, against Ansible)', function () {
  this.timeout(120_000);
  let node1: CountingConnection;
  after(async () => node1?.close());
  const fixture = useLab({ hosts: 1, name: 'mod-service-facts' });
  const sh = async (cmd: string) => {
    const r = await labSsh(fixture.lab, 'node1', cmd);
    if (r.code !== 0) throw new Error(`${cmd}: ${r.stderr}`);
    return r.stdout;
  };
  const theirs = async (check = false) => (await runAnsibleTasks(fixture.lab, 'node1', [{ service_facts: {} }], check ? ['--check'] : []))[0]!;

  before(async function () {
    this.timeout(180_000);
    node1 = labConnection(fixture.lab, 'node1');
    const install = await labSsh(fixture.lab, 'node1', 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q haproxy');
    expect(install.code, install.stderr).to.equal(0);
    expect(await sh('test -d /run/systemd/system || echo no systemd; cat /proc/1/comm')).to.equal('no systemd\ninit\n');
  });

  it('answers to its names and takes no argument', () => {
    for (const name of ['service_facts', 'ansible.builtin.service_facts', 'ansible.legacy.service_facts']) expect(findModule(name), name).to.equal(serviceFacts);
    expect(checkedArgs(serviceFacts, {})).to.deep.equal({});
    expect(() => checkedArgs(serviceFacts, { name: 'haproxy' })).to.throw(/name/);
  });

  it("haproxy running: Ansible's facts in 1 round trip, check mode the same", async () => {
    expect((await labSsh(fixture.lab, 'node1', 'service haproxy status')).code).to.equal(0);
    const ours = await runCounted(serviceFacts, {}, node1);
    expect(ours.trips).to.equal(1);
    expect(ours.result).to.deep.equal(await theirs());
    expect(servicesOf(ours.result).haproxy).to.deep.equal({ name: 'haproxy', state: 'running', source: 'sysv' });
    // sshd, started by the lab's init, runs; the scripts of this machine's / are there, stopped
    expect(servicesOf(ours.result).ssh).to.deep.equal({ name: 'ssh', state: 'running', source: 'sysv' });
    const checked = await runCounted(serviceFacts, {}, node1, { check: true });
    expect(checked.result).to.deep.equal(await theirs(true));
    expect(checked.result).to.deep.equal(ours.result);
  });

  it("haproxy stopped: Ansible's facts", async () => {
    await sh('service haproxy stop');
    try {
      const ours = await runModule(serviceFacts, {}, node1);
      expect(ours).to.deep.equal(await theirs());
      expect(servicesOf(ours).haproxy).to.deep.equal({ name: 'haproxy', state: 'stopped', source: 'sysv' });
    } finally {
      await sh('service haproxy start');
    }
  });

  it('through the engine: a later task sees services and ansible_facts.services, as with ansible-playbook', async () => {
    const tasks = [
      { name: 'read', service_facts: {} },
      { name: 'running', when: "'haproxy' in services and services['haproxy']['state'] == 'running'", debug: { msg: "{{ services['haproxy'] }}" } },
      { name: 'namespaced', debug: { msg: "{{ ansible_facts.services['ssh'].state }} {{ ansible_facts['services'] | length == services | length }}" } },
      { name: 'absent', when: "'typebook-no-such' in services", debug: { msg: 'never' } },
      { name: 'not prefixed', debug: { msg: '{{ ansible_services is defined }}' } },
    ];
    const dir = mkdtempSync(join(tmpdir(), 'typebook-service-facts-'));
    try {
      const playbook = join(dir, 'play.yml');
      writeFileSync(playbook, JSON.stringify([{ hosts: 'node1', gather_facts: false, tasks }]));
      const events: RunEvent[] = [];
      const run = await runPlaybook({ playbook, inventory: [fixture.lab.inventoryPath], onEvent: (e) => events.push(e) });
      expect(run.exitCode).to.equal(0);
      const ours = new Map(events.filter((e): e is HostResultEvent => e.type === 'host_result').map((e) => [e.task, { status: e.status, msg: e.result.msg }]));
      const want = await ansiblePlaybook(playbook, fixture.lab.inventoryPath);
      expect([...ours.keys()]).to.deep.equal(tasks.map((t) => t.name));
      for (const t of tasks.slice(1)) expect(ours.get(t.name), t.name).to.deep.equal(want.get(t.name));
      expect(ours.get('running')).to.deep.equal({ status: 'ok', msg: { name: 'haproxy', state: 'running', source: 'sysv' } });
      expect(ours.get('namespaced')).to.deep.equal({ status: 'ok', msg: 'running True' });
      expect(ours.get('absent')!.status).to.equal('skipped');
      expect(ours.get('not prefixed')!.msg).to.equal(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** ansible-playbook's json report: each task's status (as typebook names it) and msg on node1 */
function ansiblePlaybook(playbook: string, inventory: string): Promise<Map<string, { status: string; msg: unknown }>> {
  return new Promise((resolve, reject) => {
    const child = spawn('ansible-playbook', ['-i', inventory, playbook], { env: { ...ansibleEnv(), ANSIBLE_STDOUT_CALLBACK: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      try {
        const report = JSON.parse(out.slice(out.indexOf('{'))) as { plays: { tasks: { task: { name: string }; hosts: Record<string, Result> }[] }[] };
        resolve(new Map(report.plays[0]!.tasks.map((t) => {
          const r = t.hosts.node1!;
          const status = r.failed ? 'failed' : r.skipped ? 'skipped' : r.changed ? 'changed' : 'ok';
          return [t.task.name, { status, msg: r.msg }];
        })));
      } catch (error) {
        reject(new Error(`unexpected ansible-playbook output (${(error as Error).message}):\n${out}`));
      }
    });
  });
}

/** the stand-ins: each answers from files under /var/lib/typebook-fake (what to print, to stderr, the exit code) */
const FAKE_SERVICE = String.raw`#!/bin/sh
# service --status-all from files; anything else goes to the real one
[ "$*" = --status-all ] || exec /usr/sbin/service "$@"
d=/var/lib/typebook-fake/service
cat "$d/out"; cat "$d/err" >&2; exit "$(cat "$d/rc")"
`;

/** Red Hat's chkconfig lists runlevels; SUSE's needs -l --allservices for them; RHEL 5's says to use --list */
const FAKE_CHKCONFIG = String.raw`#!/bin/sh
d=/var/lib/typebook-fake/chkconfig
echo "$*" >>"$d/log"
mode=$(cat "$d/mode")
case "$mode:$*" in
  rh:|sles:-l\ --allservices|rhel5:--list) cat "$d/list" ;;
  sles:) printf 'haproxy  on\nssh  off\n' ;;
  rhel5:) echo 'usage: chkconfig --list [name]' >&2; exit 1 ;;
  *) exit 2 ;;
esac
`;

const CHKCONFIG_LIST = [
  'haproxy        \t0:off\t1:off\t2:on\t3:on\t4:on\t5:on\t6:off',
  'ssh            \t0:off\t1:off\t2:on\t3:off\t4:on\t5:on\t6:off',
  'tb-locked      \t0:off\t1:off\t2:off\t3:off\t4:off\t5:off\t6:off',
  'typebook-nosuch\t0:off\t1:off\t2:off\t3:on\t4:off\t5:off\t6:off',
  '',
  'xinetd based services:',
  '\tchargen-dgram: \toff',
  '',
].join('\n');

/** an init script whose status needs rights the caller lacks */
const LOCKED_SCRIPT = "#!/bin/sh\necho 'tb-locked: must be root to read the pid file: Permission denied' >&2\nexit 4\n";

const FAKE_INITCTL = String.raw`#!/bin/sh
d=/var/lib/typebook-fake/initctl
[ "$*" = list ] || exit 1
cat "$d/out"; cat "$d/err" >&2; exit "$(cat "$d/rc")"
`;

const INITCTL_LIST = 'mountall-net stop/waiting\nssh start/running, process 812\nnetwork-interface (lo) start/running\nrsyslog start/running, process 640\r\ntty1 start/running, process 1012\nplymouth-ready stop/waiting\n';

const FAKE_RC_STATUS = String.raw`#!/bin/sh
[ "$*" = '-a -s -m' ] || exit 1
cat /var/lib/typebook-fake/openrc/status
`;
const FAKE_RC_UPDATE = String.raw`#!/bin/sh
[ "$*" = 'show -v' ] || exit 1
cat /var/lib/typebook-fake/openrc/update
`;
const RC_STATUS = ' sshd                    [  started  ]\n haproxy                 [  stopped  ]\n local                   [  started  ]\nRunlevel: default\n';
const RC_UPDATE = '              haproxy |      default\n                local |      default\n                 sshd | boot default\n              hwclock |\n';

/** systemctl on a host "booted with systemd": list-units and list-unit-files from files, show from a table of active units */
const FAKE_SYSTEMCTL = String.raw`#!/bin/sh
d=/var/lib/typebook-fake/systemd
echo "$*" >>"$d/log"
case $1 in
  list-units|list-unit-files) cat "$d/$1.out"; cat "$d/$1.err" >&2; exit "$(cat "$d/$1.rc")" ;;
  show)
    case $2 in *@.service) echo "Failed to get properties: Unit name $2 is neither a valid invocation ID nor unit name." >&2; exit 1 ;; esac
    if [ -e "$d/active/$2" ]; then cat "$d/active/$2"; else echo ActiveState=inactive; fi ;;
  *) exit 1 ;;
esac
`;

/** `systemctl list-units --no-pager --type service --all` as systemd 252 (Debian 12) prints it, for units of the lab's unit files */
const LIST_UNITS = `  UNIT                                   LOAD      ACTIVE   SUB     DESCRIPTION
  apt-daily-upgrade.service              loaded    inactive dead    Daily apt upgrade and clean activities
  apt-daily.service                      loaded    inactive dead    Daily apt download activities
● auditd.service                         not-found inactive dead    auditd.service
  dbus.service                           loaded    active   running D-Bus System Message Bus
  getty@tty1.service                     loaded    active   running Getty on tty1
  haproxy.service                        loaded    active   running HAProxy Load Balancer
  postgresql.service                     loaded    active   exited  PostgreSQL RDBMS
  ssh.service                            loaded    active   running OpenBSD Secure Shell server
  systemd-journald.service               loaded    active   running Journal Service
● systemd-networkd-wait-online.service   loaded    failed   failed  Wait for Network to be Configured
  systemd-timesyncd.service              loaded    active   running Network Time Synchronization
● x11-common.service                     masked    inactive dead    x11-common.service

LOAD   = Reflects whether the unit definition was properly loaded.
ACTIVE = The high-level unit activation state, i.e. generalization of SUB.
SUB    = The low-level unit activation state, values depend on unit type.
12 loaded units listed.
To show all installed unit files use 'systemctl list-unit-files'.
`;

describe('service_facts module (lab host with stand-ins for other init systems, against Ansible)', function () {
  this.timeout(120_000);
  let node1: CountingConnection;
  after(async () => node1?.close());
  const fixture = useLab({ hosts: 1, name: 'mod-service-facts-fake' });
  const sh = async (cmd: string, stdin?: string) => {
    const r = await labSsh(fixture.lab, 'node1', cmd, 60_000, stdin);
    if (r.code !== 0) throw new Error(`${cmd}: ${r.stderr}`);
    return r.stdout;
  };
  const put = (path: string, content: string, mode = '0644') => sh(`mkdir -p "$(dirname ${path})" && cat > ${path} && chmod ${mode} ${path}`, content);
  /** Ansible's result and ours, run one after the other on the host as it is */
  const both = async (): Promise<[Result, Result]> => {
    const want = (await runAnsibleTasks(fixture.lab, 'node1', [{ service_facts: {} }]))[0]!;
    const got = await runCounted(serviceFacts, {}, node1);
    expect(got.trips).to.equal(1);
    return [got.result, want];
  };

  before(async function () {
    this.timeout(180_000);
    node1 = labConnection(fixture.lab, 'node1');
    const install = await labSsh(fixture.lab, 'node1', 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q haproxy');
    expect(install.code, install.stderr).to.equal(0);
    await put('/etc/init.d/tb-locked', LOCKED_SCRIPT, '0755');
  });

  it("a service tool that fails: Ansible's warning, and what it listed", async () => {
    await put('/var/lib/typebook-fake/service/out', ' [ + ]  web\n [ - ]  db\n [ ? ]  odd\n');
    await put('/var/lib/typebook-fake/service/err', 'service: something went wrong\n');
    await put('/var/lib/typebook-fake/service/rc', '3\n');
    await put('/usr/local/sbin/service', FAKE_SERVICE, '0755');
    try {
      const [ours, want] = await both();
      expect(ours).to.deep.equal(want);
      expect(ours.warnings).to.deep.equal(["Unable to query 'service' tool (3): service: something went wrong\n"]);
      expect(servicesOf(ours)).to.deep.equal({ web: { name: 'web', state: 'running', source: 'sysv' }, db: { name: 'db', state: 'stopped', source: 'sysv' } });
    } finally {
      await sh('rm -f /usr/local/sbin/service');
    }
  });

  it("no service found: skipped with Ansible's message (service answering 4 without /etc/init.d, or no service tool)", async () => {
    await put('/var/lib/typebook-fake/service/out', ' [ + ]  web\n');
    await put('/var/lib/typebook-fake/service/rc', '4\n');
    await put('/usr/local/sbin/service', FAKE_SERVICE, '0755');
    await sh('mv /etc/init.d /etc/init.d.typebook-hidden');
    try {
      const [ours, want] = await both();
      expect(ours).to.deep.equal(want);
      expect(ours).to.deep.equal({ changed: false, skipped: true, msg: 'Failed to find any services. This can be due to privileges or some other configuration issue.' });
    } finally {
      await sh('mv /etc/init.d.typebook-hidden /etc/init.d && rm -f /usr/local/sbin/service');
    }
    await sh('mv /usr/sbin/service /usr/sbin/service.typebook-hidden');
    try {
      const [ours, want] = await both();
      expect(ours).to.deep.equal(want);
      expect(ours.skipped).to.equal(true);
    } finally {
      await sh('mv /usr/sbin/service.typebook-hidden /usr/sbin/service');
    }
  });

  for (const mode of ['rh', 'sles', 'rhel5']) {
    it(`chkconfig (${mode}): enabled by runlevel 3, state by service NAME status, Ansible's warning where rights lack`, async () => {
      await put('/var/lib/typebook-fake/chkconfig/list', CHKCONFIG_LIST);
      await put('/var/lib/typebook-fake/chkconfig/mode', `${mode}\n`);
      await put('/usr/local/sbin/chkconfig', FAKE_CHKCONFIG, '0755');
      try {
        await sh(': > /var/lib/typebook-fake/chkconfig/log');
        const [ours, want] = await both();
        const log = await sh('cat /var/lib/typebook-fake/chkconfig/log');
        expect(ours).to.deep.equal(want);
        expect(servicesOf(ours)).to.deep.equal({
          haproxy: { name: 'haproxy', state: 'running', status: 'enabled', source: 'sysv' },
          ssh: { name: 'ssh', state: 'running', status: 'disabled', source: 'sysv' },
          'tb-locked': { name: 'tb-locked', state: 4, status: 'disabled', source: 'sysv' },
          'typebook-nosuch': { name: 'typebook-nosuch', state: 'stopped', status: 'enabled', source: 'sysv' },
        });
        expect(ours.warnings).to.deep.equal(['Insufficient permissions to query sysV service "tb-locked" and their states']);
        // each of the two runs asked chkconfig the same way
        const asked = { rh: '\n', sles: '\n-l --allservices\n', rhel5: '\n--list\n' }[mode];
        expect(log).to.equal(asked!.repeat(2));
      } finally {
        await sh('rm -f /usr/local/sbin/chkconfig');
      }
    });
  }

  it("upstart's initctl beside the SysV scripts, and Ansible's warning when it fails", async () => {
    await put('/var/lib/typebook-fake/initctl/out', INITCTL_LIST);
    await put('/var/lib/typebook-fake/initctl/err', '');
    await put('/var/lib/typebook-fake/initctl/rc', '0\n');
    await put('/usr/local/sbin/initctl', FAKE_INITCTL, '0755');
    try {
      const [ours, want] = await both();
      expect(ours).to.deep.equal(want);
      const services = servicesOf(ours);
      expect(services.ssh).to.deep.equal({ name: 'ssh', state: 'running', goal: 'start', source: 'upstart' });
      expect(services['network-interface (lo)']).to.deep.equal({ name: 'network-interface (lo)', state: 'running', goal: 'start', source: 'upstart' });
      expect(services.rsyslog).to.deep.include({ state: 'running' });
      expect(services.haproxy).to.deep.equal({ name: 'haproxy', state: 'running', source: 'sysv' });
      await put('/var/lib/typebook-fake/initctl/err', 'initctl: Unable to connect to Upstart\n');
      await put('/var/lib/typebook-fake/initctl/rc', '1\n');
      const [failing, wantFailing] = await both();
      expect(failing).to.deep.equal(wantFailing);
      expect(failing.warnings).to.deep.equal(['Unable to query upstart for service data: initctl: Unable to connect to Upstart\n']);
    } finally {
      await sh('rm -f /usr/local/sbin/initctl');
    }
  });

  it("OpenRC's rc-status and rc-update in place of the SysV scan; a service rc-update lacks fails both", async () => {
    await put('/var/lib/typebook-fake/openrc/status', RC_STATUS);
    await put('/var/lib/typebook-fake/openrc/update', RC_UPDATE);
    await put('/usr/local/sbin/rc-status', FAKE_RC_STATUS, '0755');
    await put('/usr/local/sbin/rc-update', FAKE_RC_UPDATE, '0755');
    try {
      const [ours, want] = await both();
      expect(ours).to.deep.equal(want);
      expect(servicesOf(ours)).to.deep.equal({
        sshd: { name: 'sshd', runlevels: ['boot', 'default'], state: 'started', source: 'openrc' },
        haproxy: { name: 'haproxy', runlevels: ['default'], state: 'stopped', source: 'openrc' },
        local: { name: 'local', runlevels: ['default'], state: 'started', source: 'openrc' },
      });
      await put('/var/lib/typebook-fake/openrc/status', `${RC_STATUS} crond                   [  started  ]\n`);
      const [failing, wantFailing] = await both();
      expect(wantFailing).to.include({ failed: true });
      expect(failing).to.deep.equal({ changed: false, failed: true, msg: "rc-status lists the service 'crond' that rc-update show does not (Ansible's module fails here with a KeyError)" });
    } finally {
      await sh('rm -f /usr/local/sbin/rc-status /usr/local/sbin/rc-update');
    }
  });

  describe('with PID 1 passing for systemd', () => {
    const d = '/var/lib/typebook-fake/systemd';
    before(async () => {
      // the real systemctl lists unit files without a running systemd: that list is real
      await sh(`mkdir -p ${d}/active && LC_ALL=C.utf8 systemctl list-unit-files --no-pager --type service --all > ${d}/list-unit-files.out`);
      await put(`${d}/list-units.out`, LIST_UNITS);
      for (const f of ['list-units', 'list-unit-files']) await put(`${d}/${f}.err`, '');
      await put(`${d}/active/systemd-pstore.service`, 'ActiveState=active\n');
      await sh(`echo systemd > ${d}/comm && mount --bind ${d}/comm /proc/1/comm && mv /usr/bin/systemctl /usr/bin/systemctl.typebook-real`);
      await put('/usr/bin/systemctl', FAKE_SYSTEMCTL, '0755');
    });
    after(async () => {
      // as far as before() got: the lab goes down next anyway
      await labSsh(fixture.lab, 'node1', 'umount /proc/1/comm; if [ -e /usr/bin/systemctl.typebook-real ]; then mv /usr/bin/systemctl.typebook-real /usr/bin/systemctl; fi');
    });
    const calls = () => sh(`cat ${d}/log`);

    it("systemd's units beside the SysV scripts, equal to Ansible's, with the same calls to systemctl", async () => {
      for (const f of ['list-units', 'list-unit-files']) await put(`${d}/${f}.rc`, '0\n');
      await sh(`: > ${d}/log`);
      const want = (await runAnsibleTasks(fixture.lab, 'node1', [{ service_facts: {} }]))[0]!;
      const theirCalls = await calls();
      await sh(`: > ${d}/log`);
      const ours = await runModule(serviceFacts, {}, node1);
      expect(ours).to.deep.equal(want);
      expect(await calls()).to.equal(theirCalls);
      const services = servicesOf(ours);
      expect(services['haproxy.service']).to.deep.equal({ name: 'haproxy.service', state: 'running', status: 'enabled', source: 'systemd' });
      expect(services.haproxy).to.deep.equal({ name: 'haproxy', state: 'running', source: 'sysv' });
      expect(services['auditd.service']).to.deep.equal({ name: 'auditd.service', state: 'stopped', status: 'not-found', source: 'systemd' });
      expect(services['x11-common.service']).to.deep.equal({ name: 'x11-common.service', state: 'stopped', status: 'masked', source: 'systemd' });
      expect(services['systemd-networkd-wait-online.service']).to.deep.include({ state: 'stopped', status: 'failed' });
      expect(services['postgresql.service']).to.deep.include({ state: 'stopped', status: 'enabled' });
      // not in list-units: ActiveState from show, 'unknown' where show fails (a template)
      expect(services['systemd-pstore.service']).to.deep.include({ state: 'active', status: 'enabled' });
      expect(services['getty@.service']).to.deep.include({ state: 'unknown', status: 'enabled' });
      expect(theirCalls.split('\n').slice(0, 2)).to.deep.equal(['list-units --no-pager --type service --all', 'list-unit-files --no-pager --type service --all']);
      expect(theirCalls).to.contain('show systemd-pstore.service --property=ActiveState\n').and.not.contain('show haproxy.service');
    });

    it("systemctl failing: Ansible's warnings, and what could still be read", async () => {
      await put(`${d}/list-units.rc`, '1\n');
      await put(`${d}/list-units.err`, 'Failed to connect to bus: No such file or directory\n');
      await sh(`: > ${d}/log`);
      const [ours, want] = await both();
      expect(ours).to.deep.equal(want);
      expect(ours.warnings).to.deep.equal(['Could not list units from systemd: Failed to connect to bus: No such file or directory\n']);
      // every unit file's state from show
      expect(servicesOf(ours)['haproxy.service']).to.deep.include({ state: 'inactive', status: 'enabled' });
      await put(`${d}/list-unit-files.rc`, '1\n');
      await put(`${d}/list-unit-files.err`, 'Failed to list unit files: Access denied\n');
      const [worse, wantWorse] = await both();
      expect(worse).to.deep.equal(wantWorse);
      expect(worse.warnings).to.have.length(2);
    });
  });
});

describe("service_facts: reading systemctl's and service's output", () => {
  it("reads list-units as Ansible does: a bad state shifts the name past the marker, a SUB other than running is 'stopped'", () => {
    const units = parseUnits(LIST_UNITS) as Services;
    expect(units.size).to.equal(12);
    expect(units.get('auditd.service')).to.deep.equal({ name: 'auditd.service', state: 'stopped', status: 'not-found', source: 'systemd' });
    expect(units.get('postgresql.service')).to.deep.equal({ name: 'postgresql.service', state: 'stopped', status: 'active', source: 'systemd' });
    expect(units.get('getty@tty1.service')).to.deep.equal({ name: 'getty@tty1.service', state: 'running', status: 'active', source: 'systemd' });
    // Ansible's quirk, kept: a description with a bad state's word takes the unit's name for LOAD's
    expect([...(parseUnits('  foo.service loaded active running Restart when failed\n') as Services).keys()]).to.deep.equal(['loaded']);
    expect(parseUnits('● foo.service not-found\n')).to.deep.equal({ malformed: '● foo.service not-found' });
  });

  it('takes the unit files\' states over, but not over a bad state', () => {
    const units = parseUnits(LIST_UNITS) as Services;
    const files = 'UNIT FILE            STATE    PRESET\nx11-common.service   masked   enabled\nssh.service          enabled  enabled\nnew.service          disabled enabled\nold.service          static   -\n\n4 unit files listed.\n';
    expect(addUnitFiles(files, units, new Map([['new.service', { rc: 0, out: 'ActiveState=inactive\n' }], ['old.service', { rc: 1, out: '' }]]))).to.equal(undefined);
    expect(units.get('ssh.service')!.status).to.equal('enabled');
    expect(units.get('x11-common.service')!.status).to.equal('masked');
    expect(units.get('new.service')).to.deep.equal({ name: 'new.service', state: 'inactive', status: 'disabled', source: 'systemd' });
    expect(units.get('old.service')!.state).to.equal('unknown');
    expect(addUnitFiles('lonely.service\n', units, new Map())).to.deep.equal({ malformed: 'lonely.service' });
  });

  it("reads service --status-all with Python's ^, $ and \\s", () => {
    const read = parseStatusAll(' [ + ]  web\r\n [ ? ]  odd\n\t[ - ]\u00a0db\n[ + ]web\n');
    expect([...read.values()]).to.deep.equal([{ name: 'web\r', state: 'running', source: 'sysv' }, { name: 'db', state: 'stopped', source: 'sysv' }]);
    expect(pySplit('a\x1cb\u00a0c  d')).to.deep.equal(['a', 'b', 'c', 'd']);
  });

  it('merges the scans in Ansible\'s order: the systemd one wins a name both have', () => {
    const output = ['sysv.rc', '0', 'sysv.out', ' [ + ]  same.service', 'sysv.err', 'initd', 'yes', 'units.rc', '0', 'units.out', '  same.service loaded inactive dead Same', 'units.err',
      'unitfiles.rc', '0', 'unitfiles.out', 'same.service disabled enabled', 'unitfiles.err'].map((l) => (/^[a-z]+\.(rc|out|err)$|^initd$/.test(l) ? `\x1e${l}` : l)).join('\n') + '\n';
    const read = servicesFrom(parseSections(output));
    expect(read).to.deep.equal({ services: new Map([['same.service', { name: 'same.service', state: 'stopped', status: 'disabled', source: 'systemd' }]]), warnings: [] });
  });
});

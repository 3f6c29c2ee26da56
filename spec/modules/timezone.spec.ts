/**
 * timezone on a real lab host against community.general.timezone itself, both ways. The lab's hosts run a small
 * sh init, not systemd: timedatectl is installed but fails, so both tools take the no-systemd strategy there
 * (/etc/timezone, the /etc/localtime link, dpkg-reconfigure tzdata, /etc/default/rcS and hwclock). The
 * timedatectl strategy cannot run in the lab: its parsing is checked against Ansible's own regular expressions
 * and its decisions on host states as timedatectl reports them.
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlaybook, type HostResultEvent } from '../../lib/engine/index.js';
import timezone, { appliedResult, checkModeResult, editLines, parseTimedatectl, planChange, type HostView, type Plan, type Values } from '../../lib/modules/timezone.js';
import type { ModuleResult } from '../../lib/modules/module.js';
import { unifiedDiff } from '../../lib/output/diff.js';
import { resolveAliases } from '../../lib/playbook/module-args.js';
import { useLab } from '../lab/fixture.js';
import { ansibleEnv, onLabHost } from './ansible.js';
import { checkedArgs } from './harness.js';

const ANSIBLE_COLLECTIONS = '/usr/lib/python3/dist-packages';

/** Ansible's own code run on samples: `program` reads JSON on stdin and prints JSON. */
function python(program: string, input: unknown): unknown {
  const run = spawnSync('python3', ['-c', program], { input: JSON.stringify(input), encoding: 'utf8', env: { ...process.env, PYTHONPATH: ANSIBLE_COLLECTIONS } });
  if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as unknown;
}

// timedatectl status as systemd 252 (Debian 12), 219 (CentOS 7) and an older one print it
const STATUS_252 = `               Local time: Thu 2025-12-04 20:41:00 CET
           Universal time: Thu 2025-12-04 19:41:00 UTC
                 RTC time: Thu 2025-12-04 19:41:00
                Time zone: Europe/Paris (CET, +0100)
System clock synchronized: yes
              NTP service: active
          RTC in local TZ: no
`;
const STATUS_219 = `      Local time: Thu 2017-05-04 10:00:00 JST
  Universal time: Thu 2017-05-04 01:00:00 UTC
        RTC time: Thu 2017-05-04 10:00:00
       Time zone: Asia/Tokyo (JST, +0900)
     NTP enabled: yes
NTP synchronized: yes
 RTC in local TZ: yes
      DST active: n/a
`;
const STATUS_OLD = `     Local time: Mon 2014-06-02 10:00:00 EDT
       Timezone: America/New_York (EDT, -0400)
RTC in local TZ: no
`;

/** A host where timedatectl works, as the read script would have seen it. */
function systemdHost(status: string, over: Partial<HostView> = {}): HostView {
  return {
    os: 'Linux',
    paths: '/usr/local/bin:/usr/bin:/bin:/sbin:/usr/sbin:/usr/local/sbin',
    bins: new Map([['timedatectl', '/usr/bin/timedatectl'], ['hwclock', '/usr/sbin/hwclock'], ['ln', '/usr/bin/ln'], ['cp', '/usr/bin/cp']]),
    timedatectlRc: 0,
    status: { rc: 0, stdout: status, stderr: '' },
    osId: 'debian',
    zoneFile: true,
    localtime: { link: true, exists: true, target: '/usr/share/zoneinfo/Europe/Paris', sameAsZone: false },
    files: new Map(),
    ...over,
  };
}

function planOf(view: HostView, planned: Values): Plan {
  const decided = planChange(view, planned);
  if ('failure' in decided) throw new Error(`unexpected failure: ${String(decided.failure.msg)}`);
  return decided.plan;
}

function failureOf(view: HostView, planned: Values): ModuleResult {
  const decided = planChange(view, planned);
  if (!('failure' in decided)) throw new Error('expected a failure');
  return decided.failure;
}

describe('timezone module', function () {
  this.timeout(90_000);

  describe('the timedatectl strategy (pure: no systemd in the lab)', () => {
    it("reads timedatectl status as Ansible's SystemdTimezone.regexps do", () => {
      const samples = [STATUS_252, STATUS_219, STATUS_OLD, 'Time zone: n/a\n', 'nothing here\n'];
      const theirs = python(String.raw`
import json, sys
from ansible_collections.community.general.plugins.modules.timezone import SystemdTimezone as S
out = []
for s in json.load(sys.stdin):
    r = {}
    for key, name in (('name', 'name'), ('hwclock', 'rtcInLocalTz')):
        m = S.regexps[key].search(s)
        if m: r[name] = m.group(1)
    out.append(r)
print(json.dumps(out))`, samples);
      expect(samples.map(parseTimedatectl)).to.deep.equal(theirs);
      expect(parseTimedatectl(STATUS_252)).to.deep.equal({ name: 'Europe/Paris', rtcInLocalTz: 'no' });
    });

    it('sets the zone with timedatectl set-timezone, and logs it as Ansible does', () => {
      const plan = planOf(systemdHost(STATUS_252), { name: 'Asia/Tokyo' });
      expect(plan.before).to.deep.equal({ name: 'Europe/Paris' });
      expect(plan.steps).to.deep.equal([{ kind: 'run', argv: ['/usr/bin/timedatectl', 'set-timezone', 'Asia/Tokyo'], log: 'executed `/usr/bin/timedatectl set-timezone Asia/Tokyo`' }]);
      expect(checkModeResult(plan)).to.deep.equal({ changed: true, diff: { before: { name: 'Europe/Paris' }, after: { name: 'Asia/Tokyo' } } });
      expect(appliedResult(plan, { after: systemdHost(STATUS_219) })).to.deep.equal({
        changed: true,
        diff: { before: { name: 'Europe/Paris' }, after: { name: 'Asia/Tokyo' } },
        msg: 'executed `/usr/bin/timedatectl set-timezone Asia/Tokyo`',
      });
    });

    it('reads "RTC in local TZ" as local/UTC and sets it with set-local-rtc yes|no, before the zone', () => {
      const plan = planOf(systemdHost(STATUS_252), { hwclock: 'local', name: 'Asia/Tokyo' });
      expect(plan.before).to.deep.equal({ hwclock: 'UTC', name: 'Europe/Paris' });
      expect(plan.steps.map((s) => (s.kind === 'run' ? s.argv.slice(1) : s.kind))).to.deep.equal([['set-local-rtc', 'yes'], ['set-timezone', 'Asia/Tokyo']]);
      expect(planOf(systemdHost(STATUS_219), { hwclock: 'local' }).steps).to.deep.equal([]);
      expect(planOf(systemdHost(STATUS_219), { hwclock: 'UTC' }).steps).to.deep.equal([
        { kind: 'run', argv: ['/usr/bin/timedatectl', 'set-local-rtc', 'no'], log: 'executed `/usr/bin/timedatectl set-local-rtc no`' },
      ]);
    });

    it("fails as Ansible does: state not reached, a command's error, an unknown zone, a word that is no boolean", () => {
      const plan = planOf(systemdHost(STATUS_252), { name: 'Asia/Tokyo' });
      expect(appliedResult(plan, { after: systemdHost(STATUS_252) })).to.deep.equal({
        changed: false,
        failed: true,
        msg: "Error message:\nstill not desired state, though changes have made - planned: {'name': 'Asia/Tokyo'}, after: {'name': 'Europe/Paris'}\nOther message(s):\nexecuted `/usr/bin/timedatectl set-timezone Asia/Tokyo`",
      });
      const stderr = 'Failed to set time zone: Access denied\n';
      expect(appliedResult(plan, { done: 0, failed: { rc: 1, stdout: '', stderr } })).to.deep.equal({
        changed: false, failed: true, cmd: '/usr/bin/timedatectl set-timezone Asia/Tokyo', msg: 'Failed to set time zone: Access denied',
        rc: 1, stdout: '', stdout_lines: [], stderr, stderr_lines: ['Failed to set time zone: Access denied'],
      });
      expect(failureOf(systemdHost(STATUS_252, { zoneFile: false }), { name: 'Mars/Olympus' }).msg).to.equal('Error message:\ngiven timezone "Mars/Olympus" is not available');
      expect(String(failureOf(systemdHost(STATUS_252.replace('TZ: no', 'TZ: maybe')), { hwclock: 'UTC' }).msg)).to.match(/^The value 'maybe' is not a valid boolean\. {2}Valid booleans include: /);
      const status = { rc: 1, stdout: '', stderr: 'Failed to query server: Connection timed out\n' };
      expect(failureOf(systemdHost('', { status }), { name: 'Asia/Tokyo' })).to.include({ cmd: '/usr/bin/timedatectl status', rc: 1, msg: 'Failed to query server: Connection timed out' });
    });

    it('takes the no-systemd strategy when timedatectl fails, and refuses other systems', () => {
      const noSystemd = systemdHost('', { timedatectlRc: 1, bins: new Map([['timedatectl', '/usr/bin/timedatectl'], ['hwclock', '/usr/sbin/hwclock'], ['cp', '/usr/bin/cp']]), files: new Map([['/etc/timezone', { state: 'content', text: 'Etc/UTC\n' }], ['/etc/sysconfig/clock', { state: 'absent' }]]) });
      // no dpkg-reconfigure and not Alpine: the Red Hat layout, /etc/sysconfig/clock and a copy of the zone file
      const plan = planOf(noSystemd, { name: 'Asia/Tokyo' });
      expect(plan.steps.map((s) => s.kind)).to.deep.equal(['edit', 'copy']);
      expect(plan.steps[0]).to.deep.include({ file: '/etc/sysconfig/clock', content: 'ZONE="Asia/Tokyo"\n' });
      expect(failureOf(systemdHost(STATUS_252, { os: 'FreeBSD' }), { name: 'UTC' }).msg).to.match(/Linux hosts only; this one is FreeBSD/);
    });
  });

  describe('file edits', () => {
    it("rewrite the zone and UTC= lines as Ansible's _edit_file does", () => {
      const cases = [
        { text: '# managed\n\nEtc/UTC\n  indented\nlast', regexp: '^([^\\s]+)', line: 'Europe/Paris\n' },
        { text: '', regexp: '^([^\\s]+)', line: 'Europe/Paris\n' },
        { text: 'ZONE="America/New_York"\r\nUTC=true\r\nZONE=x\n', regexp: '^ZONE\\s*=\\s*"?([^"\\s]+)"?', line: 'ZONE="Asia/Tokyo"\n' },
        { text: 'TMPTIME=0\nUTC=no\nVERBOSE=no\n', regexp: '^UTC\\s*=\\s*([^\\s]+)', line: 'UTC=yes\n' },
      ];
      const theirs = python(String.raw`
import json, os, re, sys, tempfile
from ansible_collections.community.general.plugins.modules.timezone import NosystemdTimezone as N
class Fake(object):
    allow_no_file = N.allow_no_file
    _allow_ioerror = N._allow_ioerror
    def __init__(self): self.msg = []
    def abort(self, msg): raise Exception(msg)
out = []
for c in json.load(sys.stdin):
    d = tempfile.mkdtemp(); f = os.path.join(d, 'f')
    if c['text']:
        with open(f, 'w', newline='') as h: h.write(c['text'])
    fake = Fake()
    N._edit_file(fake, f, re.compile(c['regexp'], re.MULTILINE), c['line'], 'name')
    with open(f, newline='') as h: out.append({'text': h.read(), 'msg': fake.msg[0]})
print(json.dumps(out))`, cases) as { text: string; msg: string }[];
      const ours = cases.map((c) => editLines(c.text, new RegExp(c.regexp, 'm'), c.line));
      expect(ours.map((o) => o.text)).to.deep.equal(theirs.map((t) => t.text));
      expect(ours.map((o) => o.deleted)).to.deep.equal(theirs.map((t) => Number(/deleted (\d+) line/.exec(t.msg)![1])));
    });
  });

  describe('arguments', () => {
    it("refuses what Ansible refuses, with its messages where typebook's own say the same", () => {
      expect(() => checkedArgs(timezone, {})).to.throw(/one of the following is required: hwclock, name/);
      expect(() => checkedArgs(timezone, { hwclock: 'utc' })).to.throw(/'hwclock' is 'utc'; expected one of "local", "UTC"/);
      expect(() => checkedArgs(timezone, { name: 'UTC', zone: 'UTC' })).to.throw(/unknown argument 'zone' for module timezone/);
      expect(checkedArgs(timezone, resolveAliases(timezone, { rtc: 'local', name: 42 }).args)).to.deep.equal({ hwclock: 'local', name: '42' });
    });
  });

  describe('on a lab host, against Ansible', () => {
    const fixture = useLab({ hosts: 1, name: 'mod-timezone' });
    const onLab = onLabHost(fixture, timezone, 'community.general.timezone');
    const { sh, counted, ansible } = onLab;

    interface HostSetup {
      /** /etc/timezone's content; null: no file */
      timezoneFile?: string | null;
      /** /etc/localtime: link:ZONE, copy:ZONE, broken (a dangling link) */
      localtime?: string;
      rcS?: string | null;
      adjtime?: string | null;
    }
    /** Puts the host in a known state (the test's own constants, in the test's own shell). */
    const setUp = async (s: HostSetup): Promise<void> => {
      const file = (path: string, content: string | null | undefined) =>
        content === undefined ? [] : content === null ? [`rm -f ${path}`] : [`printf '%b' '${content}' > ${path}`];
      const lt = s.localtime ?? 'link:Etc/UTC';
      const [how, zone] = lt.split(':');
      const localtime = how === 'link' ? `ln -sfn /usr/share/zoneinfo/${zone} /etc/localtime` : how === 'copy' ? `rm -f /etc/localtime && cp /usr/share/zoneinfo/${zone} /etc/localtime` : 'ln -sfn /nowhere/zoneinfo/X /etc/localtime';
      await sh([...file('/etc/timezone', s.timezoneFile === undefined ? 'Etc/UTC\n' : s.timezoneFile), localtime, ...file('/etc/default/rcS', s.rcS), ...file('/etc/adjtime', s.adjtime)].join(' && '));
    };
    /** What the two tools may have changed, and any temp file left behind. */
    const snapshot = () => sh(String.raw`for f in /etc/timezone /etc/default/rcS /etc/adjtime; do echo "== $f"; if [ -e $f ]; then stat -c %a $f; cat $f; else echo '(none)'; fi; done
echo '== /etc/localtime'; if [ -L /etc/localtime ]; then readlink /etc/localtime; else md5sum < /etc/localtime; fi
echo '== leftovers'; ls -a /etc /etc/default | grep -c typebook || true`);

    /** The same task from the same state, by Ansible then by typebook: equal results and equal hosts afterwards. */
    const compared = onLab.bothWays(setUp, snapshot);
    const bothWays = async (setup: HostSetup, args: Record<string, unknown>, options: { check?: boolean } = {}) => {
      const ours = await compared(setup, args, options);
      expect(ours.host).to.match(/== leftovers\n0\n$/);
      return ours;
    };

    it("takes Ansible's no-systemd path: timedatectl is there but fails", async () => {
      expect(await sh('command -v timedatectl; timedatectl >/dev/null 2>&1; echo "rc=$?"')).to.match(/^\/usr\/bin\/timedatectl\nrc=[1-9]\d*\n$/);
      const { result } = await bothWays({}, { name: 'Europe/Paris' });
      // the systemd strategy logs `executed timedatectl set-timezone`; this one the file it edited
      expect(result.msg).to.equal('Added 1 line and deleted 1 line(s) on /etc/timezone');
    });

    it('check mode reports the change and its diff, touching nothing (1 round trip)', async () => {
      await setUp({});
      const before = await snapshot();
      const { result, trips } = await bothWays({}, { name: 'Europe/Paris' }, { check: true });
      expect(trips).to.equal(1);
      expect(result).to.deep.equal({ changed: true, diff: { before: { name: 'Etc/UTC' }, after: { name: 'Europe/Paris' } } });
      expect(await snapshot()).to.equal(before);
    });

    it('sets a zone (2 round trips), then has nothing to change (1), and Ansible agrees', async () => {
      await setUp({});
      const first = await counted({ name: 'Europe/Paris' }, { diff: true });
      expect(first.trips).to.equal(2);
      expect(first.result).to.deep.equal({ changed: true, diff: { before: { name: 'Etc/UTC' }, after: { name: 'Europe/Paris' } }, msg: 'Added 1 line and deleted 1 line(s) on /etc/timezone' });
      expect(await sh('readlink /etc/localtime; cat /etc/timezone; date +%Z')).to.match(/^\/usr\/share\/zoneinfo\/Europe\/Paris\nEurope\/Paris\nCES?T\n$/);

      const again = await counted({ name: 'Europe/Paris' });
      expect(again.trips).to.equal(1);
      const unchanged = { changed: false, diff: { before: { name: 'Europe/Paris' }, after: { name: 'Europe/Paris' } } };
      expect(again.result).to.deep.equal(unchanged);
      expect(await ansible({ name: 'Europe/Paris' })).to.deep.equal(unchanged);
    });

    it('has nothing to change after Ansible set another zone', async () => {
      await setUp({});
      const theirs = await ansible({ name: 'Asia/Tokyo' });
      expect(theirs).to.include({ changed: true });
      const ours = await counted({ name: 'Asia/Tokyo' });
      expect(ours.trips).to.equal(1);
      expect(ours.result).to.deep.equal({ changed: false, diff: { before: { name: 'Asia/Tokyo' }, after: { name: 'Asia/Tokyo' } } });
    });

    it('reads the host as Ansible does: a file of several lines, none, a copied or a broken /etc/localtime', async () => {
      // every line that starts with a non-blank is a zone line to Ansible: all go, one comes back
      expect((await bothWays({ timezoneFile: '# set by hand\\nEtc/UTC\\n' }, { name: 'Europe/Paris' })).result.msg).to.equal('Added 1 line and deleted 2 line(s) on /etc/timezone');
      expect((await bothWays({ timezoneFile: null }, { name: 'Europe/Paris' })).result).to.deep.include({ diff: { before: { name: 'n/a' }, after: { name: 'Europe/Paris' } } });
      // a copy of the right zone file is the zone; of another one, unknown
      expect((await bothWays({ timezoneFile: 'Europe/Paris\\n', localtime: 'copy:Europe/Paris' }, { name: 'Europe/Paris' })).result.changed).to.equal(false);
      expect((await bothWays({ timezoneFile: 'Europe/Paris\\n', localtime: 'copy:Asia/Tokyo' }, { name: 'Europe/Paris' })).result).to.deep.include({ changed: true, diff: { before: { name: 'n/a' }, after: { name: 'Europe/Paris' } } });
      // the file names the zone, the link another: the link's zone is the one in force
      expect((await bothWays({ timezoneFile: 'Europe/Paris\\n', localtime: 'link:Asia/Tokyo' }, { name: 'Europe/Paris' })).result).to.deep.include({ diff: { before: { name: 'Asia/Tokyo' }, after: { name: 'Europe/Paris' } } });
      expect((await bothWays({ timezoneFile: 'Europe/Paris\\n', localtime: 'broken' }, { name: 'Europe/Paris' }, { check: true })).result).to.deep.equal({ changed: true, diff: { before: { name: 'n/a' }, after: { name: 'Europe/Paris' } } });
    });

    it("fails on an unknown zone with Ansible's message, changing nothing (1 round trip)", async () => {
      const { result, trips } = await bothWays({}, { name: 'Mars/Olympus_Mons' });
      expect(trips).to.equal(1);
      expect(result).to.deep.equal({ changed: false, failed: true, msg: 'Error message:\ngiven timezone "Mars/Olympus_Mons" is not available' });
    });

    it('fails as Ansible does when dpkg-reconfigure settles on another name (UTC becomes Etc/UTC)', async () => {
      const { result } = await bothWays({ timezoneFile: 'Europe/Paris\\n', localtime: 'link:Europe/Paris' }, { name: 'UTC' });
      expect(result.msg).to.equal("Error message:\nstill not desired state, though changes have made - planned: {'name': 'UTC'}, after: {'name': 'Etc/UTC'}\nOther message(s):\nAdded 1 line and deleted 1 line(s) on /etc/timezone");
    });

    it("fails as Ansible does where the lab's hwclock finds no hardware clock, /etc/default/rcS written first", async () => {
      const { result } = await bothWays({ rcS: null, adjtime: null }, { hwclock: 'UTC' });
      expect(result).to.include({ failed: true, cmd: '/usr/sbin/hwclock --systohc --utc', rc: 1 });
      expect(await sh('cat /etc/default/rcS')).to.equal('UTC=yes\n');
      // hwclock comes first: the zone is left as it was
      await bothWays({ rcS: 'UTC=yes\\n', adjtime: null }, { hwclock: 'local', name: 'Asia/Tokyo' });
      expect(await sh('cat /etc/timezone')).to.equal('Etc/UTC\n');
    });

    describe('hwclock, with a stand-in for the hardware clock the lab lacks', () => {
      // keeps /etc/adjtime's third line as hwclock --systohc does; found first on the PATH by both tools
      before(() => sh(String.raw`printf '#!/bin/sh\ncase "$*" in *--localtime*) m=LOCAL ;; *) m=UTC ;; esac\nprintf "0.0 0 0.0\\n0\\n%%s\\n" "$m" > /etc/adjtime\n' > /usr/local/sbin/hwclock && chmod +x /usr/local/sbin/hwclock`));
      after(() => sh('rm -f /usr/local/sbin/hwclock'));

      it('sets UTC (2 round trips), then has nothing to change (1), as Ansible', async () => {
        const set = await bothWays({ rcS: null, adjtime: null }, { hwclock: 'UTC' });
        expect(set.trips).to.equal(2);
        expect(set.result).to.deep.equal({
          changed: true,
          diff: { before: { hwclock: 'n/a' }, after: { hwclock: 'UTC' } },
          msg: 'Added 1 line and deleted 0 line(s) on /etc/default/rcS\nexecuted `/usr/local/sbin/hwclock --systohc --utc`',
        });
        const again = await counted({ rtc: 'UTC' });
        expect(again.trips).to.equal(1);
        expect(again.result).to.deep.equal({ changed: false, diff: { before: { hwclock: 'UTC' }, after: { hwclock: 'UTC' } } });
      });

      it('reads /etc/adjtime when rcS agrees, sets local time, and both values at once, as Ansible', async () => {
        expect((await bothWays({ rcS: 'UTC=yes\\n', adjtime: '0.0 0 0.0\\n0\\nLOCAL\\n' }, { hwclock: 'UTC' }, { check: true })).result).to.deep.equal({ changed: true, diff: { before: { hwclock: 'local' }, after: { hwclock: 'UTC' } } });
        expect((await bothWays({ rcS: 'TMPTIME=0\\nUTC=yes\\n', adjtime: null }, { hwclock: 'local' })).result.msg).to.equal('Added 1 line and deleted 1 line(s) on /etc/default/rcS\nexecuted `/usr/local/sbin/hwclock --systohc --localtime`');
        const both = await bothWays({ rcS: 'UTC=no\\n', adjtime: '0.0 0 0.0\\n0\\nLOCAL\\n' }, { hwclock: 'UTC', name: 'America/New_York' });
        expect(both.result).to.deep.include({ changed: true, diff: { before: { hwclock: 'local', name: 'Etc/UTC' }, after: { hwclock: 'UTC', name: 'America/New_York' } } });
        expect(both.trips).to.equal(2);
      });
    });

    it('fails as Ansible does on a host without hwclock', async () => {
      await sh('mv /usr/sbin/hwclock /usr/sbin/hwclock.away');
      try {
        const { result } = await bothWays({}, { name: 'Europe/Paris' });
        expect(result.msg).to.match(/^Failed to find required executable "hwclock" in paths: \S*\/usr\/sbin/);
      } finally {
        await sh('mv /usr/sbin/hwclock.away /usr/sbin/hwclock');
      }
    });

    it('in a playbook: notifies its handler on a change only, and --diff shows what ansible-playbook --diff shows', async () => {
      await setUp({});
      const dir = mkdtempSync(join(tmpdir(), 'typebook-timezone-'));
      try {
        const playbook = join(dir, 'ntp.yml');
        // as geerlingguy.ntp sets the zone
        writeFileSync(playbook, JSON.stringify([{
          hosts: 'node1', gather_facts: false, vars: { ntp_timezone: 'Europe/Paris' },
          tasks: [{ name: 'Set timezone.', timezone: { name: '{{ ntp_timezone }}' }, notify: 'restart cron' }],
          handlers: [{ name: 'restart cron', command: 'touch /tmp/cron-restarted' }],
        }]));
        const events: HostResultEvent[] = [];
        const run = await runPlaybook({ playbook, inventory: [fixture.lab.inventoryPath], diff: true, onEvent: (e) => { if (e.type === 'host_result') events.push(e); } });
        expect(run.exitCode).to.equal(0);
        expect(run.stats.node1).to.include({ changed: 2, failed: 0 });
        const shown = events.find((e) => e.task === 'Set timezone.')!.diff!.map((d) => unifiedDiff(d, false)).join('');
        expect(await sh('test -e /tmp/cron-restarted && rm /tmp/cron-restarted && echo yes')).to.equal('yes\n');

        await setUp({});
        const theirs = await new Promise<string>((resolve, reject) => {
          const child = spawn('ansible-playbook', ['-i', fixture.lab.inventoryPath, '--diff', playbook], { env: ansibleEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          child.stdout.on('data', (b: Buffer) => (out += b.toString()));
          child.on('error', reject);
          child.on('close', () => resolve(out));
        });
        const block = /^--- before\n[\s\S]*?\n(?=\n)/m.exec(theirs)?.[0];
        expect(block, theirs).to.be.a('string');
        expect(shown.trimEnd()).to.equal(block!.trimEnd());
        expect(await sh('rm /tmp/cron-restarted && echo yes')).to.equal('yes\n');

        const again = await runPlaybook({ playbook, inventory: [fixture.lab.inventoryPath] });
        expect(again.stats.node1).to.include({ changed: 0, failed: 0 });
        expect(await sh('test -e /tmp/cron-restarted || echo none')).to.equal('none\n');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

/**
 * mount on a real lab host against ansible.posix.mount itself, both ways: one sequence of states run by
 * ansible-playbook on one side of /srv/typebook-mount (its own fstab, tmpfs and bind mounts inside the lab
 * host's mount namespace) and by typebook on the other, results and host state (fstab, mount table, mount
 * points) compared after every step; check mode; the fstab editing on its own.
 */
import { expect } from 'chai';
import type { CountingConnection } from '../../lib/connection/index.js';
import mount, { escapeFstab, linuxMounts, setMount, unsetMount, type MountArgs } from '../../lib/modules/mount.js';
import { labSsh, useLab } from '../lab/fixture.js';
import { runAnsibleTasks } from './ansible.js';
import { checkedArgs, labConnection, runCounted } from './harness.js';

const D = '/srv/typebook-mount';

interface Step {
  name: string;
  /** the arguments, `@` standing for the side's directory */
  args: Record<string, unknown>;
  trips: number;
}

const INITIAL = '# typebook\n\nUUID=x / ext4 defaults 0 1\ntmpfs @/p2 tmpfs defaults\n/dev/sw none swap sw 0 0\nlast @/q tmpfs defaults 0 0';

const steps: Step[] = [
  { name: 'present: appended', args: { path: '@/p', src: 'tmpfs', fstype: 'tmpfs', opts: 'size=1m', state: 'present' }, trips: 2 },
  { name: 'present again: unchanged', args: { path: '@/p', src: 'tmpfs', fstype: 'tmpfs', opts: 'size=1m', state: 'present' }, trips: 1 },
  { name: 'mounted: mount point made, mounted', args: { path: '@/p', src: 'tmpfs', fstype: 'tmpfs', opts: 'size=1m', state: 'mounted' }, trips: 2 },
  { name: 'mounted again: unchanged', args: { path: '@/p', src: 'tmpfs', fstype: 'tmpfs', opts: 'size=1m', state: 'mounted' }, trips: 1 },
  { name: 'mounted, other opts, boot false: remounted', args: { path: '@/p', src: 'tmpfs', fstype: 'tmpfs', opts: 'size=2m', boot: false, state: 'mounted' }, trips: 2 },
  { name: 'unmounted', args: { path: '@/p', state: 'unmounted' }, trips: 2 },
  { name: 'unmounted again: unchanged', args: { path: '@/p', state: 'unmounted' }, trips: 1 },
  { name: 'remounted while not mounted: umount fails', args: { path: '@/p', state: 'remounted' }, trips: 2 },
  { name: 'remounted with opts while not mounted: refused', args: { path: '@/p', state: 'remounted', opts: 'ro' }, trips: 2 },
  { name: 'mounted again', args: { path: '@/p', src: 'tmpfs', fstype: 'tmpfs', opts: 'size=2m,noauto', state: 'mounted' }, trips: 2 },
  { name: 'absent with backup: unmounted, line and mount point removed', args: { path: '@/p', state: 'absent', backup: true }, trips: 2 },
  { name: 'present over a 4-field line: rewritten with 6, the last line ended', args: { path: '@/p2', src: 'tmpfs', fstype: 'tmpfs', dump: 0, state: 'present', backup: true }, trips: 2 },
  { name: 'absent_from_fstab of a missing line', args: { path: '@/none', state: 'absent_from_fstab' }, trips: 1 },
  { name: 'mounted, failing: fstab put back, made directories removed', args: { path: '@/x/y', src: '@/nonexistent', fstype: 'ext4', state: 'mounted' }, trips: 2 },
  { name: 'noauto in opts: boot ignored, with a warning', args: { path: '@/n', src: 'tmpfs', fstype: 'tmpfs', opts: 'noauto', boot: false, state: 'present' }, trips: 2 },
  { name: 'ephemeral bind mount', args: { path: '@/b', src: '@/srcdir', fstype: 'none', opts: 'bind', state: 'ephemeral' }, trips: 2 },
  { name: 'ephemeral again: remounted', args: { path: '@/b', src: '@/srcdir', fstype: 'none', opts: 'bind', state: 'ephemeral' }, trips: 2 },
  { name: 'ephemeral tmpfs', args: { path: '@/e', src: 'tmpfs', fstype: 'tmpfs', state: 'ephemeral' }, trips: 2 },
  { name: 'ephemeral tmpfs again, with opts: remounted', args: { path: '@/e', src: 'tmpfs', fstype: 'tmpfs', opts: 'size=1m', state: 'ephemeral' }, trips: 2 },
  { name: 'ephemeral with another source: refused', args: { path: '@/e', src: 'other', fstype: 'tmpfs', state: 'ephemeral' }, trips: 1 },
  { name: 'unmounted bind mount', args: { path: '@/b', state: 'unmounted' }, trips: 2 },
  { name: 'unmounted tmpfs', args: { path: '@/e', state: 'unmounted' }, trips: 2 },
];

/** A side's arguments: its directory for `@`, its own fstab (ephemeral ignores it). */
function sideArgs(args: Record<string, unknown>, side: string): Record<string, unknown> {
  const out = Object.fromEntries(Object.entries(args).map(([k, v]) => [k, typeof v === 'string' ? v.replaceAll('@', `${D}/${side}`) : v]));
  return args.state === 'ephemeral' ? out : { fstab: `${D}/${side}/fstab`, ...out };
}

/** What a step leaves: the fstab, the side's mounts, its entries (backups by name only: they hold a pid and the time). */
const STATE = (side: string) => `cd ${D}/${side} && cat fstab; echo; echo ==; findmnt -rn -o TARGET,SOURCE,FSTYPE,OPTIONS | grep '^${D}/${side}/' || true; echo ==; ls -A | sed 's/\\.[0-9]*\\.[0-9-]*@[0-9:]*~$/.PID.TIME~/'; echo ==; cat fstab.*~ 2>/dev/null || true`;

describe('mount module (lab, against ansible.posix.mount)', function () {
  this.timeout(180_000);
  const fixture = useLab({ hosts: 1, name: 'mod-assemble-2' });
  let conn: CountingConnection;

  before(async () => {
    conn = labConnection(fixture.lab, 'node1');
    const setup = await labSsh(fixture.lab, 'node1', ['a', 't'].map((s) => `mkdir -p ${D}/${s}/srcdir ${D}/${s}/other && printf %s '${Buffer.from(INITIAL.replaceAll('@', `${D}/${s}`)).toString('base64')}' | base64 -d > ${D}/${s}/fstab`).join(' && '));
    expect(setup.code, setup.stderr).to.equal(0);
  });
  after(async () => {
    await conn?.close();
    // what a failed test left mounted, innermost first
    await labSsh(fixture.lab, 'node1', `findmnt -rn -o TARGET | grep '^${D}/' | sort -r | xargs -r -n1 umount`).catch(() => undefined);
  });

  it("returns Ansible's results and leaves the same fstab and mounts, step by step", async () => {
    const tasks = steps.flatMap((s) => [{ name: s.name, mount: sideArgs(s.args, 'a') }, { shell: STATE('a') }]);
    const theirs = await runAnsibleTasks(fixture.lab, 'node1', tasks);
    const results = theirs.filter((_r, i) => i % 2 === 0);
    // the steps are what they claim to be
    expect(results.map((r) => (r.failed ? String(r.msg).split(':')[0] : r.changed))).to.deep.equal([
      true, false, true, false, true, true, false, `Error remounting ${D}/a/p`, 'Options were specified with remounted, but the remount command failed. Failing in order to prevent an unexpected mount result. Try replacing this command with a "state', true, true,
      true, false, `Error mounting ${D}/a/x/y`, true, true, true, true, true, 'Ephemeral mount point is already mounted with a different source than the specified one. Failing in order to prevent an unwanted unmount or override operation. Try replacing this command with a "state', true, true,
    ]);
    expect(results[14]!.warnings).to.deep.equal(["Ignore the 'boot' due to 'opts' contains 'noauto'."]);
    for (const [i, step] of steps.entries()) {
      const { result, trips } = await runCounted(mount, sideArgs(step.args, 't'), conn);
      const swap = (r: unknown) => JSON.parse(JSON.stringify(r).replaceAll(`${D}/a`, `${D}/t`)) as Record<string, unknown>;
      // a backup's name holds the process id and the time
      const backup = (r: Record<string, unknown>) => (typeof r.backup_file === 'string' ? { ...r, backup_file: r.backup_file.replace(/\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~$/, '.PID.TIME~') } : r);
      expect(backup(result), step.name).to.deep.equal(backup(swap(results[i])));
      expect(trips, step.name).to.equal(step.trips);
      const state = await labSsh(fixture.lab, 'node1', STATE('t'));
      expect(state.stdout, step.name).to.equal(swap(theirs[2 * i + 1]).stdout + '\n');
    }
  });

  it('changes nothing in check mode but the fstab it creates when missing, as Ansible', async () => {
    const cases = [
      { path: '@/c', src: 'tmpfs', fstype: 'tmpfs', state: 'mounted' },
      { path: '@/c', state: 'absent', fstab: '@/new/fstab' },
      { path: '@/t2', src: 'tmpfs', fstype: 'tmpfs', state: 'present' },
    ];
    const theirs = await runAnsibleTasks(fixture.lab, 'node1', cases.flatMap((c) => [{ mount: sideArgs(c, 'a') }, { shell: STATE('a'), check_mode: false }]), ['--check']);
    for (const [i, c] of cases.entries()) {
      const { result, trips } = await runCounted(mount, sideArgs(c, 't'), conn, { check: true });
      const swap = (r: unknown) => JSON.parse(JSON.stringify(r).replaceAll(`${D}/a`, `${D}/t`)) as Record<string, unknown>;
      expect(result).to.deep.equal(swap(theirs[2 * i]));
      expect(trips).to.equal(i === 1 ? 2 : 1);
      expect((await labSsh(fixture.lab, 'node1', STATE('t'))).stdout).to.equal(swap(theirs[2 * i + 1]).stdout + '\n');
    }
    expect(theirs[0]).to.include({ changed: true });
    expect((await labSsh(fixture.lab, 'node1', `test -e ${D}/t/c || test -s ${D}/t/new/fstab || echo clean; ls ${D}/t/new`)).stdout).to.equal('clean\nfstab\n');
  });

  it("edits fstab lines as Ansible's set_mount and unset_mount", () => {
    const a: MountArgs = { name: '/m n', src: 'a&b', fstype: 'tmpfs', opts: 'defaults', dump: '0', passno: '0', fstab: '/x', boot: 'yes' };
    expect(escapeFstab('a b&c\\d')).to.equal('a\\040b\\046c\\134d');
    expect(setMount('', a).lines).to.deep.equal(['a\\046b /m\\040n tmpfs defaults 0 0\n']);
    // the same line: kept byte for byte; a 5-field one gets its passno
    expect(setMount('a\\046b\t/m\\040n  tmpfs defaults 0 0\n', a)).to.deep.include({ changed: false, lines: ['a\\046b\t/m\\040n  tmpfs defaults 0 0\n'] });
    expect(setMount('a\\046b /m\\040n tmpfs defaults 0\n', a)).to.deep.include({ changed: true, lines: ['a\\046b /m\\040n tmpfs defaults 0 0\n'] });
    // swap lines are told apart by src
    const swap: MountArgs = { ...a, name: 'none', src: '/dev/b', fstype: 'swap' };
    expect(setMount('/dev/a none swap sw 0 0\n', swap).lines).to.deep.equal(['/dev/a none swap sw 0 0\n', '/dev/b none swap defaults 0 0\n']);
    expect(unsetMount('/dev/a none swap sw 0 0\n/dev/b none swap sw 0 0\n', swap).lines).to.deep.equal(['/dev/a none swap sw 0 0\n']);
    // unset only removes 6-field lines
    expect(unsetMount('s /m\\040n tmpfs defaults\n', a)).to.deep.equal({ changed: false, lines: ['s /m\\040n tmpfs defaults\n'] });
  });

  it("reads mountinfo as Ansible's get_linux_mounts: a bind mount's source directory", () => {
    const info = '42 60 0:35 / /tmp rw - tmpfs tmpfs rw\n78 42 0:35 /aaa /tmp/bbb rw - tmpfs tmpfs rw\n140 1 253:2 /rootfs / rw - ext4 /dev/sdb2 rw\n141 140 253:2 /rootfs/tmp/aaa /tmp/ccc rw - ext4 /dev/sdb2 rw\n';
    const mounts = linuxMounts(info);
    expect(mounts.get('/tmp/bbb')).to.deep.equal({ src: '/tmp/aaa', opts: 'rw', fs: 'tmpfs' });
    expect(mounts.get('/tmp/ccc')?.src).to.equal('/tmp/aaa');
    expect(mounts.get('/')?.src).to.equal('/dev/sdb2');
  });

  it("takes Ansible's names and refuses what Ansible refuses", () => {
    expect(mount.aliases).to.include.members(['ansible.posix.mount', 'ansible.builtin.mount']);
    expect(checkedArgs(mount, { name: '/m', state: 'unmounted', dump: 1 })).to.deep.include({ path: '/m', dump: '1' });
    expect(() => checkedArgs(mount, { path: '/m', state: 'mounted', src: 'tmpfs' })).to.throw(/state is mounted but all of the following are missing: fstype/);
    expect(() => checkedArgs(mount, { path: '/m', state: 'gone' })).to.throw(/state/);
    expect(() => checkedArgs(mount, { path: '/m' })).to.throw(/state/);
  });
});

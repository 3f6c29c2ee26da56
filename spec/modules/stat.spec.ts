/** stat on a real lab host: every kind of path, option by option, field for field equal to Ansible's stat there. */
import { expect } from 'chai';
import type { CountingConnection } from '../../lib/connection/index.js';
import stat, { parseMime, pythonTime } from '../../lib/modules/stat.js';
import { labSsh, useSharedLab } from '../lab/fixture.js';
import { runAnsibleTasks } from './ansible.js';
import { checkedArgs, labConnection, runModule } from './harness.js';

const D = '/srv/typebook-stat';

describe('stat module (lab, against Ansible)', function () {
  this.timeout(90_000);
  let conn: CountingConnection;
  after(async () => conn?.close());
  const fixture = useSharedLab({ hosts: 1, name: 'mod-inspect' });

  before(async () => {
    conn = labConnection(fixture.lab, 'node1');
    // every atime in the future, so no read (checksum, file, readlink) moves it under relatime
    const setup = await labSsh(fixture.lab, 'node1', [
      `rm -rf ${D} && mkdir -p ${D}/dir && cd ${D}`,
      `printf 'hello\\n' > file && printf '\\000\\001\\002\\377' > bin && printf 'x' > 'sp ace:x'`,
      'ln -s file link && ln -s missing dangling && ln -s dir dirlink && mkfifo fifo',
      'install /dev/null suid && chown 12345:54321 suid && chmod 4751 suid && chmod 0640 file',
      "touch -m -d '2020-05-06 07:08:09.987654321' file",
      "find . -exec touch -h -a -d '2031-01-01 00:00:00.123456789' {} +",
    ].join(' && '));
    expect(setup.code, setup.stderr).to.equal(0);
  });

  const cases: Record<string, unknown>[] = [
    { path: `${D}/file` },
    { path: `${D}/link` },
    { path: `${D}/link`, follow: true },
    { path: `${D}/dangling` },
    { path: `${D}/dangling`, follow: true },
    { path: `${D}/missing` },
    { path: `${D}/file/x` },
    { path: `${D}/dir` },
    { path: `${D}/dirlink`, follow: true },
    { path: `${D}/fifo` },
    { path: '/dev/null' },
    { path: `${D}/suid` },
    { path: `${D}/bin`, checksum_algorithm: 'sha256', get_md5: true },
    { path: `${D}/file`, get_checksum: false, get_mime: false, get_attributes: false },
    { path: `${D}/sp ace:x`, checksum: 'md5' },
    { path: '/etc/passwd' },
  ];

  it("returns Ansible's result for every case, in one round trip each", async () => {
    const theirs = await runAnsibleTasks(fixture.lab, 'node1', cases.map((args) => ({ stat: args })));
    // what Ansible said, in short: the cases are what they claim to be
    expect(theirs.map((r) => (r.failed ? `failed: ${String(r.msg)}` : (r.stat as { exists: boolean; islnk?: boolean; isreg?: boolean }).exists ? Object.entries(r.stat as object).filter(([k, v]) => k.startsWith('is') && v === true).map(([k]) => k).join(',') : 'absent'))).to.deep.equal([
      'isreg', 'islnk', 'isreg', 'islnk', 'absent', 'absent', 'failed: Not a directory', 'isdir', 'isdir', 'isfifo', 'ischr', 'isreg,isuid', 'isreg', 'isreg', 'isreg', 'isreg',
    ]);
    expect(theirs[11]!.stat).to.not.have.property('pw_name');
    expect(theirs[10]!.stat).to.include({ device_type: 259 });
    expect(theirs[12]!.stat).to.include({ mimetype: 'application/octet-stream', charset: 'binary' }).and.have.property('md5');
    for (const [i, args] of cases.entries()) {
      const before = conn.roundTrips;
      const ours = await runModule(stat, args, conn);
      expect(conn.roundTrips - before, JSON.stringify(args)).to.equal(1);
      expect(ours, JSON.stringify(args)).to.deep.equal(theirs[i]);
    }
  });

  it('reads the same in check mode, and says so for a missing path', async () => {
    expect(await runModule(stat, { path: `${D}/missing` }, conn, { check: true })).to.deep.equal({ changed: false, stat: { exists: false } });
    const result = await runModule(stat, { path: `${D}/file`, follow: true }, conn, { check: true });
    expect(result.stat).to.include({ exists: true, isreg: true, mode: '0640', size: 6, checksum: 'f572d396fae9206628714fb2ce00f72e94f2258f', mtime: 1588748889.9876543 });
  });

  it("keeps Python's float times and Ansible's parse of `file`", () => {
    expect(pythonTime('1588748889.987654321')).to.equal(1588748889.9876543);
    expect(pythonTime('-1.500000000')).to.equal(-1.5);
    expect(pythonTime('0.000000000')).to.equal(0);
    expect(parseMime('/a:b: text/plain; charset=us-ascii\n')).to.deep.equal(['text/plain', 'us-ascii']);
    expect(parseMime('/x: cannot open')).to.equal(undefined);
  });

  it("takes Ansible's aliases, fully-qualified names, and refuses what Ansible refuses", () => {
    expect(stat.aliases).to.include.members(['ansible.builtin.stat', 'ansible.legacy.stat']);
    expect(checkedArgs(stat, { dest: '/x', mime: false, attr: false, checksum_algo: 'sha512' })).to.deep.include({ path: '/x', get_mime: false, get_attributes: false, checksum_algorithm: 'sha512' });
    expect(() => checkedArgs(stat, { path: '/x', checksum_algorithm: 'crc32' })).to.throw(/sha256/);
    expect(() => checkedArgs(stat, {})).to.throw(/path/);
  });
});

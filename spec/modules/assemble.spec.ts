/**
 * assemble on a real lab host against Ansible's own, both ways: the same cases run by ansible-playbook and by
 * typebook on twin destinations, results and files compared; the controller's fragments (remote_src: false);
 * check mode; Python's escape_decode of the delimiter.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CountingConnection } from '../../lib/connection/index.js';
import assemble, { escapeDecode } from '../../lib/modules/assemble.js';
import { labSsh, useLab } from '../lab/fixture.js';
import { runAnsibleTasks } from './ansible.js';
import { checkedArgs, labConnection, runCounted } from './harness.js';

const D = '/srv/typebook-assemble';

interface Case {
  name: string;
  args: Record<string, unknown>;
  /** dest before, when there is one */
  initial?: string;
  /** round trips typebook takes */
  trips: number;
}

describe('assemble module (lab, against Ansible)', function () {
  this.timeout(120_000);
  const fixture = useLab({ hosts: 1, name: 'mod-assemble' });
  let conn: CountingConnection;
  after(async () => conn?.close());

  before(async () => {
    conn = labConnection(fixture.lab, 'node1');
    const setup = await labSsh(fixture.lab, 'node1', [
      `rm -rf ${D} && mkdir -p ${D}/f/sub ${D}/three ${D}/a/dir ${D}/t/dir && cd ${D}/f`,
      `printf 'a\\n' > 01a && printf 'b' > 02b && printf 'c\\n' > .hid && printf 'e\\n' > 'é' && ln -s 01a 03link`,
      `cd ${D}/three && printf '1' > 1 && printf '2\\n' > 2 && printf '3' > 3`,
    ].join(' && '));
    expect(setup.code, setup.stderr).to.equal(0);
  });

  const all = 'c\na\nb\na\ne\n';
  const cases: Case[] = [
    { name: 'new file', args: { src: `${D}/f` }, trips: 2 },
    { name: 'unchanged', args: { src: `${D}/f` }, initial: all, trips: 1 },
    { name: 'unchanged, mode to set', args: { src: `${D}/f`, mode: '0600' }, initial: all, trips: 2 },
    { name: 'delimiter, regexp, ignore_hidden', args: { src: `${D}/f`, delimiter: '## d\\t', regexp: '^[0.]', ignore_hidden: true }, trips: 2 },
    // Ansible decodes the delimiter again for every fragment: '\\\\n' is '\\n' the first time, a newline after
    { name: 'delimiter decoded at each use', args: { src: `${D}/three`, delimiter: '\\\\n' }, trips: 2 },
    { name: 'missing src', args: { src: `${D}/nope` }, trips: 1 },
    { name: 'src not a directory', args: { src: `${D}/f/01a` }, trips: 1 },
    { name: 'validate fails', args: { src: `${D}/f`, validate: 'sh -c "echo no >&2; exit 3" %s' }, initial: 'old\n', trips: 2 },
    { name: 'validate passes', args: { src: `${D}/three`, validate: 'cat %s' }, trips: 2 },
    { name: 'invalid regexp', args: { src: `${D}/f`, regexp: '(' }, trips: 1 },
    { name: 'backup', args: { src: `${D}/three`, backup: true }, initial: 'old\n', trips: 2 },
    { name: 'backup of nothing', args: { src: `${D}/three`, backup: true }, trips: 2 },
    { name: 'owner and group by id', args: { src: `${D}/three`, owner: '12345', group: '54321', mode: 'u=rw,g=r' }, trips: 2 },
  ];

  it("returns Ansible's results and leaves the same files", async () => {
    const setup = cases.flatMap((c, i) => (c.initial === undefined ? [] : ['a', 't'].map((s) => `printf %s '${Buffer.from(c.initial!).toString('base64')}' | base64 -d > ${D}/${s}/${i}`)));
    const prepared = await labSsh(fixture.lab, 'node1', setup.join(' && '));
    expect(prepared.code, prepared.stderr).to.equal(0);
    const theirs = await runAnsibleTasks(fixture.lab, 'node1', cases.map((c, i) => ({ name: c.name, assemble: { ...c.args, dest: `${D}/a/${i}` } })));
    // the cases are what they claim to be
    expect(theirs.map((r) => (r.failed ? String(r.msg) : r.changed))).to.deep.equal([
      true, false, true, true, true, `Source (${D}/nope) does not exist`, `Source (${D}/f/01a) is not a directory`, 'failed to validate: rc:3 error:no\n',
      true, 'Invalid Regexp (missing ), unterminated subpattern at position 0) in "("', true, true, true,
    ]);
    for (const [i, c] of cases.entries()) {
      const { result, trips } = await runCounted(assemble, { ...c.args, dest: `${D}/t/${i}` }, conn);
      const expected = JSON.parse(JSON.stringify(theirs[i]).replaceAll(`${D}/a/`, `${D}/t/`)) as Record<string, unknown>;
      // a backup's name holds the process id and the time
      if (typeof expected.backup_file === 'string') {
        expect(result.backup_file, c.name).to.match(new RegExp(`^${D}/t/${i}\\.\\d+\\.\\d{4}-\\d\\d-\\d\\d@\\d\\d:\\d\\d:\\d\\d~$`));
        expected.backup_file = result.backup_file;
      }
      expect(result, c.name).to.deep.equal(expected);
      expect(trips, c.name).to.equal(c.trips);
    }
    const files = await labSsh(fixture.lab, 'node1', cases.map((_c, i) => `for s in a t; do if [ -f ${D}/$s/${i} ]; then stat -c '%a %u %g' ${D}/$s/${i}; base64 -w0 ${D}/$s/${i}; else echo -; printf -; fi; echo; done`).join('; '));
    const lines = files.stdout.split('\n');
    for (const [i, c] of cases.entries()) expect(lines.slice(4 * i + 2, 4 * i + 4), c.name).to.deep.equal(lines.slice(4 * i, 4 * i + 2));
    expect(Buffer.from(lines[4 * 3 + 1]!, 'base64').toString()).to.equal('a\n## d\t\nb\n## d\t\na\n');
    expect(Buffer.from(lines[4 * 4 + 1]!, 'base64').toString()).to.equal('1\n\\n\n2\n\n3');
    const backups = await labSsh(fixture.lab, 'node1', `cat ${D}/t/10.*~; ls ${D}/t | grep -c '^11\\.' || true`);
    expect(backups.stdout).to.equal('old\n0\n');
  });

  it('is skipped in check mode, as Ansible (its action does not support it), changing nothing', async () => {
    const args = { src: `${D}/f`, dest: `${D}/check` };
    const [theirs] = await runAnsibleTasks(fixture.lab, 'node1', [{ assemble: args }], ['--check']);
    const { result, trips } = await runCounted(assemble, args, conn, { check: true });
    expect(result).to.deep.equal(theirs);
    expect(result).to.deep.equal({ changed: false, skipped: true, msg: 'check mode is not supported for this task.' });
    expect(trips).to.equal(0);
    expect((await labSsh(fixture.lab, 'node1', `test -e ${D}/check`)).code).to.equal(1);
  });

  it("assembles the controller's fragments with remote_src false, as Ansible's action, with a diff", async () => {
    const local = mkdtempSync(join(tmpdir(), 'typebook-assemble-'));
    try {
      mkdirSync(join(local, 'sub'));
      writeFileSync(join(local, '2-b'), 'b');
      writeFileSync(join(local, '1-a'), 'a\n');
      writeFileSync(join(local, '3-c'), 'c\n');
      writeFileSync(join(local, '.h'), 'h\n');
      const args = { src: local, remote_src: false, delimiter: '--', regexp: '^[0-9.]', ignore_hidden: true, mode: '0640' };
      const [theirs] = await runAnsibleTasks(fixture.lab, 'node1', [{ assemble: { ...args, dest: `${D}/a/local` } }], ['--diff']);
      const { result, trips } = await runCounted(assemble, { ...args, dest: `${D}/t/local` }, conn, { diff: true });
      const content = 'a\n--\nb\n--\nc\n';
      // Ansible's src is the temp file it sent, its diff's after_header the controller's temp file
      const same = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).filter(([k]) => !['src', 'diff', 'dest'].includes(k)));
      expect(same(result)).to.deep.equal(same(theirs!));
      expect(theirs).to.include({ checksum: 'cf9e1f24e01920d54a122dc663c6c9521b5e0afb', mode: '0640', size: content.length });
      expect((theirs!.diff as { after: string }).after).to.equal(content);
      expect(result.diff).to.deep.equal([{ before: '', after: content, beforeHeader: `${D}/t/local`, afterHeader: local }]);
      expect(trips).to.equal(2);
      const again = await runCounted(assemble, { ...args, dest: `${D}/t/local` }, conn);
      expect(again.result.changed).to.equal(false);
      expect(again.trips).to.equal(1);
      const files = await labSsh(fixture.lab, 'node1', `cmp ${D}/a/local ${D}/t/local && cat ${D}/t/local`);
      expect(files.stdout).to.equal(content);
      expect((await runCounted(assemble, { src: join(local, 'nope'), remote_src: false, dest: `${D}/t/x` }, conn)).result.msg).to.match(/^Could not find or access '.*nope' on the Ansible Controller\./);
    } finally {
      rmSync(local, { recursive: true, force: true });
    }
  });

  it("decodes the delimiter as Python's codecs.escape_decode", () => {
    const samples = ['plain', '\\n', '\\t\\\\x', '\\101\\x41\\q', 'é\\u00e9', '\\\n', '\\0', '\\777'];
    const run = spawnSync('/usr/bin/python3', ['-c', 'import codecs, json, sys, base64\nprint(json.dumps([base64.b64encode(codecs.escape_decode(s)[0]).decode() for s in json.load(sys.stdin)]))'], { input: JSON.stringify(samples), encoding: 'utf8' });
    expect(run.status, run.stderr).to.equal(0);
    expect(samples.map((s) => escapeDecode(Buffer.from(s)).toString('base64'))).to.deep.equal(JSON.parse(run.stdout));
    expect(() => escapeDecode(Buffer.from('\\x4'))).to.throw(/invalid \\x escape at position 0/);
  });

  it("takes Ansible's names and refuses what Ansible refuses", () => {
    expect(assemble.aliases).to.include.members(['ansible.builtin.assemble', 'ansible.legacy.assemble']);
    expect(checkedArgs(assemble, { src: '/x', dest: '/y', remote_src: 'no', ignore_hidden: 'yes' })).to.deep.include({ remote_src: false, ignore_hidden: true });
    expect(() => checkedArgs(assemble, { src: '/x' })).to.throw(/dest/);
    expect(() => checkedArgs(assemble, { dest: '/x' })).to.throw(/src/);
    expect(() => checkedArgs(assemble, { src: '/x', dest: '/y', validate: 'true' })).to.throw(/%s/);
    expect(() => checkedArgs(assemble, { src: '/x', dest: '/y', follow: true })).to.throw(/follow/);
  });
});

/**
 * apt_repository on a real lab host against Ansible's own module (python3-apt installed in the host from the lab's
 * repository), both ways: each case starts from the same sources files, is run by ansible-playbook and by typebook,
 * and the results, the files after (text, mode, owner, no temp file left) and apt's indexes after are compared.
 * Repositories are flat file: repositories inside the host (copies of the lab's own), so apt-get update never
 * leaves it.
 */
import { expect } from 'chai';
import type { CountingConnection } from '../../lib/connection/index.js';
import aptRepository, { dumpLines, expandPpa, fetchFailure, parseFile, suggestFilename } from '../../lib/modules/apt_repository.js';
import type { Diff, ModuleResult } from '../../lib/modules/module.js';
import { labSsh, useLab } from '../lab/fixture.js';
import { runAnsibleTasks } from './ansible.js';
import { checkedArgs, labConnection, runCounted } from './harness.js';

const R1 = 'deb [trusted=yes] file:/srv/r1 ./';
const R2 = 'deb [trusted=yes] file:/srv/r2 ./';
const LAB = 'deb [trusted=yes] file:/var/lib/typebook-lab/apt ./';
const SOURCES = '/etc/apt/sources.list';
const PARTS = '/etc/apt/sources.list.d';

interface Case {
  name: string;
  /** sources.list and sources.list.d/NAME files before */
  files: Record<string, string>;
  args: Record<string, unknown>;
  check?: boolean;
  /** round trips typebook should make */
  trips: number;
}

/** a shell command that puts the sources files as `files` says (nothing else in sources.list.d) */
function resetCommand(files: Record<string, string>): string {
  const steps = [`rm -rf ${PARTS}`, `mkdir -p ${PARTS}`, `rm -f ${SOURCES}`];
  for (const [name, text] of Object.entries(files)) {
    const path = name === 'sources.list' ? SOURCES : `${PARTS}/${name}`;
    steps.push(`printf %s '${Buffer.from(text).toString('base64')}' | base64 -d > ${path}`, `chmod 644 ${path}`);
  }
  return steps.join(' && ');
}

/** the sources files (name, mode, owner, text) and the indexes apt knows, as text to compare */
const SNAPSHOT = `for f in ${SOURCES} ${PARTS}/* ${PARTS}/.[!.]*; do [ -e "$f" ] || continue; stat -c '%n %a %U' "$f"; base64 -w0 "$f"; echo; done; apt-cache policy | grep -o 'file:/srv/[a-z0-9]*' | sort`;

/** Ansible's diff entries in typebook's Diff form, by file */
function ansibleDiff(result: Record<string, unknown>): Diff[] | undefined {
  const diff = result.diff;
  if (!Array.isArray(diff)) return undefined;
  return (diff as Record<string, string>[])
    .map((d) => ({ before: d.before!, after: d.after!, beforeHeader: d.before_header!, afterHeader: d.after_header! }))
    .sort((a, b) => (a.afterHeader + a.beforeHeader).localeCompare(b.afterHeader + b.beforeHeader));
}

function comparable(result: ModuleResult): Record<string, unknown> {
  const { diff, ...rest } = result;
  const sorted = Array.isArray(diff) ? [...diff].sort((a, b) => (a.afterHeader! + a.beforeHeader!).localeCompare(b.afterHeader! + b.beforeHeader!)) : undefined;
  return { ...rest, diff: sorted };
}

describe('apt_repository module', function () {
  this.timeout(180_000);
  const fixture = useLab({ hosts: 1, name: 'mod-apt-repo', packages: ['python3-apt', 'hello'] });
  let node1: CountingConnection;
  after(async () => node1?.close());

  before(async function () {
    this.timeout(120_000);
    node1 = labConnection(fixture.lab, 'node1');
    const setup = await labSsh(fixture.lab, 'node1', 'apt-get install -y -q python3-apt >/dev/null && for r in r1 r2; do mkdir -p /srv/$r && cp /var/lib/typebook-lab/apt/Packages /var/lib/typebook-lab/apt/hello_*.deb /srv/$r/; done');
    expect(setup.code, setup.stderr).to.equal(0);
  });

  it("parses, names and writes lines as Ansible's SourcesList does", () => {
    const lines = parseFile('#deb  http://a/debian  bookworm main  # mine \n\n##x\r\ndeb-src\thttp://b b\nnonsense   here\n#\n');
    expect(lines.map((l) => [l.valid, l.enabled, l.source, l.comment])).to.deep.equal([
      [true, false, 'deb http://a/debian bookworm main', 'mine'],
      [false, true, '', ''],
      [false, false, '#x', ''],
      [true, true, 'deb-src http://b b', ''],
      [false, true, 'nonsense   here', ''],
      [false, false, '', ''],
    ]);
    expect(dumpLines(lines)).to.equal('# deb http://a/debian bookworm main # mine\n\n# #x\ndeb-src http://b b\nnonsense   here\n# \n');
    expect(suggestFilename('deb [arch=amd64] https://user:pw@dl.example.com/linux/deb/ stable main', undefined)).to.equal('dl_example_com_linux_deb.list');
    expect(suggestFilename('deb file:/srv/r1 ./', undefined)).to.equal('file_srv_r1.list');
    expect(suggestFilename('deb file:/srv/r1 ./', 'mine')).to.equal('mine.list');
    expect(() => suggestFilename('deb [arch=amd64]', undefined)).to.throw(/IndexError/);
    expect(expandPpa('ppa:nginx/stable', 'jammy').source).to.equal('deb http://ppa.launchpad.net/nginx/stable/ubuntu jammy main');
    expect(expandPpa('ppa:nginx', 'jammy').source).to.equal('deb http://ppa.launchpad.net/nginx/ppa/ubuntu jammy main');
    expect(fetchFailure('W: one\nE: two\nN: three\nother\n')).to.equal('W:one, E:two, W:three');
  });

  it('refuses bad arguments as Ansible does', () => {
    expect(() => checkedArgs(aptRepository, {})).to.throw(/repo/);
    expect(() => checkedArgs(aptRepository, { repo: R1, state: 'enabled' })).to.throw(/state/);
    expect(() => checkedArgs(aptRepository, { repo: R1, mode: 'rw-r' })).to.throw(/mode/);
    expect(checkedArgs(aptRepository, { repo: R1, 'update-cache': false })).to.include({ update_cache: false });
  });

  const base = { 'sources.list': `# typebook lab\n${LAB}\n` };
  const cases: Case[] = [
    { name: 'a new line, in its own file, then apt-get update', files: base, args: { repo: R1 }, trips: 2 },
    { name: 'a line already there', files: { ...base, 'file_srv_r1.list': `${R1}\n` }, args: { repo: R1 }, trips: 1 },
    { name: 'a line there with other spacing', files: { ...base, 'x.list': `deb   [trusted=yes]  file:/srv/r1 ./ # kept\n` }, args: { repo: R1 }, trips: 1 },
    {
      name: 'a disabled line enabled, every file rewritten in Ansible form, an empty one deleted',
      files: { 'sources.list': `#  typebook lab\n${LAB}\n#${R1}   #  mine\n##x\n\nnot  a source\n`, 'empty.list': '', 'other.list': `#deb  file:/srv/nowhere ./\n` },
      args: { repo: R1, update_cache: false },
      trips: 2,
    },
    { name: 'check mode: nothing written', files: base, args: { repo: R2 }, check: true, trips: 1 },
    { name: 'filename and mode on a new file', files: base, args: { repo: R2, filename: 'second', mode: '0600', update_cache: false }, trips: 2 },
    { name: 'a symbolic mode on the file a line is appended to', files: { ...base, 'second.list': `${R1}\n` }, args: { repo: R2, filename: 'second', mode: 'u=rw,g=,o=', update_cache: false }, trips: 2 },
    { name: 'absent: the enabled lines removed, a disabled one kept, an emptied file deleted', files: { 'sources.list': `${LAB}\n# ${R1}\n`, 'r1.list': `${R1}\n` }, args: { repo: R1, state: 'absent', update_cache: false }, trips: 2 },
    { name: "absent: Ansible's walk takes the line after a second match", files: { 'sources.list': `${R1}\n${LAB}\n${R1}\n${R2}\n` }, args: { repo: R1, state: 'absent', update_cache: false }, trips: 2 },
    { name: "absent: Ansible's walk fails (IndexError)", files: { 'sources.list': `${R1}\n${LAB}\n${R2}\n${R1}\n` }, args: { repo: R1, state: 'absent', update_cache: false }, trips: 1 },
    { name: 'absent: nothing to remove', files: base, args: { repo: R1, state: 'absent' }, trips: 1 },
    { name: 'an invalid line', files: base, args: { repo: 'foo bar' }, trips: 1 },
    { name: 'a disabled line as repo', files: base, args: { repo: `# ${R1}` }, trips: 1 },
    { name: 'an empty repo', files: base, args: { repo: '' }, trips: 0 },
    { name: 'apt-get update failing: the sources put back', files: { ...base, 'keep.list': `#deb  file:/srv/r2 ./\n` }, args: { repo: 'deb [trusted=yes] file:/srv/missing ./', update_cache_retries: 1 }, trips: 2 },
    { name: 'apt-get update with no tries left', files: base, args: { repo: R2, update_cache_retries: 0 }, trips: 2 },
    { name: 'a ppa removed, its codename given', files: { 'sources.list': `${LAB}\ndeb http://ppa.launchpad.net/foo/bar/ubuntu jammy main\n` }, args: { repo: 'ppa:foo/bar', state: 'absent', codename: 'jammy', update_cache: false }, trips: 2 },
    { name: "a ppa removed, lsb_release's codename", files: { 'sources.list': `${LAB}\ndeb http://ppa.launchpad.net/foo/ppa/ubuntu bookworm main\n` }, args: { repo: 'ppa:foo', state: 'absent', update_cache: false }, trips: 2 },
    { name: 'a ppa already there', files: { 'sources.list': `${LAB}\ndeb http://ppa.launchpad.net/foo/bar/ubuntu jammy main\n` }, args: { repo: 'ppa:foo/bar', codename: 'jammy' }, trips: 1 },
  ];

  it('gives the results and leaves the files Ansible does, case by case (diff mode)', async () => {
    // in batches: runAnsibleTasks gives one ansible-playbook run 55 seconds
    const theirs: Record<string, unknown>[] = [];
    for (let at = 0; at < cases.length; at += 5) {
      const tasks = cases.slice(at, at + 5).flatMap((c) => [
        { name: `reset ${c.name}`, 'ansible.builtin.shell': resetCommand(c.files) },
        { name: c.name, 'ansible.builtin.apt_repository': c.args, ...(c.check ? { check_mode: true } : {}) },
        { name: `snapshot ${c.name}`, 'ansible.builtin.shell': SNAPSHOT },
      ]);
      theirs.push(...(await runAnsibleTasks(fixture.lab, 'node1', tasks, ['--diff'])));
    }
    for (const [k, c] of cases.entries()) {
      const ansible = theirs[3 * k + 1]!;
      const ansibleState = String(theirs[3 * k + 2]!.stdout);
      expect((await labSsh(fixture.lab, 'node1', resetCommand(c.files))).code).to.equal(0);
      const { result, trips } = await runCounted(aptRepository, c.args, node1, { diff: true, check: c.check ?? false });
      const ours = (await labSsh(fixture.lab, 'node1', SNAPSHOT)).stdout.trimEnd();
      expect(ours, `${c.name}: the host after`).to.equal(ansibleState);
      expect(trips, `${c.name}: round trips`).to.equal(c.trips);
      if (ansible.failed === true) {
        expect(result.failed, `${c.name}: ${JSON.stringify(ansible)}`).to.equal(true);
        // where Ansible's module crashes it has no message of its own to match
        if (String(ansible.msg).startsWith('MODULE FAILURE')) expect(String(result.msg)).to.match(/Ansible's apt_repository fails/);
        else expect(result.msg, c.name).to.equal(ansible.msg);
        continue;
      }
      const { diff: _diff, ...expected } = ansible;
      expect(comparable(result), c.name).to.deep.equal({ ...expected, diff: ansibleDiff(ansible) });
    }
  });

  it('refuses to add a ppa it would have to fetch from Launchpad', async () => {
    expect((await labSsh(fixture.lab, 'node1', resetCommand(base))).code).to.equal(0);
    const { result, trips } = await runCounted(aptRepository, { repo: 'ppa:foo/bar', codename: 'jammy' }, node1);
    expect(result).to.deep.include({ changed: false, failed: true });
    expect(String(result.msg)).to.match(/Launchpad/);
    expect(trips).to.equal(1);
  });
});

/** lineinfile on a real lab host: idempotence, check, diff, validate, backup, round trips, and Ansible's own results. */
import { expect } from 'chai';
import type { CountingConnection } from '../../lib/connection/index.js';
import lineinfile from '../../lib/modules/lineinfile.js';
import { checkModuleArgs, resolveAliases } from '../../lib/playbook/module-args.js';
import { formatProblem } from '../../lib/source/index.js';
import { labSsh, useSharedLab } from '../lab/fixture.js';
import { oracle, oracleText, runAnsible } from './ansible.js';
import { checkedArgs, labConnection, runModule } from './harness.js';

describe('lineinfile module (lab)', function () {
  this.timeout(60_000);
  let conn: CountingConnection;
  // registered before the lab's own hook, so it runs while the host is still up
  after(async () => conn?.close());
  const fixture = useSharedLab({ hosts: 1, name: 'mod-files' });
  const sh = async (cmd: string) => (await labSsh(fixture.lab, 'node1', cmd)).stdout;

  before(async () => {
    conn = labConnection(fixture.lab, 'node1');
    await sh("mkdir -p /srv/li && printf 'a=1\\nb=2\\n' > /srv/li/conf");
  });

  it('changes the file once, then reports no change in one round trip', async () => {
    const args = { path: '/srv/li/conf', regexp: '^b=', line: 'b=3' };
    let trips = conn.roundTrips;
    const first = await runModule(lineinfile, args, conn);
    expect(first).to.include({ changed: true, msg: 'line replaced' });
    expect(conn.roundTrips - trips).to.equal(2);
    expect(await sh('cat /srv/li/conf')).to.equal('a=1\nb=3\n');
    trips = conn.roundTrips;
    const second = await runModule(lineinfile, args, conn);
    expect(second.changed).to.equal(false);
    expect(conn.roundTrips - trips).to.equal(1);
  });

  it('check mode says it would change and changes nothing; diff shows before and after', async () => {
    const result = await runModule(lineinfile, { path: '/srv/li/conf', line: 'c=4' }, conn, { check: true, diff: true });
    expect(result).to.include({ changed: true, msg: 'line added' });
    const diff = (result.diff as { before: string; after: string; beforeHeader: string }[])[0]!;
    expect(diff).to.include({ before: 'a=1\nb=3\n', after: 'a=1\nb=3\nc=4\n', beforeHeader: '/srv/li/conf (content)' });
    expect(await sh('cat /srv/li/conf')).to.equal('a=1\nb=3\n');
  });

  it('creates a missing file with create, with mode and owner, and a bare integer mode as Ansible takes it', async () => {
    const result = await runModule(lineinfile, { path: '/srv/li/new/file', line: 'x', create: true, mode: 644, owner: 'nobody' }, conn);
    expect(result).to.include({ changed: true });
    expect(await sh("stat -c '%a %U' /srv/li/new/file; cat /srv/li/new/file")).to.equal('1204 nobody\nx\n');
    const again = await runModule(lineinfile, { path: '/srv/li/new/file', line: 'x', create: true, mode: 644, owner: 'nobody' }, conn);
    expect(again.changed).to.equal(false);
    const octal = await runModule(lineinfile, { path: '/srv/li/new/file', line: 'x', mode: '0640' }, conn);
    expect(octal).to.include({ changed: true, msg: 'ownership, perms or SE linux context changed' });
    expect(await sh("stat -c '%a' /srv/li/new/file")).to.equal('640\n');
  });

  it('fails clearly: missing file without create, a directory, conflicting arguments', async () => {
    expect(await runModule(lineinfile, { path: '/srv/li/none', line: 'x' }, conn)).to.include({ failed: true, msg: 'Destination /srv/li/none does not exist !' });
    expect(await runModule(lineinfile, { path: '/srv/li', line: 'x' }, conn)).to.include({ failed: true, msg: 'Path /srv/li is a directory !' });
    // rules between arguments are refused before the module runs (argument rules, checked before connecting too)
    expect(() => checkedArgs(lineinfile, { path: '/srv/li/conf', line: 'x', insertafter: 'a', insertbefore: 'b' })).to.throw(/parameters are mutually exclusive: insertbefore\|insertafter/);
    expect(() => checkedArgs(lineinfile, { path: '/srv/li/conf', state: 'absent' })).to.throw(/state is absent but any of the following are missing: line, regexp, search_string/);
  });

  it('refuses bad arguments at validation, with file:line:col and did-you-mean', () => {
    expect(() => checkedArgs(lineinfile, { path: '/x', line: 'a', regexpp: 'b' })).to.throw(/regexpp/);
    expect(() => checkedArgs(lineinfile, { path: '/x', state: 'gone' })).to.throw(/state/);
    const problems = checkModuleArgs(lineinfile, { path: '/x', lien: 'a' }, { file: 'site.yml', line: 3, col: 7 }).map(formatProblem).join('\n');
    expect(problems).to.match(/site\.yml:3:7/).and.match(/lien/).and.match(/line/);
    expect(resolveAliases(lineinfile, { dest: '/x', value: 'a', regex: 'b' }).args).to.deep.equal({ path: '/x', line: 'a', regexp: 'b' });
  });

  it('a failed validate leaves the old file and reports the validator output; backup is named as Ansible names it', async () => {
    const bad = await runModule(lineinfile, { path: '/srv/li/conf', line: 'broken', validate: "sh -c 'grep -q broken \"$1\" && echo no broken lines >&2 && exit 1; exit 0' sh %s" }, conn);
    expect(bad).to.include({ failed: true, msg: 'failed to validate: rc:1 error:no broken lines\n' });
    expect(await sh('cat /srv/li/conf; ls -a /srv/li')).to.equal('a=1\nb=3\n.\n..\nconf\nnew\n');
    const good = await runModule(lineinfile, { path: '/srv/li/conf', line: 'ok=1', backup: true, validate: 'test -s %s' }, conn);
    expect(good.changed).to.equal(true);
    expect(good.backup).to.match(/^\/srv\/li\/conf\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~$/);
    expect(await sh(`cat '${String(good.backup)}'`)).to.equal('a=1\nb=3\n');
    expect(await sh('cat /srv/li/conf')).to.equal('a=1\nb=3\nok=1\n');
  });

  it('Ansible reports no change after typebook, and typebook none after Ansible', async () => {
    await runModule(lineinfile, { path: '/srv/li/conf', regexp: '^a=', line: 'a=10' }, conn);
    const ansible = await runAnsible(fixture.lab, 'node1', 'lineinfile', { path: '/srv/li/conf', regexp: '^a=', line: 'a=10' });
    expect(ansible.status).to.equal('SUCCESS');
    expect(ansible.result.changed).to.equal(false);
    const byAnsible = await runAnsible(fixture.lab, 'node1', 'lineinfile', { path: '/srv/li/conf', insertbefore: '^b=', line: '# before b' });
    expect(byAnsible.result.changed).to.equal(true);
    expect((await runModule(lineinfile, { path: '/srv/li/conf', insertbefore: '^b=', line: '# before b' }, conn)).changed).to.equal(false);
  });

  it('gives byte-for-byte the file Ansible gives (oracle)', async () => {
    const text = 'one\n# two\nthree=3\r\nfour\nthree=33\nlast';
    const cases = [
      { name: 'append at EOF', initial: text, args: { line: 'five' } },
      { name: 'replace last regexp match', initial: text, args: { regexp: '^three=', line: 'three=x' } },
      { name: 'replace first match', initial: text, args: { regexp: '^three=', line: 'three=x', firstmatch: true } },
      { name: 'dollar before newline', initial: text, args: { regexp: '^four$', line: 'FOUR' } },
      { name: 'backrefs', initial: text, args: { regexp: '^three=(\\d+)$', line: 'three=<\\1>', backrefs: true } },
      { name: 'backrefs no match', initial: text, args: { regexp: '^nine=(.*)', line: 'x\\1', backrefs: true } },
      { name: 'insertafter regexp', initial: text, args: { line: 'after-one', insertafter: '^one' } },
      { name: 'insertbefore regexp firstmatch', initial: text, args: { line: 'before-three', insertbefore: '^three', firstmatch: true } },
      { name: 'insertbefore BOF', initial: text, args: { line: 'top', insertbefore: 'BOF' } },
      { name: 'insertafter no match goes to EOF', initial: text, args: { line: 'end', insertafter: '^zzz' } },
      { name: 'search_string', initial: text, args: { search_string: 'two', line: 'TWO' } },
      { name: 'absent regexp', initial: text, args: { state: 'absent', regexp: '^three' } },
      { name: 'absent line', initial: text, args: { state: 'absent', line: 'four' } },
      { name: 'exact line present', initial: text, args: { line: 'one', insertbefore: 'BOF' } },
      { name: 'create', args: { line: 'created', create: true } },
      { name: 'utf-8', initial: 'clé=1\n', args: { regexp: '^clé=', line: 'clé=é' } },
      { name: 'empty file', initial: '', args: { line: 'x', insertafter: 'y' } },
    ];
    const outcomes = await oracle(fixture.lab, conn, 'lineinfile', lineinfile, cases);
    for (const o of outcomes) expect(oracleText(o.typebook), o.name).to.equal(oracleText(o.ansible));
  });
});

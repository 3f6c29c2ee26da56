/**
 * unarchive on a real lab host, against Ansible's: archives made on the controller (sent) and on the host
 * (remote_src), one served over HTTP from inside the lab; each case run by ansible-playbook and by typebook from
 * the same host state, the results and the trees left compared.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CountingConnection } from '../../lib/connection/index.js';
import unarchive from '../../lib/modules/unarchive.js';
import { labSsh, useLab } from '../lab/fixture.js';
import { runAnsibleTasks } from './ansible.js';
import { checkedArgs, labConnection, runCounted } from './harness.js';

const A = '/srv/arch';
const D = '/srv/out';

/** What differs between two runs by nature: the temp path of a sent or downloaded archive, wherever it shows. */
function normalized(result: Record<string, unknown>): Record<string, unknown> {
  const temp = /(?:\/tmp\/typebook-unarchive-|\/root\/\.ansible\/tmp\/ansible-tmp-)[^/'"]+\/[^/'"\s]*/g;
  return JSON.parse(JSON.stringify(result).replace(temp, '<temp>')) as Record<string, unknown>;
}

describe('unarchive module (lab, against Ansible)', function () {
  this.timeout(300_000);
  let conn: CountingConnection;
  let serverPid = '';
  let base = '';
  after(async () => {
    if (serverPid) await labSsh(fixture.lab, 'node1', `kill ${serverPid}`);
    await conn?.close();
  });
  const fixture = useLab({ hosts: 1, name: 'mod-get-url-2' });
  const sh = async (cmd: string) => {
    const out = await labSsh(fixture.lab, 'node1', cmd);
    expect(out.code, `${cmd}: ${out.stderr}`).to.equal(0);
    return out.stdout;
  };
  const local = mkdtempSync(join(tmpdir(), 'typebook-unarchive-'));
  after(() => rmSync(local, { recursive: true, force: true }));

  before(async () => {
    conn = labConnection(fixture.lab, 'node1');
    // the tree the archives hold, with fixed times and modes so both sides unpack the same
    const tree = join(local, 'tree');
    mkdirSync(join(tree, 'top/sub'), { recursive: true });
    writeFileSync(join(tree, 'top/a.txt'), 'alpha\n');
    writeFileSync(join(tree, 'top/sub/b.sh'), '#!/bin/sh\necho b\n', { mode: 0o755 });
    writeFileSync(join(tree, 'top/sub/c.log'), 'log\n');
    for (const f of ['top/a.txt', 'top/sub/b.sh', 'top/sub/c.log', 'top/sub', 'top']) utimesSync(join(tree, f), 1577880000, 1577880000);
    execFileSync('tar', ['czf', join(local, 'app.tar.gz'), '--owner=0', '--group=0', '-C', tree, 'top']);
    execFileSync('zip', ['-qr', join(local, 'app.zip'), 'top'], { cwd: tree });
    writeFileSync(join(local, 'empty.tar.gz'), '');
    const bytes = (file: string) => execFileSync('base64', ['-w0', join(local, file)]).toString();
    await sh([
      `rm -rf ${A} ${D} && mkdir -p ${A}/t ${D}`,
      `printf %s '${bytes('app.tar.gz')}' | base64 -d > ${A}/app.tar.gz`,
      `cd ${A}/t && tar xzf ${A}/app.tar.gz && tar cjf ${A}/app.tar.bz2 top && tar cJf ${A}/app.tar.xz top && tar cf ${A}/app.tar top && cd / && rm -rf ${A}/t`,
      `printf 'not an archive\\n' > ${A}/text.txt && : > ${A}/zero.tar`,
    ].join(' && '));
    const address = fixture.lab.hosts.find((h) => h.name === 'node1')!.address;
    base = `http://${address}:8080`;
    // bounded: the server stops by itself after 900 s, and is killed by PID after the suite
    const started = await labSsh(fixture.lab, 'node1', `cd ${A} && timeout 900 python3 -m http.server --bind ${address} 8080 >/tmp/www.log 2>&1 </dev/null & pid=$!; for i in $(seq 50); do (exec 3<>/dev/tcp/${address}/8080) 2>/dev/null && break; sleep 0.1; done; echo $pid`);
    serverPid = started.stdout.trim();
    expect(serverPid).to.match(/^\d+$/);
  });

  const cases = (): [string, string, Record<string, unknown>, string[]?][] => [
    ['a tar.gz from the controller', `rm -rf ${D}/1 && mkdir ${D}/1`, { src: join(local, 'app.tar.gz'), dest: `${D}/1` }],
    ['again: nothing to unpack', ':', { src: join(local, 'app.tar.gz'), dest: `${D}/1` }],
    ['a file changed in dest: unpacked again', `echo changed > ${D}/1/top/a.txt`, { src: join(local, 'app.tar.gz'), dest: `${D}/1` }],
    ['a mode for every path', ':', { src: join(local, 'app.tar.gz'), dest: `${D}/1`, mode: 'u=rwX,g=rX,o=' }],
    ['the mode again: no change', ':', { src: join(local, 'app.tar.gz'), dest: `${D}/1`, mode: 'u=rwX,g=rX,o=' }],
    ['an owner and a group', ':', { src: join(local, 'app.tar.gz'), dest: `${D}/1`, owner: 'nobody', group: 'nogroup' }],
    ['a zip from the controller, listed', `rm -rf ${D}/2 && mkdir ${D}/2`, { src: join(local, 'app.zip'), dest: `${D}/2`, list_files: true }],
    ['the zip again', ':', { src: join(local, 'app.zip'), dest: `${D}/2` }],
    ['the zip, a file changed', `echo x > ${D}/2/top/sub/c.log`, { src: join(local, 'app.zip'), dest: `${D}/2` }],
    ['the zip, with include', `rm -rf ${D}/3 && mkdir ${D}/3`, { src: join(local, 'app.zip'), dest: `${D}/3`, include: ['top/sub/*'] }],
    ['the zip, in check mode after a change', `echo y > ${D}/2/top/a.txt`, { src: join(local, 'app.zip'), dest: `${D}/2` }, ['--check']],
    ['a tar.bz2 on the host, listed', `rm -rf ${D}/4 && mkdir ${D}/4`, { src: `${A}/app.tar.bz2`, dest: `${D}/4`, remote_src: true, list_files: true }],
    ['a tar.xz on the host, with exclude', `rm -rf ${D}/5 && mkdir ${D}/5`, { src: `${A}/app.tar.xz`, dest: `${D}/5`, remote_src: true, exclude: ['top/sub/c.log'] }],
    ['the same: unchanged', ':', { src: `${A}/app.tar.xz`, dest: `${D}/5`, remote_src: true, exclude: ['top/sub/c.log'] }],
    ['a plain tar, with extra_opts', `rm -rf ${D}/6 && mkdir ${D}/6`, { src: `${A}/app.tar`, dest: `${D}/6`, copy: false, extra_opts: ['--strip-components=1'] }],
    ['keep_newer: a newer file stays', `touch -d '2030-01-01' ${D}/6/a.txt; echo mine > ${D}/6/a.txt; touch -d '2030-01-01' ${D}/6/a.txt`, { src: `${A}/app.tar`, dest: `${D}/6`, remote_src: true, extra_opts: ['--strip-components=1'], keep_newer: true }],
    ['a URL', `rm -rf ${D}/7 && mkdir ${D}/7`, { src: `${base}/app.tar.gz`, dest: `${D}/7`, remote_src: true }],
    ['a URL that is not there', ':', { src: `${base}/none.tar.gz`, dest: `${D}/7`, remote_src: true }],
    ['creates exists: skipped', ':', { src: join(local, 'app.tar.gz'), dest: `${D}/1`, creates: `${D}/1/top` }],
    ['dest missing', ':', { src: join(local, 'app.tar.gz'), dest: `${D}/none` }],
    ['src missing on the host', ':', { src: `${A}/none.tar`, dest: `${D}/1`, remote_src: true }],
    ['a zero-byte archive', ':', { src: `${A}/zero.tar`, dest: `${D}/1`, remote_src: true }],
    ['a tar.gz in check mode: skipped', ':', { src: join(local, 'app.tar.gz'), dest: `${D}/1` }, ['--check']],
  ];

  const state = () => sh(`cd ${D} && find . -printf '%p %y %m %u %g\\n' | sort && find . -type f -exec sha1sum {} + | sort`);

  it("returns Ansible's results and leaves the same trees, in one round trip", async () => {
    const list = cases();
    const theirs: Record<string, unknown>[] = [];
    const theirStates: string[] = [];
    for (const [name, setup, args, flags] of list) {
      await sh(setup);
      theirs.push((await runAnsibleTasks(fixture.lab, 'node1', [{ name, unarchive: args }], flags ?? []))[0]!);
      theirStates.push(await state());
    }
    await sh(`rm -rf ${D} && mkdir -p ${D}`);
    for (const [i, [name, setup, args, flags]] of list.entries()) {
      await sh(setup);
      const { result, trips } = await runCounted(unarchive, args, conn, { check: (flags ?? []).includes('--check') });
      expect(trips, name).to.equal(1);
      expect(normalized(result), name).to.deep.equal(normalized(theirs[i]!));
      expect(await state(), name).to.equal(theirStates[i]);
    }
    expect(theirs.map((r) => (r.failed ? `failed: ${String(normalized(r).msg)}` : r.skipped ? `skipped: ${String(r.msg)}` : `${r.changed ? 'changed' : 'ok'} ${String(r.handler)}`))).to.deep.equal([
      'changed TgzArchive', 'ok TgzArchive', 'changed TgzArchive', 'changed TgzArchive', 'ok TgzArchive', 'changed TgzArchive',
      'changed ZipArchive', 'ok ZipArchive', 'changed ZipArchive', 'changed ZipArchive', 'changed ZipArchive',
      // GNU tar reads bz2 and xz without a flag: TarArchive, the first handler that lists them, takes them
      'changed TarArchive', 'changed TarArchive', 'ok TarArchive', 'changed TarArchive', 'changed TarArchive', 'changed TgzArchive',
      "failed: Invalid archive '<temp>', the file is 0 bytes",
      `skipped: skipped, since ${D}/1/top exists`, `failed: dest '${D}/none' must be an existing dir`, `failed: Source '${A}/none.tar' does not exist`,
      `failed: Invalid archive '${A}/zero.tar', the file is 0 bytes`, 'skipped: remote module (ansible.legacy.unarchive) does not support check mode when using gtar',
    ]);
    expect(await sh(`cat ${D}/6/a.txt`)).to.equal('mine\n');
  });

  it('fails to find a handler for what is no archive, as Ansible does', async () => {
    const args = { src: `${A}/text.txt`, dest: D, remote_src: true };
    const [theirs] = await runAnsibleTasks(fixture.lab, 'node1', [{ unarchive: args }]);
    const { result } = await runCounted(unarchive, args, conn);
    // the reasons come from a Python set: their order is not fixed
    const reasons = (r: Record<string, unknown>) => String(r.msg).split('\n').sort();
    expect(reasons(result)).to.deep.equal(reasons(theirs!));
    expect(String(result.msg)).to.match(new RegExp(`^Failed to find handler for "${A}/text.txt"`));
    expect({ ...result, msg: '' }).to.deep.equal({ ...theirs, msg: '' });
  });

  it("refuses what Ansible refuses, before connecting", () => {
    expect(unarchive.aliases).to.include.members(['ansible.builtin.unarchive', 'ansible.legacy.unarchive']);
    expect(() => checkedArgs(unarchive, { src: 'a.tgz', dest: '/x', include: ['a'], exclude: ['b'] })).to.throw(/mutually exclusive: include\|exclude/);
    expect(() => checkedArgs(unarchive, { src: 'a.tgz', dest: '/x', copy: true, remote_src: false })).to.throw(/mutually exclusive: copy\|remote_src/);
    expect(() => checkedArgs(unarchive, { src: 'a.tgz' })).to.throw(/dest/);
    expect(checkedArgs(unarchive, { src: 'a.tgz', dest: '/x', exclude: 'a,b' })).to.deep.include({ exclude: ['a', 'b'] });
  });
});

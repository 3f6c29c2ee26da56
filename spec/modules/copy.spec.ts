/** copy on a real lab host: checksum on the host, idempotence, check, diff, validate, backup, modes, round trips, Ansible. */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CountingConnection } from '../../lib/connection/index.js';
import copy from '../../lib/modules/copy.js';
import { labSsh, useSharedLab } from '../lab/fixture.js';
import { runAnsible } from './ansible.js';
import { checkedArgs, labConnection, runModule } from './harness.js';

describe('copy module (lab)', function () {
  this.timeout(60_000);
  let conn: CountingConnection;
  // registered before the lab's own hook, so it runs while the host is still up
  after(async () => conn?.close());
  const fixture = useSharedLab({ hosts: 1, name: 'mod-files' });
  const sh = async (cmd: string) => (await labSsh(fixture.lab, 'node1', cmd)).stdout;
  const local = mkdtempSync(join(tmpdir(), 'typebook-copy-'));
  const srcFile = join(local, 'motd');
  after(() => rmSync(local, { recursive: true, force: true }));

  before(async () => {
    conn = labConnection(fixture.lab, 'node1');
    writeFileSync(srcFile, 'hello from the controller\n');
    chmodSync(srcFile, 0o640);
    await sh('mkdir -p /srv/cp/dir');
  });

  it('writes content once; unchanged: one round trip, nothing sent', async () => {
    const args = { content: 'a=1\n', dest: '/srv/cp/a.conf', mode: 420 };
    let trips = conn.roundTrips;
    const first = await runModule(copy, args, conn);
    expect(first).to.include({ changed: true, dest: '/srv/cp/a.conf', mode: '0644', checksum: createHash('sha1').update('a=1\n').digest('hex') });
    expect(conn.roundTrips - trips).to.equal(2);
    expect(await sh("cat /srv/cp/a.conf; stat -c '%a' /srv/cp/a.conf")).to.equal('a=1\n644\n');
    trips = conn.roundTrips;
    const second = await runModule(copy, args, conn);
    expect(second).to.include({ changed: false, mode: '0644', state: 'file' });
    expect(conn.roundTrips - trips).to.equal(1);
  });

  it('only the mode differs: one chmod, the content is not sent again', async () => {
    const trips = conn.roundTrips;
    const result = await runModule(copy, { content: 'a=1\n', dest: '/srv/cp/a.conf', mode: 'u=rw,go=' }, conn, { diff: true });
    expect(result).to.include({ changed: true, mode: '0600' });
    expect(conn.roundTrips - trips).to.equal(2);
    expect((result.diff as { before: string; after: string }[])[0]).to.include({ before: 'mode: 0644\n', after: 'mode: 0600\n' });
  });

  it('check mode says it would change and changes nothing; diff shows the contents', async () => {
    const result = await runModule(copy, { content: 'a=2\n', dest: '/srv/cp/a.conf' }, conn, { check: true, diff: true });
    expect(result.changed).to.equal(true);
    expect((result.diff as { before: string; after: string }[])[0]).to.include({ before: 'a=1\n', after: 'a=2\n' });
    expect(await sh('cat /srv/cp/a.conf')).to.equal('a=1\n');
  });

  it('copies a local src into a directory dest, with mode preserve', async () => {
    const result = await runModule(copy, { src: srcFile, dest: '/srv/cp/dir', mode: 'preserve' }, conn);
    expect(result).to.include({ changed: true, dest: '/srv/cp/dir/motd', mode: '0640' });
    expect(await sh('cat /srv/cp/dir/motd')).to.equal('hello from the controller\n');
    expect((await runModule(copy, { src: srcFile, dest: '/srv/cp/dir/', mode: 'preserve' }, conn)).changed).to.equal(false);
  });

  it('validate: a failure keeps the old file and reports the output; backup named as Ansible names it', async () => {
    const bad = await runModule(copy, { content: 'bad\n', dest: '/srv/cp/a.conf', validate: "sh -c 'echo checked \"$1\"; echo nope >&2; exit 2' sh %s" }, conn);
    expect(bad).to.include({ failed: true, msg: 'failed to validate', exit_status: 2, stderr: 'nope\n' });
    expect(bad.stdout).to.match(/^checked \/srv\/cp\/\.a\.conf\.typebook\./);
    expect(await sh('cat /srv/cp/a.conf; ls -A /srv/cp')).to.equal('a=1\na.conf\ndir\n');
    const good = await runModule(copy, { content: 'good\n', dest: '/srv/cp/a.conf', validate: 'grep -q good %s', backup: true }, conn);
    expect(good.changed).to.equal(true);
    expect(good.backup_file).to.match(/^\/srv\/cp\/a\.conf\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~$/);
    expect(await sh(`cat /srv/cp/a.conf '${String(good.backup_file)}'; stat -c '%a' /srv/cp/a.conf`)).to.equal('good\na=1\n600\n');
  });

  it('force: false leaves an existing file alone', async () => {
    expect(await runModule(copy, { content: 'other\n', dest: '/srv/cp/a.conf', force: false }, conn)).to.include({ changed: false });
    expect(await sh('cat /srv/cp/a.conf')).to.equal('good\n');
  });

  it('fails clearly and refuses bad arguments', async () => {
    expect(await runModule(copy, { content: 'x', dest: '/srv/none/x' }, conn)).to.include({ failed: true, msg: 'Destination directory /srv/none does not exist' });
    expect(await runModule(copy, { content: 'x', dest: '/srv/cp/dir/' }, conn)).to.include({ failed: true, msg: 'can not use content with a dir as dest' });
    expect(await runModule(copy, { src: local, dest: '/srv/cp/' }, conn)).to.include({ failed: true });
    expect(() => checkedArgs(copy, { content: 'x', dest: '/x', mode: 'rw' })).to.throw(/mode/);
    expect(() => checkedArgs(copy, { content: 'x', dset: '/x' })).to.throw(/dset/);
  });

  it('Ansible reports no change after typebook, and typebook none after Ansible', async () => {
    await runModule(copy, { content: 'shared\n', dest: '/srv/cp/shared', mode: '0640', owner: 'nobody' }, conn);
    const ansible = await runAnsible(fixture.lab, 'node1', 'copy', { content: 'shared\n', dest: '/srv/cp/shared', mode: '0640', owner: 'nobody' });
    expect(ansible.status).to.equal('SUCCESS');
    expect(ansible.result.changed).to.equal(false);
    const byAnsible = await runAnsible(fixture.lab, 'node1', 'copy', { content: 'from ansible\n', dest: '/srv/cp/other', mode: 'u=rw,g=r' });
    expect(byAnsible.result.changed).to.equal(true);
    const ours = await runModule(copy, { content: 'from ansible\n', dest: '/srv/cp/other', mode: 'u=rw,g=r' }, conn);
    expect(ours).to.include({ changed: false, checksum: byAnsible.result.checksum, mode: byAnsible.result.mode });
  });
});

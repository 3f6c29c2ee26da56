/** file on a real lab host: every state, idempotence, check, diff, round trips, errors, and Ansible's own results. */
import { expect } from 'chai';
import type { CountingConnection } from '../../lib/connection/index.js';
import file from '../../lib/modules/file.js';
import { resolveAliases } from '../../lib/playbook/module-args.js';
import { labSsh, useSharedLab } from '../lab/fixture.js';
import { runAnsible } from './ansible.js';
import { checkedArgs, labConnection, runModule } from './harness.js';

describe('file module (lab)', function () {
  this.timeout(60_000);
  let conn: CountingConnection;
  // registered before the lab's own hook, so it runs while the host is still up
  after(async () => conn?.close());
  const fixture = useSharedLab({ hosts: 1, name: 'mod-files' });
  const sh = async (cmd: string) => (await labSsh(fixture.lab, 'node1', cmd)).stdout;

  before(async () => {
    conn = labConnection(fixture.lab, 'node1');
    await sh('rm -rf /srv/f && mkdir -p /srv/f');
  });

  it('creates a directory with its parents, each with mode and owner; unchanged: one round trip', async () => {
    const args = { path: '/srv/f/a/b/c', state: 'directory', mode: '0750', owner: 'nobody' };
    let trips = conn.roundTrips;
    expect(await runModule(file, args, conn)).to.include({ changed: true, path: '/srv/f/a/b/c', mode: '0750', owner: 'nobody', state: 'directory' });
    expect(conn.roundTrips - trips).to.equal(2);
    expect(await sh("stat -c '%n %a %U' /srv/f/a /srv/f/a/b /srv/f/a/b/c")).to.equal('/srv/f/a 750 nobody\n/srv/f/a/b 750 nobody\n/srv/f/a/b/c 750 nobody\n');
    trips = conn.roundTrips;
    expect((await runModule(file, args, conn)).changed).to.equal(false);
    expect(conn.roundTrips - trips).to.equal(1);
  });

  it('check mode: reports the change, makes none; diff shows the states', async () => {
    const result = await runModule(file, { path: '/srv/f/a', state: 'absent' }, conn, { check: true, diff: true });
    expect(result.changed).to.equal(true);
    expect((result.diff as { before: string; after: string }[])[0]).to.include({ before: 'path: /srv/f/a\nstate: directory\n', after: 'path: /srv/f/a\nstate: absent\n' });
    expect(await sh('test -d /srv/f/a && echo yes')).to.equal('yes\n');
  });

  it('touch creates then always changes; state=file sets a symbolic mode', async () => {
    expect(await runModule(file, { path: '/srv/f/t', state: 'touch', mode: 'u=rw,g=r,o=' }, conn)).to.include({ changed: true, mode: '0640' });
    expect((await runModule(file, { path: '/srv/f/t', state: 'touch' }, conn)).changed).to.equal(true);
    expect(await runModule(file, { path: '/srv/f/t', mode: 'g+w' }, conn)).to.include({ changed: true, mode: '0660' });
    expect((await runModule(file, { path: '/srv/f/t', mode: 'g+w' }, conn)).changed).to.equal(false);
  });

  it('links: symbolic and hard, idempotent, refusing to replace a file without force', async () => {
    expect(await runModule(file, { path: '/srv/f/l', src: 't', state: 'link' }, conn)).to.include({ changed: true, dest: '/srv/f/l', src: 't' });
    expect(await sh('readlink /srv/f/l')).to.equal('t\n');
    expect((await runModule(file, { path: '/srv/f/l', src: 't', state: 'link' }, conn)).changed).to.equal(false);
    expect(await runModule(file, { path: '/srv/f/t', src: '/etc/hostname', state: 'link' }, conn)).to.include({ failed: true, msg: 'refusing to convert from file to symlink for /srv/f/t' });
    expect(await runModule(file, { path: '/srv/f/h', src: '/srv/f/t', state: 'hard' }, conn)).to.include({ changed: true });
    expect(await sh("stat -c '%h' /srv/f/t")).to.equal('2\n');
    expect((await runModule(file, { path: '/srv/f/h', src: '/srv/f/t', state: 'hard' }, conn)).changed).to.equal(false);
  });

  it('recurse sets mode and owner below a directory', async () => {
    await sh('mkdir -p /srv/f/r/s && touch /srv/f/r/s/x && chmod 600 /srv/f/r/s/x');
    expect((await runModule(file, { path: '/srv/f/r', state: 'directory', recurse: true, owner: 'nobody', mode: 'u=rwX,g=rX,o=rX' }, conn)).changed).to.equal(true);
    expect(await sh("stat -c '%a %U' /srv/f/r/s /srv/f/r/s/x")).to.equal('755 nobody\n644 nobody\n');
    expect((await runModule(file, { path: '/srv/f/r', state: 'directory', recurse: true, owner: 'nobody', mode: 'u=rwX,g=rX,o=rX' }, conn)).changed).to.equal(false);
  });

  it('absent removes a tree once', async () => {
    expect(await runModule(file, { path: '/srv/f/r', state: 'absent' }, conn)).to.include({ changed: true, state: 'absent' });
    expect(await runModule(file, { path: '/srv/f/r', state: 'absent' }, conn)).to.include({ changed: false, state: 'absent' });
  });

  it('fails clearly and refuses bad arguments', async () => {
    expect(await runModule(file, { path: '/srv/f/missing', state: 'file' }, conn)).to.include({ failed: true, msg: 'file (/srv/f/missing) is absent, cannot continue' });
    expect(await runModule(file, { path: '/srv/f/t', state: 'directory' }, conn)).to.include({ failed: true, msg: '/srv/f/t already exists as a hard' });
    expect(() => checkedArgs(file, { path: '/srv/f/x', src: '/etc', state: 'file' })).to.throw(/module file: src option requires state to be 'link' or 'hard'/);
    // the state taken from the host (a directory here) is checked at run time
    expect(await runModule(file, { path: '/srv/f', recurse: true, owner: 'root' }, conn)).to.not.have.property('failed');
    expect(await runModule(file, { path: '/srv/f/t', recurse: true }, conn)).to.include({ failed: true, msg: "recurse option requires state to be 'directory'" });
    const chown = await runModule(file, { path: '/srv/f/t', owner: 'no-such-user' }, conn);
    expect(chown.failed).to.equal(true);
    expect(String(chown.msg)).to.match(/invalid user: 'no-such-user'/);
    expect(() => checkedArgs(file, { path: '/x', state: 'folder' })).to.throw(/state/);
    expect(resolveAliases(file, { name: '/x' }).args).to.deep.equal({ path: '/x' });
  });

  it('Ansible reports no change after typebook, and typebook none after Ansible', async () => {
    const ansible = await runAnsible(fixture.lab, 'node1', 'file', { path: '/srv/f/a/b/c', state: 'directory', mode: '0750', owner: 'nobody' });
    expect(ansible.status).to.equal('SUCCESS');
    expect(ansible.result.changed).to.equal(false);
    expect((await runAnsible(fixture.lab, 'node1', 'file', { path: '/srv/f/l', src: 't', state: 'link' })).result.changed).to.equal(false);
    const byAnsible = await runAnsible(fixture.lab, 'node1', 'file', { path: '/srv/f/d2/e', state: 'directory', mode: 'u=rwx,go=rx' });
    expect(byAnsible.result.changed).to.equal(true);
    expect(await runModule(file, { path: '/srv/f/d2/e', state: 'directory', mode: 'u=rwx,go=rx' }, conn)).to.include({ changed: false, mode: byAnsible.result.mode });
    await runAnsible(fixture.lab, 'node1', 'file', { path: '/srv/f/m', state: 'touch', mode: 644 });
    expect(await sh("stat -c '%a' /srv/f/m")).to.equal('1204\n');
    expect((await runModule(file, { path: '/srv/f/m', mode: 644 }, conn)).changed).to.equal(false);
  });
});

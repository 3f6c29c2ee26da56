/** blockinfile on a real lab host: idempotence, check, diff, round trips, errors, and Ansible's own results. */
import { expect } from 'chai';
import type { CountingConnection } from '../../lib/connection/index.js';
import blockinfile from '../../lib/modules/blockinfile.js';
import { labSsh, useSharedLab } from '../lab/fixture.js';
import { oracle, oracleText, runAnsible } from './ansible.js';
import { checkedArgs, labConnection, runModule } from './harness.js';

describe('blockinfile module (lab)', function () {
  this.timeout(60_000);
  let conn: CountingConnection;
  // registered before the lab's own hook, so it runs while the host is still up
  after(async () => conn?.close());
  const fixture = useSharedLab({ hosts: 1, name: 'mod-files' });
  const sh = async (cmd: string) => (await labSsh(fixture.lab, 'node1', cmd)).stdout;

  before(async () => {
    conn = labConnection(fixture.lab, 'node1');
    await sh("mkdir -p /srv/bi && printf 'global\\n  daemon\\n' > /srv/bi/haproxy.cfg");
  });

  it('inserts the block once, then reports no change in one round trip', async () => {
    const args = { path: '/srv/bi/haproxy.cfg', block: 'listen stats\n  bind :8404' };
    let trips = conn.roundTrips;
    expect(await runModule(blockinfile, args, conn)).to.include({ changed: true, msg: 'Block inserted' });
    expect(conn.roundTrips - trips).to.equal(2);
    expect(await sh('cat /srv/bi/haproxy.cfg')).to.equal('global\n  daemon\n# BEGIN ANSIBLE MANAGED BLOCK\nlisten stats\n  bind :8404\n# END ANSIBLE MANAGED BLOCK\n');
    trips = conn.roundTrips;
    expect((await runModule(blockinfile, args, conn)).changed).to.equal(false);
    expect(conn.roundTrips - trips).to.equal(1);
  });

  it('check mode changes nothing; diff shows the block removed', async () => {
    const result = await runModule(blockinfile, { path: '/srv/bi/haproxy.cfg', state: 'absent' }, conn, { check: true, diff: true });
    expect(result).to.include({ changed: true, msg: 'Block removed' });
    expect((result.diff as { after: string }[])[0]!.after).to.equal('global\n  daemon\n');
    expect(await sh('grep -c BEGIN /srv/bi/haproxy.cfg')).to.equal('1\n');
  });

  it('fails clearly and refuses bad arguments', async () => {
    expect(await runModule(blockinfile, { path: '/srv/bi/none', block: 'x' }, conn)).to.include({ failed: true, msg: 'Path /srv/bi/none does not exist !' });
    expect(await runModule(blockinfile, { path: '/srv/bi/haproxy.cfg', block: 'x', validate: 'false %s' }, conn)).to.include({ failed: true, msg: 'failed to validate: rc:1 error:' });
    expect(() => checkedArgs(blockinfile, { path: '/x', blok: 'x' })).to.throw(/blok/);
  });

  it('Ansible reports no change after typebook, and typebook none after Ansible', async () => {
    const ansible = await runAnsible(fixture.lab, 'node1', 'blockinfile', { path: '/srv/bi/haproxy.cfg', block: 'listen stats\n  bind :8404' });
    expect(ansible.result.changed).to.equal(false);
    const byAnsible = await runAnsible(fixture.lab, 'node1', 'blockinfile', { path: '/srv/bi/haproxy.cfg', block: 'x', marker: '# {mark} extra', insertbefore: '^global', backup: true });
    expect(byAnsible.result.changed).to.equal(true);
    expect((await runModule(blockinfile, { path: '/srv/bi/haproxy.cfg', block: 'x', marker: '# {mark} extra', insertbefore: '^global' }, conn)).changed).to.equal(false);
  });

  it('gives byte-for-byte the file Ansible gives (oracle)', async () => {
    const text = 'a\nb\r\nc\n# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\nd';
    const plain = 'one\ntwo\nthree';
    const cases = [
      { name: 'replace existing block', initial: text, args: { block: 'new1\nnew2\n' } },
      { name: 'remove block', initial: text, args: { state: 'absent' } },
      { name: 'empty block removes', initial: text, args: { block: '' } },
      { name: 'append to file without final newline', initial: plain, args: { block: 'x' } },
      { name: 'insertafter regexp', initial: plain, args: { block: 'x', insertafter: '^one' } },
      { name: 'insertbefore regexp', initial: plain, args: { block: 'x', insertbefore: '^t' } },
      { name: 'insertbefore BOF', initial: plain, args: { block: 'x', insertbefore: 'BOF' } },
      { name: 'multiline insertafter', initial: plain, args: { block: 'x', insertafter: '(?m)^two\\nthree' } },
      { name: 'custom markers', initial: plain, args: { block: 'x', marker: '<!-- {mark} -->', marker_begin: 'start', marker_end: 'stop' } },
      { name: 'create', args: { block: 'x', create: true } },
      { name: 'crlf markers kept apart', initial: 'a\r\n# BEGIN ANSIBLE MANAGED BLOCK\r\nq\r\n# END ANSIBLE MANAGED BLOCK\r\n', args: { block: 'z' } },
    ];
    const outcomes = await oracle(fixture.lab, conn, 'blockinfile', blockinfile, cases);
    for (const o of outcomes) expect(oracleText(o.typebook), o.name).to.equal(oracleText(o.ansible));
  });
});

/** package (apt on Debian) on real lab hosts with hello from the lab repository, and against Ansible's package. */
import { expect } from 'chai';
import type { CountingConnection } from '../../lib/connection/index.js';
import pkg from '../../lib/modules/package.js';
import { runAnsible as ansible } from './ansible.js';
import { checkedArgs, labConnection, runCounted } from './harness.js';
import { labSsh, useLab } from '../lab/fixture.js';


describe('package module', function () {
  this.timeout(60_000);
  let node1: CountingConnection;
  after(async () => {
    await node1?.close();
  });
  const fixture = useLab({ hosts: 1, name: 'mod-package', packages: ['hello'] });
  const counted = (args: Record<string, unknown>, options: { check?: boolean } = {}) => runCounted(pkg, args, node1, options);
  before(() => {
    node1 = labConnection(fixture.lab, 'node1');
  });

  it('installs with apt (2 round trips), then changes nothing (1); Ansible agrees', async () => {
    expect((await counted({ name: 'hello', state: 'present' }, { check: true })).result.changed).to.equal(true);
    const first = await counted({ name: 'hello', state: 'present' });
    expect(first.result.changed).to.equal(true);
    expect(first.trips).to.equal(2);
    expect((await labSsh(fixture.lab, 'node1', "dpkg-query -W -f '${db:Status-Abbrev}' hello")).stdout).to.equal('ii ');
    const again = await counted({ name: ['hello'], state: 'present', use: 'apt' });
    expect(again.result.changed).to.equal(false);
    expect(again.trips).to.equal(1);
    const { status, result } = await ansible(fixture.lab, 'node1', 'ansible.builtin.package', { name: 'hello', state: 'present' });
    expect(status).to.equal('SUCCESS');
    expect(result.changed).to.equal(false);
  });

  it('typebook finds nothing to change after Ansible removed it', async () => {
    expect((await ansible(fixture.lab, 'node1', 'ansible.builtin.package', { name: 'hello', state: 'absent' })).status).to.equal('CHANGED');
    expect((await counted({ name: 'hello', state: 'absent' })).result.changed).to.equal(false);
  });

  it('refuses other package managers and bad arguments clearly', async () => {
    const { result, trips } = await counted({ name: 'hello', state: 'present', use: 'yum' });
    expect(result).to.deep.equal({ changed: false, failed: true, msg: "use: yum is not supported: typebook's package module manages packages with apt only (use: auto or apt)" });
    expect(trips).to.equal(0);
    expect(() => checkedArgs(pkg, { name: 'hello' })).to.throw(/state/);
    expect(checkedArgs(pkg, { name: 'hello', state: 'present', enablerepo: 'epel' })).to.deep.include({ enablerepo: ['epel'] });
    expect(() => checkedArgs(pkg, { name: 'hello', state: 'present', usee: 'apt' })).to.throw(/did you mean 'use'/);
  });

  it("takes dnf's and yum's arguments, and fails with them on an apt host as Ansible's package does", async () => {
    const { result, trips } = await counted({ name: 'hello', state: 'present', enablerepo: 'epel' });
    expect(result).to.include({ changed: false, failed: true });
    expect(result.msg).to.match(/^Unsupported parameters for \(apt\) module: enablerepo/);
    expect(trips).to.equal(0);
    const theirs = await ansible(fixture.lab, 'node1', 'ansible.builtin.package', { name: 'hello', state: 'present', enablerepo: 'epel' });
    expect(theirs.status).to.equal('FAILED!');
    expect(theirs.result.msg).to.match(/^Unsupported parameters for \(ansible\.legacy\.apt\) module: enablerepo\./);
  });
});

/** apt on real lab hosts with packages from the lab's local repository (hello, haproxy), and against Ansible's apt. */
import { expect } from 'chai';
import type { CountingConnection } from '../../lib/connection/index.js';
import type { Diff } from '../../lib/modules/module.js';
import apt, { compareDebianVersions, parsePolicy, splitSpec } from '../../lib/modules/apt.js';
import { labSsh, useLab } from '../lab/fixture.js';
import { runAnsible as ansible } from './ansible.js';
import { checkedArgs, labConnection, runCounted } from './harness.js';


describe('apt module', function () {
  this.timeout(60_000);
  let node1: CountingConnection;
  let node2: CountingConnection;
  after(async () => {
    await node1?.close();
    await node2?.close();
  });
  const fixture = useLab({ hosts: 2, name: 'mod-apt', packages: ['haproxy', 'hello'] });
  let helloVersion = '';
  const installedVersion = async (host: string, name: string) => (await labSsh(fixture.lab, host, `dpkg-query -W -f '\${db:Status-Abbrev}\${Version}' ${name}`)).stdout;
  const counted = (conn: CountingConnection, args: Record<string, unknown>, options: { check?: boolean; diff?: boolean } = {}) => runCounted(apt, args, conn, options);

  before(async () => {
    node1 = labConnection(fixture.lab, 'node1');
    node2 = labConnection(fixture.lab, 'node2');
    helloVersion = (await labSsh(fixture.lab, 'node1', 'apt-cache policy hello | sed -n "s/^  Candidate: //p"')).stdout.trim();
    expect(helloVersion).to.match(/^\d/);
  });

  it('compares Debian versions and reads apt-cache policy', () => {
    expect(compareDebianVersions('1.0-1', '1.0-2')).to.be.below(0);
    expect(compareDebianVersions('1:0.9', '2.0')).to.be.above(0);
    expect(compareDebianVersions('1.0~rc1', '1.0')).to.be.below(0);
    expect(compareDebianVersions('2.6.12-1+deb12u4', '2.6.9')).to.be.above(0);
    expect(compareDebianVersions('1.02', '1.2')).to.equal(0);
    expect(splitSpec('hello>=2.1')).to.deep.equal({ spec: 'hello>=2.1', name: 'hello', cmp: '>=', version: '2.1' });
    const policy = parsePolicy('hello:\n  Installed: 2.9\n  Candidate: 2.10-3\n  Version table:\n     2.10-3 500\n        500 file:/x ./ Packages\n *** 2.9 100\n        100 /var/lib/dpkg/status\n');
    expect(policy.get('hello')).to.deep.equal({ candidate: '2.10-3', versions: ['2.10-3', '2.9'] });
  });

  it('check mode simulates the install (apt-get -s) and installs nothing', async () => {
    const { result, trips } = await counted(node1, { name: ['hello'] }, { check: true, diff: true });
    expect(result.changed).to.equal(true);
    expect(trips).to.equal(2);
    expect(result.stdout).to.match(/^Inst hello /m);
    expect((result.diff as Diff[] | undefined)?.[0]).to.include({ before: 'hello: (not installed)\n', after: `hello: ${helloVersion}\n` });
    expect(await installedVersion('node1', 'hello')).to.equal('');
  });

  it('installs with one apt-get (2 round trips), then changes nothing (1), whatever the version spec', async () => {
    const first = await counted(node1, { name: 'hello', state: 'present' }, { diff: true });
    expect(first.result).to.include({ changed: true, cache_updated: false });
    expect(first.result.cache_update_time).to.be.a('number');
    expect(first.trips).to.equal(2);
    expect((first.result.diff as Diff[] | undefined)?.[0]?.after).to.equal(`hello: ${helloVersion}\n`);
    expect(await installedVersion('node1', 'hello')).to.equal(`ii ${helloVersion}`);
    for (const name of ['hello', `hello=${helloVersion}`, `hello=${helloVersion.slice(0, 3)}*`, 'hello>=1.0']) {
      const again = await counted(node1, { name: [name], state: 'present' });
      expect(again.result.changed, name).to.equal(false);
      expect(again.trips, name).to.equal(1);
    }
    expect((await counted(node1, { name: ['hello'], state: 'latest' })).result.changed).to.equal(false);
  });

  it('Ansible finds nothing to change after typebook', async () => {
    const { status, result } = await ansible(fixture.lab, 'node1', 'ansible.builtin.apt', { name: 'hello', state: 'present' });
    expect(status).to.equal('SUCCESS');
    expect(result.changed).to.equal(false);
  });

  it('fails clearly for a version or a package the repository does not have', async () => {
    const missingVersion = await counted(node1, { name: ['hello=9.9.9'] });
    expect(missingVersion.result).to.include({ failed: true, msg: 'no available installation candidate for hello=9.9.9' });
    const missing = await counted(node1, { name: ['no-such-package'] });
    expect(missing.result).to.include({ failed: true, msg: "No package matching 'no-such-package' is available" });
    expect((await counted(node1, { name: ['hello'], state: 'build-dep' })).result.msg).to.match(/build-dep is not supported/);
  });

  it('removes (then nothing to do, for Ansible too), and installs again by version wildcard', async () => {
    const removed = await counted(node1, { name: ['hello'], state: 'absent', purge: true });
    expect(removed.result.changed).to.equal(true);
    expect(removed.trips).to.equal(2);
    expect(await installedVersion('node1', 'hello')).to.equal('');
    const again = await counted(node1, { name: ['hello'], state: 'absent', purge: true });
    expect(again.result.changed).to.equal(false);
    expect(again.trips).to.equal(1);
    expect((await ansible(fixture.lab, 'node1', 'ansible.builtin.apt', { name: 'hello', state: 'absent', purge: true })).result.changed).to.equal(false);
    const wildcard = await counted(node1, { name: [`hello=${helloVersion.slice(0, 2)}*`] });
    expect(wildcard.result.changed).to.equal(true);
    expect(await installedVersion('node1', 'hello')).to.equal(`ii ${helloVersion}`);
  });

  it('typebook finds nothing to change after Ansible installed a pinned version', async () => {
    expect((await ansible(fixture.lab, 'node2', 'ansible.builtin.apt', { name: `hello=${helloVersion}` })).status).to.equal('CHANGED');
    const { result, trips } = await counted(node2, { name: [`hello=${helloVersion}`] });
    expect(result.changed).to.equal(false);
    expect(trips).to.equal(1);
  });

  it('policy_rc_d=101 keeps the service from starting, and the file is gone after', async () => {
    const { result } = await counted(node2, { name: ['haproxy'], policy_rc_d: 101 });
    expect(result.changed).to.equal(true);
    expect(await installedVersion('node2', 'haproxy')).to.match(/^ii /);
    expect((await labSsh(fixture.lab, 'node2', 'service haproxy status')).code).to.equal(3);
    expect((await labSsh(fixture.lab, 'node2', 'test -e /usr/sbin/policy-rc.d')).code).to.equal(1);
  });

  it('updates the cache only when older than cache_valid_time', async () => {
    const fresh = await counted(node1, { update_cache: true, cache_valid_time: 86400 });
    expect(fresh.result).to.include({ changed: false, cache_updated: false });
    expect(fresh.trips).to.equal(1);
    const checked = await counted(node1, { update_cache: true }, { check: true });
    expect(checked.result).to.include({ changed: true, cache_updated: true });
    const updated = await counted(node1, { update_cache: true });
    expect(updated.result.failed).to.equal(undefined);
    expect(updated.result.cache_update_time).to.be.a('number');
    expect(updated.trips).to.equal(1);
  });

  it('refuses bad arguments', () => {
    expect(() => checkedArgs(apt, { nmae: ['hello'] })).to.throw(/did you mean 'name'/);
    expect(() => checkedArgs(apt, { name: ['hello'], state: 'installed' })).to.throw(/present/);
    expect(checkedArgs(apt, { name: 'hello,socat', update_cache: 'yes' })).to.deep.equal({ name: ['hello', 'socat'], update_cache: true });
  });
});

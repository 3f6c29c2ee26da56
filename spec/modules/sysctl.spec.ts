/** sysctl on real lab hosts (only net.* is writable live there), and against ansible.posix.sysctl itself. */
import { expect } from 'chai';
import type { CountingConnection } from '../../lib/connection/index.js';
import type { Diff } from '../../lib/modules/module.js';
import { checkModuleArgs, resolveAliases } from '../../lib/playbook/module-args.js';
import sysctl, { fixSysctlFile, normalizeValue, sameTokens } from '../../lib/modules/sysctl.js';
import { labSsh, useLab } from '../lab/fixture.js';
import { runAnsible as ansible } from './ansible.js';
import { checkedArgs, labConnection, runCounted } from './harness.js';

const KEY = 'net.ipv4.ip_nonlocal_bind';

/**
 * `ansible HOST -m MODULE -a JSON` against the lab: the status word and the JSON result. An empty ansible.cfg
 * of its own (ansible-core 2.14 refuses ANSIBLE_CONFIG=/dev/null: "Unsupported configuration file extension").
 */

describe('sysctl module', function () {
  this.timeout(60_000);
  let node1: CountingConnection;
  let node2: CountingConnection;
  // registered before the lab's own `after`, so the connections close while the hosts are still up
  after(async () => {
    await node1?.close();
    await node2?.close();
  });
  const fixture = useLab({ hosts: 2, name: 'mod-sysctl' });
  const sh = async (host: string, command: string) => (await labSsh(fixture.lab, host, command)).stdout;
  const counted = (conn: CountingConnection, args: Record<string, unknown>, options: { check?: boolean; diff?: boolean; environment?: Record<string, string> } = {}) => runCounted(sysctl, args, conn, options);

  before(() => {
    node1 = labConnection(fixture.lab, 'node1');
    node2 = labConnection(fixture.lab, 'node2');
  });

  describe('pure logic', () => {
    it('rewrites the file as Ansible lays it out', () => {
      const { values, fixed } = fixSysctlFile('# comment\n  a.b = 1 \n\nc.d=2\na.b=3\n', 'e.f', '4');
      expect(values.get('a.b')).to.equal('3');
      expect(fixed).to.equal('# comment\na.b=1\n\nc.d=2\ne.f=4\n');
      expect(fixSysctlFile('a.b=1\nc.d=2\n', 'a.b', undefined).fixed).to.equal('c.d=2\n');
      expect(fixSysctlFile('', 'a.b', '1').fixed).to.equal('a.b=1\n');
    });
    it('normalises booleans and compares tokens', () => {
      expect(['yes', 'True', 'on', '1'].map(normalizeValue)).to.deep.equal(['1', '1', '1', '1']);
      expect(['no', 'False', 'off', '0'].map(normalizeValue)).to.deep.equal(['0', '0', '0', '0']);
      expect(normalizeValue(' 1024 65000 ')).to.equal('1024 65000');
      expect(sameTokens('1024\t65000\n', '1024 65000')).to.equal(true);
      expect(sameTokens('1024 65000', '1024 65001')).to.equal(false);
      expect(sameTokens(undefined, '1')).to.equal(false);
    });
  });

  it('check mode says it would change and shows the diff, touching nothing (1 round trip)', async () => {
    const fileBefore = await sh('node1', 'cat /etc/sysctl.conf');
    const { result, trips } = await counted(node1, { name: KEY, value: '1' }, { check: true, diff: true });
    expect(result.changed).to.equal(true);
    expect(result.failed).to.equal(undefined);
    expect(trips).to.equal(1);
    expect((result.diff as Diff[] | undefined)?.[0]?.after).to.match(new RegExp(`\\n${KEY.replace(/\./g, '\\.')}=1\\n$`));
    expect((result.diff as Diff[] | undefined)?.[0]?.beforeHeader).to.equal('/etc/sysctl.conf');
    expect(await sh('node1', 'cat /etc/sysctl.conf')).to.equal(fileBefore);
    expect((await sh('node1', `sysctl -n ${KEY}`)).trim()).to.equal('0');
  });

  it('sets the value in the file and the kernel (2 round trips), then changes nothing (1)', async () => {
    const first = await counted(node1, { name: KEY, value: '1' }, { diff: true });
    expect(first.result).to.include({ changed: true });
    expect(first.trips).to.equal(2);
    expect(await sh('node1', 'grep -c "^net.ipv4.ip_nonlocal_bind=1$" /etc/sysctl.conf')).to.equal('1\n');
    expect((await sh('node1', `sysctl -n ${KEY}`)).trim()).to.equal('1');
    // the mode and the comments of the Debian file are kept
    expect(await sh('node1', 'stat -c %a /etc/sysctl.conf; grep -c "^#" /etc/sysctl.conf')).to.match(/^644\n[1-9]\d*\n$/);

    const second = await counted(node1, { name: KEY, value: 'yes' });
    expect(second.result).to.deep.equal({ changed: false });
    expect(second.trips).to.equal(1);
    expect((await counted(node1, { name: KEY, value: '1' }, { check: true })).result.changed).to.equal(false);
  });

  it('Ansible finds nothing to change after typebook', async () => {
    const { status, result } = await ansible(fixture.lab, 'node1', 'ansible.posix.sysctl', { name: KEY, value: '1' });
    expect(status).to.equal('SUCCESS');
    expect(result.changed).to.equal(false);
  });

  it('typebook finds nothing to change after Ansible (live value, tokens)', async () => {
    const range = '1024 65000';
    const { status } = await ansible(fixture.lab, 'node2', 'ansible.posix.sysctl', { name: 'net.ipv4.ip_local_port_range', value: range, sysctl_set: true });
    expect(status).to.equal('CHANGED');
    const again = await counted(node2, { name: 'net.ipv4.ip_local_port_range', value: range, sysctl_set: true });
    expect(again.result.changed).to.equal(false);
    expect(again.trips).to.equal(1);
    // the kernel prints it with a tab: compared as tokens, not as strings
    expect(await sh('node2', 'sysctl -n net.ipv4.ip_local_port_range')).to.equal('1024\t65000\n');
  });

  it('sets a live value that differs from the file with sysctl_set, without reload', async () => {
    await labSsh(fixture.lab, 'node2', 'sysctl -w net.ipv4.ip_local_port_range="2000 60000"');
    const { result, trips } = await counted(node2, { name: 'net.ipv4.ip_local_port_range', value: '1024 65000', sysctl_set: true, reload: false });
    expect(result.changed).to.equal(true);
    expect(trips).to.equal(2);
    expect(await sh('node2', 'sysctl -n net.ipv4.ip_local_port_range')).to.equal('1024\t65000\n');
  });

  it('removes the key with state=absent (diff, then idempotent), in another file', async () => {
    const file = '/etc/sysctl.d/60-typebook.conf';
    await counted(node1, { name: 'net.ipv4.tcp_syncookies', value: '1', sysctl_file: file });
    await counted(node1, { name: 'net.core.somaxconn', value: '1024', sysctl_file: file });
    expect(await sh('node1', `cat ${file}`)).to.equal('net.ipv4.tcp_syncookies=1\nnet.core.somaxconn=1024\n');
    const removed = await counted(node1, { name: 'net.ipv4.tcp_syncookies', state: 'absent', sysctl_file: file }, { diff: true });
    expect(removed.result.changed).to.equal(true);
    expect((removed.result.diff as Diff[] | undefined)?.[0]).to.include({ before: 'net.ipv4.tcp_syncookies=1\nnet.core.somaxconn=1024\n', after: 'net.core.somaxconn=1024\n' });
    expect(await sh('node1', `cat ${file}`)).to.equal('net.core.somaxconn=1024\n');
    const again = await counted(node1, { name: 'net.ipv4.tcp_syncookies', state: 'absent', sysctl_file: file });
    expect(again.result.changed).to.equal(false);
    expect(again.trips).to.equal(1);
    expect((await ansible(fixture.lab, 'node1', 'ansible.posix.sysctl', { name: 'net.ipv4.tcp_syncookies', state: 'absent', sysctl_file: file })).result.changed).to.equal(false);
  });

  it('fails with a clear message when the kernel refuses the key', async () => {
    const { result } = await counted(node1, { name: 'kernel.domainname', value: 'lab', sysctl_set: true, sysctl_file: '/tmp/sysctl-fail.conf' });
    expect(result.failed).to.equal(true);
    expect(result.msg).to.match(/^setting kernel\.domainname failed: sysctl: permission denied on key "kernel\.domainname"/);
    // stopped before writing the file, as Ansible does
    expect((await labSsh(fixture.lab, 'node1', 'test -e /tmp/sysctl-fail.conf')).code).to.equal(1);
  });

  it('detects a failure that sysctl reports on stderr with exit code 0', async () => {
    await labSsh(fixture.lab, 'node2', `mkdir -p /tmp/fakebin && printf '#!/bin/sh\\ncase "$*" in *-w*) echo "sysctl: setting key \\\\"net.core.somaxconn\\\\": Invalid argument" >&2; exit 0;; esac\\nexec /usr/sbin/sysctl "$@"\\n' > /tmp/fakebin/sysctl && chmod +x /tmp/fakebin/sysctl`);
    const { result } = await counted(node2, { name: 'net.core.somaxconn', value: '999', sysctl_set: true, sysctl_file: '/tmp/sysctl-stderr.conf' }, { environment: { PATH: '/tmp/fakebin:/usr/sbin:/usr/bin:/sbin:/bin' } });
    expect(result.failed).to.equal(true);
    expect(result.msg).to.equal('setting net.core.somaxconn failed: sysctl: setting key "net.core.somaxconn": Invalid argument\n');
  });

  it('refuses bad arguments before running, with file:line:col and near names', () => {
    expect(() => checkedArgs(sysctl, { name: KEY, vlaue: '1' })).to.throw(/vlaue[\s\S]*did you mean 'value'/);
    expect(() => checkedArgs(sysctl, { name: KEY, value: '1', state: 'gone' })).to.throw(/present|absent/);
    expect(checkedArgs(sysctl, resolveAliases(sysctl, { key: KEY, val: 1, reload: 'no' }).args)).to.deep.equal({ name: KEY, value: '1', reload: false });
    const problems = checkModuleArgs(sysctl, { name: KEY, value: '1', sysctl_sett: true }, { file: 'site.yml', line: 3, col: 7 });
    expect(problems).to.have.length(1);
    expect(problems[0]).to.include({ file: 'site.yml', line: 3 });
  });

  it('refuses state=present without a value before connecting', () => {
    expect(() => checkedArgs(sysctl, { name: KEY })).to.throw(/module sysctl: state is present but all of the following are missing: value/);
  });
});

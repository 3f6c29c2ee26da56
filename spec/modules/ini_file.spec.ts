/** ini_file on a real lab host: idempotence, check, diff, round trips, errors, and Ansible's own results. */
import { expect } from 'chai';
import type { CountingConnection } from '../../lib/connection/index.js';
import ini_file from '../../lib/modules/ini_file.js';
import { labSsh, useSharedLab } from '../lab/fixture.js';
import { oracle, oracleText, runAnsible } from './ansible.js';
import { checkedArgs, labConnection, runModule } from './harness.js';

describe('ini_file module (lab)', function () {
  this.timeout(60_000);
  let conn: CountingConnection;
  // registered before the lab's own hook, so it runs while the host is still up
  after(async () => conn?.close());
  const fixture = useSharedLab({ hosts: 1, name: 'mod-files' });
  const sh = async (cmd: string) => (await labSsh(fixture.lab, 'node1', cmd)).stdout;

  before(async () => {
    conn = labConnection(fixture.lab, 'node1');
    await sh("mkdir -p /etc/nova && printf '[DEFAULT]\\ndebug = false\\n\\n[api]\\nauth = keystone\\n' > /etc/nova/nova.conf && chmod 640 /etc/nova/nova.conf");
  });

  it('sets [upgrade_levels] compute = auto once, then reports no change in one round trip', async () => {
    const args = { path: '/etc/nova/nova.conf', section: 'upgrade_levels', option: 'compute', value: 'auto' };
    let trips = conn.roundTrips;
    const first = await runModule(ini_file, args, conn);
    expect(first).to.include({ changed: true, msg: 'section and option added', path: '/etc/nova/nova.conf' });
    expect(conn.roundTrips - trips).to.equal(2);
    expect(await sh("cat /etc/nova/nova.conf; stat -c '%a' /etc/nova/nova.conf")).to.equal('[DEFAULT]\ndebug = false\n\n[api]\nauth = keystone\n[upgrade_levels]\ncompute = auto\n640\n');
    trips = conn.roundTrips;
    expect((await runModule(ini_file, args, conn)).changed).to.equal(false);
    expect(conn.roundTrips - trips).to.equal(1);
  });

  it('check mode changes nothing and says it would; diff shows the change', async () => {
    const result = await runModule(ini_file, { path: '/etc/nova/nova.conf', section: 'DEFAULT', option: 'debug', value: 'true' }, conn, { check: true, diff: true });
    expect(result).to.include({ changed: true, msg: 'option changed' });
    const diff = (result.diff as { before: string; after: string }[])[0]!;
    expect(diff.before).to.include('debug = false');
    expect(diff.after).to.include('debug = true');
    expect(await sh('grep debug /etc/nova/nova.conf')).to.equal('debug = false\n');
  });

  it('fails clearly and refuses bad arguments', async () => {
    expect(await runModule(ini_file, { path: '/etc/nova/none.conf', section: 's', option: 'o', value: 'v', create: false }, conn)).to.include({ failed: true, msg: 'Destination /etc/nova/none.conf does not exist!' });
    expect(await runModule(ini_file, { path: '/etc/nova/nova.conf', section: 's', option: 'o' }, conn)).to.include({ failed: true, msg: "Parameter 'value(s)' must be defined if state=present and allow_no_value=False." });
    expect(() => checkedArgs(ini_file, { path: '/x', section: 's', optoin: 'o' })).to.throw(/optoin/);
    expect(() => checkedArgs(ini_file, { path: '/x', state: 'maybe' })).to.throw(/state/);
  });

  it('makes a backup and sets the mode', async () => {
    const result = await runModule(ini_file, { path: '/etc/nova/nova.conf', section: 'api', option: 'workers', value: 4, backup: true, mode: 'u=rw,g=r,o=r' }, conn);
    expect(result.changed).to.equal(true);
    expect(result.backup_file).to.match(/^\/etc\/nova\/nova\.conf\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~$/);
    expect(await sh("stat -c '%a' /etc/nova/nova.conf; grep workers /etc/nova/nova.conf")).to.equal('644\nworkers = 4\n');
  });

  it('Ansible reports no change after typebook, and typebook none after Ansible', async () => {
    const ansible = await runAnsible(fixture.lab, 'node1', 'community.general.ini_file', { path: '/etc/nova/nova.conf', section: 'upgrade_levels', option: 'compute', value: 'auto' });
    expect(ansible.status).to.equal('SUCCESS');
    expect(ansible.result.changed).to.equal(false);
    const byAnsible = await runAnsible(fixture.lab, 'node1', 'community.general.ini_file', { path: '/etc/nova/nova.conf', section: 'DEFAULT', option: 'log_dir', value: '/var/log/nova', no_extra_spaces: true });
    expect(byAnsible.result.changed).to.equal(true);
    expect((await runModule(ini_file, { path: '/etc/nova/nova.conf', section: 'DEFAULT', option: 'log_dir', value: '/var/log/nova', no_extra_spaces: true }, conn)).changed).to.equal(false);
  });

  it('gives byte-for-byte the file Ansible gives (oracle)', async () => {
    const text = '; top comment\ntop = 1\n[a]\nx = 1\n# x = 2\ny=2\nx=3\n\n[b]\nz = 1\n[a.b]\nq=1';
    const cases = [
      { name: 'new section on a missing file', args: { section: 'upgrade_levels', option: 'compute', value: 'auto' } },
      { name: 'change a value, exclusive', initial: text, args: { section: 'a', option: 'x', value: '9' } },
      { name: 'values, not exclusive', initial: text, args: { section: 'a', option: 'x', values: ['1', '5'], exclusive: false } },
      { name: 'values, exclusive', initial: text, args: { section: 'a', option: 'x', values: ['3', '7'] } },
      { name: 'no section', initial: text, args: { option: 'top', value: '2' } },
      { name: 'null section new option', initial: text, args: { section: null, option: 'new', value: 'v' } },
      { name: 'no_extra_spaces', initial: text, args: { section: 'b', option: 'w', value: 'v', no_extra_spaces: true } },
      { name: 'allow_no_value', initial: text, args: { section: 'b', option: 'flag', allow_no_value: true } },
      { name: 'absent option', initial: text, args: { section: 'a', option: 'x', state: 'absent' } },
      { name: 'absent value not exclusive', initial: text, args: { section: 'a', option: 'x', value: '3', state: 'absent', exclusive: false } },
      { name: 'absent section', initial: text, args: { section: 'b', state: 'absent' } },
      { name: 'prefix section name', initial: text, args: { section: 'a.b', option: 'q', value: '2' } },
      { name: 'crlf and no final newline', initial: '[s]\r\nk = v\r\nj = w', args: { section: 's', option: 'k', value: 'v' } },
      { name: 'empty file', initial: '', args: { section: 's', option: 'k', value: 'v' } },
      { name: 'commented option replaced', initial: '[s]\n;k = old\n', args: { section: 's', option: 'k', value: 'new' } },
    ];
    const outcomes = await oracle(fixture.lab, conn, 'community.general.ini_file', ini_file, cases);
    for (const o of outcomes) expect(oracleText(o.typebook), o.name).to.equal(oracleText(o.ansible));
  });
});

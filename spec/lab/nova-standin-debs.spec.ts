/**
 * The nova stand-in's packages on a real lab host: installed from the lab repository at N, upgraded to N+1 in
 * the rolling-upgrade order, and the wrong orders refused visibly.
 */
import { expect } from 'chai';
import { shellJoin } from '../../lib/connection/quote.js';
import { STANDIN_RELEASES } from '../../lib/lab/standin-debs.js';
import { labSsh, useLab, type SshResult } from './fixture.js';

const [N, N1] = STANDIN_RELEASES.map((r) => r.version) as [string, string];
const SERVICES = ['nova-conductor', 'nova-scheduler', 'nova-compute', 'nova-api'];
const APT = ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-q', '--allow-downgrades'];

describe('nova stand-in packages on the lab', function () {
  this.timeout(120_000);
  const fixture = useLab({ hosts: 2, name: 'nova-standin' });
  const sh = (host: string, command: string): Promise<SshResult> => labSsh(fixture.lab, host, command);
  const ok = async (host: string, command: string): Promise<string> => {
    const r = await sh(host, command);
    expect(r.code, `${command}\n${r.stdout}${r.stderr}`).to.equal(0);
    return r.stdout;
  };
  const install = (host: string, version: string, packages: string[], noRestart = false): Promise<SshResult> => {
    // policy-rc.d exit 101: the new code is installed, the running services keep the old one (as the playbook does).
    const policy = noRestart ? "printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && " : '';
    const cleanup = noRestart ? '; rc=$?; rm -f /usr/sbin/policy-rc.d; exit $rc' : '';
    return sh(host, policy + shellJoin([...APT, ...packages.map((p) => `${p}=${version}`)]) + cleanup);
  };
  const apiVersion = async (host: string): Promise<string> => {
    const out = await ok(host, "python3 -c 'import json,urllib.request; print(json.load(urllib.request.urlopen(\"http://127.0.0.1:8774/\", timeout=5))[\"version\"][\"version\"])'");
    return out.trim();
  };
  const restart = (host: string, service: string): Promise<SshResult> => sh(host, shellJoin(['invoke-rc.d', service, 'restart']));

  it('installs N, starts every service on install, and answers 2.93', async () => {
    const all = ['nova-common', ...SERVICES];
    // The services start from postinst before any db sync: at N on a fresh database that is refused, so sync first.
    expect((await install('node1', N, ['nova-common'])).code).to.equal(0);
    await ok('node1', 'nova-manage api_db sync && nova-manage db sync');
    const r = await install('node1', N, all);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    for (const s of SERVICES) expect(await ok('node1', shellJoin([`/etc/init.d/${s}`, 'status']))).to.include('is running');
    expect(await apiVersion('node1')).to.equal('2.93');
    expect((await sh('node1', 'nova-status upgrade check')).code).to.equal(0);
    expect(await ok('node1', 'grep -c nova-compute /var/lib/nova/standin-db.json')).to.match(/^[1-9]/);
  });

  it('upgrades to N+1 in the guide order and answers 2.95', async () => {
    const r = await install('node1', N1, ['nova-common', ...SERVICES], true);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(await apiVersion('node1'), 'the old API keeps serving until restarted').to.equal('2.93');
    await ok('node1', 'nova-manage api_db sync && nova-manage db sync');
    await ok('node1', "sed -i 's/^# compute = auto .*/compute = auto/' /etc/nova/nova.conf && grep -qx 'compute = auto' /etc/nova/nova.conf");
    for (const s of SERVICES) expect((await restart('node1', s)).code, s).to.equal(0);
    expect(await apiVersion('node1')).to.equal('2.95');
    // Migrations: 1 while work remains, 0 once done.
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const c = (await sh('node1', 'nova-manage db online_data_migrations')).code;
      codes.push(c);
      if (c !== 1) break;
    }
    expect(codes).to.deep.equal([1, 1, 0]);
    expect((await sh('node1', 'nova-status upgrade check')).code).to.equal(0);
    expect(await ok('node1', 'nova-manage service list')).to.not.match(/ 26$/m);
  });

  it('refuses an N+1 API before the db sync, and an N+1 compute before the conductor', async () => {
    expect((await install('node2', N, ['nova-common'])).code).to.equal(0);
    await ok('node2', 'nova-manage api_db sync && nova-manage db sync');
    expect((await install('node2', N, ['nova-conductor', 'nova-compute', 'nova-api'])).code).to.equal(0);
    expect(await apiVersion('node2')).to.equal('2.93');

    const api = await install('node2', N1, ['nova-common', 'nova-api']);
    expect(api.code).to.not.equal(0);
    expect(api.stdout + api.stderr).to.include('run `nova-manage api_db sync` first');
    expect((await sh('node2', '/etc/init.d/nova-api status')).code).to.equal(3);

    // The new code everywhere, services not restarted; after the syncs, a compute restarted before the conductor.
    expect((await install('node2', N1, ['nova-common', 'nova-conductor', 'nova-compute', 'nova-api'], true)).code).to.equal(0);
    await ok('node2', 'nova-manage api_db sync && nova-manage db sync');
    const compute = await restart('node2', 'nova-compute');
    expect(compute.code).to.not.equal(0);
    expect(compute.stdout + compute.stderr).to.include('upgrade conductors first');
    expect((await restart('node2', 'nova-conductor')).code).to.equal(0);
    expect((await restart('node2', 'nova-compute')).code).to.equal(0);
    // nova-status sees the mixed versions and the pending migrations: a warning.
    expect((await sh('node2', 'nova-status upgrade check')).code).to.equal(1);
  });

  it('shares the controller database with another host through the conductor', async () => {
    const controller = fixture.lab.hosts.find((h) => h.name === 'node1')!.address;
    await ok('node2', 'for s in nova-api nova-compute nova-conductor; do invoke-rc.d $s stop; done');
    const url = `http://${controller}:8799`;
    await ok('node2', shellJoin(['sed', '-i', `s|^connection = .*|connection = ${url}|`, '/etc/nova/nova.conf']));
    // node1's conductor is at N+1, so node2's N+1 compute may start; it registers in node1's database.
    expect((await restart('node2', 'nova-compute')).code).to.equal(0);
    expect(await ok('node1', 'nova-manage service list')).to.match(/^nova-compute\s+node2\s+up\s+27$/m);
    expect(await ok('node2', 'nova-manage service list')).to.match(/^nova-conductor\s+node1\s+up\s+27$/m);
  });
});

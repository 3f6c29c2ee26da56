/** The nova stand-in's packages (built for real with dpkg-deb) and its program, run on 127.0.0.1. */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildStandinDebs, initScript, NOVA_CONF, standinPackages, STANDIN_RELEASES } from '../../lib/lab/standin-debs.js';

const PROGRAM = fileURLToPath(new URL('../../lib/lab/nova-standin.py', import.meta.url));

describe('nova stand-in packages', function () {
  this.timeout(20_000);
  let dir = '';
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'standin-spec-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('describes five packages per release, each service depending on nova-common of the same version', () => {
    for (const release of STANDIN_RELEASES) {
      const pkgs = standinPackages(release, '#!/usr/bin/python3\n');
      expect(pkgs.map((p) => p.name)).to.deep.equal(['nova-common', 'nova-api', 'nova-conductor', 'nova-scheduler', 'nova-compute']);
      for (const p of pkgs.slice(1)) {
        expect(p.control).to.include(`Depends: nova-common (= ${release.version})\n`);
        expect(p.maintainer.postinst).to.match(/invoke-rc\.d nova-\w+ start/);
        expect(p.files.map((f) => f.path)).to.deep.equal([`etc/init.d/${p.name}`, `lib/systemd/system/${p.name}.service`]);
      }
      expect(pkgs[0]!.maintainer.conffiles).to.equal('/etc/nova/nova.conf\n');
      const rel = pkgs[0]!.files.find((f) => f.path.endsWith('release.json'))!;
      expect(JSON.parse(rel.content)).to.deep.equal({
        version: release.version.replace(/-.*/, ''),
        service_version: release.serviceVersion,
        max_microversion: release.maxMicroversion,
      });
    }
    expect(STANDIN_RELEASES.map((r) => [r.version, r.maxMicroversion])).to.deep.equal([
      ['26.2.2-1+standin', '2.93'],
      ['27.1.0-1+standin', '2.95'],
    ]);
  });

  it('init scripts are valid sh with every action', () => {
    const script = join(dir, 'init');
    writeFileSync(script, initScript('nova-api'));
    expect(spawnSync('sh', ['-n', script]).status).to.equal(0);
    for (const action of ['start)', 'stop)', 'restart|force-reload)', 'reload)', 'status)']) expect(initScript('nova-api')).to.include(action);
  });

  it('writes the ten .debs with dpkg-deb', async () => {
    const files = await buildStandinDebs(dir);
    expect(files).to.have.length(10);
    expect(readdirSync(dir).sort()).to.deep.equal([...files].sort());
    const field = (file: string, name: string): string => spawnSync('dpkg-deb', ['-f', join(dir, file), name], { encoding: 'utf8' }).stdout.trim();
    expect(field('nova-compute_27.1.0-1+standin_all.deb', 'Depends')).to.equal('nova-common (= 27.1.0-1+standin)');
    const listing = spawnSync('dpkg-deb', ['-c', join(dir, 'nova-common_26.2.2-1+standin_all.deb')], { encoding: 'utf8' }).stdout;
    expect(listing).to.match(/-rwxr-xr-x root\/root .* \.\/usr\/bin\/nova-manage/);
    expect(listing).to.include('./etc/nova/nova.conf');
  });
});

describe('nova stand-in program', function () {
  this.timeout(20_000);
  let dir = '';
  const env = (release: number): NodeJS.ProcessEnv => ({ ...process.env, NOVA_CONF: join(dir, 'nova.conf'), NOVA_STANDIN_RELEASE_FILE: join(dir, `release-${release}.json`) });
  const nova = (release: number, ...args: string[]): { code: number; out: string } => {
    const r = spawnSync('python3', [PROGRAM, ...args], { env: env(release), encoding: 'utf8' });
    return { code: r.status ?? -1, out: r.stdout + r.stderr };
  };
  const conf = (extra: string): void =>
    writeFileSync(join(dir, 'nova.conf'), NOVA_CONF.replace('file:///var/lib/nova/standin-db.json', `file://${dir}/db.json`).replace('[DEFAULT]', '[DEFAULT]\nosapi_compute_listen = 127.0.0.1\nosapi_compute_listen_port = 0') + extra);
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'standin-prog-'));
    for (const r of STANDIN_RELEASES) {
      writeFileSync(join(dir, `release-${r.serviceVersion}.json`), JSON.stringify({ version: r.version.replace(/-.*/, ''), service_version: r.serviceVersion, max_microversion: r.maxMicroversion }));
    }
    conf('');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('nova-status and online_data_migrations answer with nova exit codes', () => {
    expect(nova(26, 'manage', 'api_db', 'sync').code).to.equal(0);
    expect(nova(26, 'manage', 'db', 'sync').code).to.equal(0);
    expect(nova(26, 'status', 'upgrade', 'check').code).to.equal(0);
    expect(nova(27, 'manage', 'db', 'online_data_migrations').code, 'before db sync: error').to.equal(2);
    expect(nova(27, 'manage', 'db', 'sync').code).to.equal(0);
    expect(nova(27, 'status', 'upgrade', 'check')).to.include({ code: 1 });
    expect([1, 2, 3].map(() => nova(27, 'manage', 'db', 'online_data_migrations').code)).to.deep.equal([1, 1, 0]);
    expect(nova(26, 'status', 'upgrade', 'check').code, 'schema newer than the code: failure').to.equal(2);
    expect(nova(27, 'manage', 'bogus').code).to.equal(127);
  });

  it('an N+1 API without upgrade_levels compute=auto fails compute requests while an N compute is registered; SIGHUP reloads', async () => {
    for (const args of [['api_db', 'sync'], ['db', 'sync']]) nova(26, 'manage', ...args);
    const compute = spawn('python3', [PROGRAM, 'compute'], { env: env(26), stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 500));
      for (const args of [['api_db', 'sync'], ['db', 'sync']]) nova(27, 'manage', ...args);
      const api = spawn('python3', [PROGRAM, 'api'], { env: env(27), stdio: ['ignore', 'ignore', 'pipe'] });
      let log = '';
      const port = await new Promise<number>((resolve, reject) => {
        api.stderr!.on('data', (b: Buffer) => {
          log += b.toString();
          const m = /listening on 127\.0\.0\.1:(\d+)/.exec(log);
          if (m) resolve(Number(m[1]));
        });
        api.on('exit', () => reject(new Error(log)));
      });
      const post = (path: string): Promise<{ status: number; body: string }> =>
        new Promise((resolve, reject) => {
          const req = request({ host: '127.0.0.1', port, path, method: path.includes('servers') ? 'POST' : 'GET', agent: false }, (res) => {
            let body = '';
            res.on('data', (b: Buffer) => (body += b.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          });
          req.on('error', reject);
          req.end();
        });
      const denied = await post('/v2.1/servers');
      expect(denied.status).to.equal(500);
      expect(denied.body).to.include('upgrade_levels');
      expect(JSON.parse((await post('/')).body).version.version).to.equal('2.95');
      conf('compute = auto\n');
      api.kill('SIGHUP');
      for (let i = 0; i < 40 && !log.includes('SIGHUP'); i++) await new Promise((r) => setTimeout(r, 25));
      expect((await post('/v2.1/servers')).status).to.equal(202);
      const services = JSON.parse((await post('/v2.1/os-services')).body) as { services: { binary: string; version: number }[] };
      expect(services.services.map((s) => [s.binary, s.version])).to.deep.equal([['nova-api', 27], ['nova-compute', 26]]);
      api.kill('SIGTERM');
      expect(await new Promise((r) => api.on('exit', r))).to.equal(0);
    } finally {
      compute.kill('SIGKILL');
    }
  });
});

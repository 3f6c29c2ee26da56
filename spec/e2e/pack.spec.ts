/**
 * The roles as an npm package: `npm pack` of this project, installed into a fresh project directory, whose own
 * playbook uses `roles: [haproxy, keepalived]` by name and runs with the installed `typebook` on lab hosts.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { probe } from '../../lib/probe/index.js';
import { useLab } from '../lab/fixture.js';

const exec = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

describe('the roles reused from npm', function () {
  this.timeout(240_000);
  const fixture = useLab({ hosts: 2, name: 'pack' });
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'typebook-pack-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('installs the packed project elsewhere and runs a playbook that names its roles', async () => {
    // dist/ is built by `npm test` before mocha runs: no scripts here
    await exec('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: root });
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    expect(tarball).to.be.a('string');
    const project = join(dir, 'site');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), '{"name": "site", "private": true}\n');
    await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', join(dir, tarball!)], { cwd: project });
    writeFileSync(join(project, 'hosts.yml'), [
      'all:',
      '  children:',
      '    loadbalancers: {hosts: {node1: {}, node2: {}}}',
      '    nova_api: {hosts: {node1: {}, node2: {}}}',
      '  vars:',
      '    haproxy_vip: "{{ lab_vip }}"',
      '',
    ].join('\n'));
    writeFileSync(join(project, 'site.yml'), '- hosts: loadbalancers\n  roles: [haproxy, keepalived]\n');
    const run = await exec(join(project, 'node_modules/.bin/typebook'), ['run', 'site.yml', '-i', fixture.lab.inventoryPath, '-i', 'hosts.yml'], { cwd: project, env: { ...process.env, NO_COLOR: '1' } })
      .catch((e: { stdout?: string; stderr?: string; message: string }) => ({ stdout: `${e.message}\n${e.stdout ?? ''}`, stderr: e.stderr ?? '' }));
    expect(run.stdout).to.match(/node1 +: ok=\d+ +changed=\d+ +unreachable=0 +failed=0/, run.stdout + run.stderr);
    expect(run.stdout).to.match(/node2 +: ok=\d+ +changed=\d+ +unreachable=0 +failed=0/);
    expect(run.stdout).to.match(/node_modules\/typebook\/roles\/haproxy|TASK \[haproxy : /);
    // HAProxy answers on the VIP once keepalived has seen it alive (503: no nova API runs behind it here)
    const answered = async (): Promise<boolean> => (await probe({ url: `http://${fixture.lab.vip}:8282/`, ratePerSecond: 1, durationMs: 1, maxRequests: 1, timeoutMs: 1000, versionDocument: false, okStatus: (s) => s === 503 }))[0]!.ok;
    let ok = false;
    for (let i = 0; i < 20 && !ok; i++) {
      ok = await answered();
      if (!ok) await new Promise((r) => setTimeout(r, 500));
    }
    expect(ok, 'the VIP answers').to.equal(true);
  });
});

/**
 * The seed's optional step, roles/nova's keystone-endpoint.yml, against the identity stand-in on 127.0.0.1:
 * nova's public and internal endpoints end at the VIP, once; a wrong password fails clearly and never shows.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlaybook, type RunEvent } from '../../lib/engine/index.js';

const root = new URL('../../', import.meta.url).pathname;
const VIP_URL = 'http://10.0.0.250:8282/v2.1';

function call(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<{ status: number; headers: Record<string, unknown>; json: any }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { 'Content-Type': 'application/json', ...headers }, agent: false }, (res) => {
      let text = '';
      res.on('data', (b: Buffer) => (text += b.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(text || '{}') }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('roles/nova keystone-endpoint.yml against the identity stand-in', function () {
  this.timeout(60_000);
  let dir: string;
  let keystone: ChildProcess;
  let port: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'typebook-keystone-'));
    writeFileSync(join(dir, 'password'), 's3cr3t-pass\n');
    keystone = spawn('python3', [join(root, 'lib/lab/keystone-standin.py'), '--port', '0', '--password-file', join(dir, 'password')], { stdio: ['ignore', 'ignore', 'pipe'] });
    port = await new Promise<number>((resolve, reject) => {
      let err = '';
      keystone.stderr!.on('data', (b: Buffer) => {
        err += b.toString();
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(err);
        if (m) resolve(Number(m[1]));
      });
      keystone.on('exit', (code) => reject(new Error(`keystone stand-in exited ${code}: ${err}`)));
    });
    writeFileSync(join(dir, 'hosts.yml'), 'all:\n  children:\n    nova_controller:\n      hosts:\n        ctl: {ansible_connection: local}\n    nova_api: {}\n    nova_compute: {}\n');
    writeFileSync(join(dir, 'play.yml'), [
      '- hosts: nova_controller',
      '  gather_facts: false',
      '  tasks:',
      '    - ansible.builtin.import_role: {name: nova, tasks_from: keystone-endpoint}',
      '',
    ].join('\n'));
  });
  after(() => {
    keystone.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(password: string) {
    const events: RunEvent[] = [];
    const result = await runPlaybook({
      playbook: join(dir, 'play.yml'),
      inventory: [join(dir, 'hosts.yml')],
      rolesPath: [join(root, 'roles')],
      extraVars: { nova_version: '27.1.0-1+standin', nova_keystone_url: `http://127.0.0.1:${port}`, nova_keystone_password: password, nova_keystone_endpoint_url: VIP_URL },
      onEvent: (e) => events.push(e),
    });
    return { result, events };
  }

  async function endpoints(): Promise<Record<string, string>> {
    const auth = await call(port, 'POST', '/v3/auth/tokens', {}, { auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password: 's3cr3t-pass' } } } } });
    const list = await call(port, 'GET', '/v3/endpoints?service_id=svc-compute', { 'X-Auth-Token': String(auth.headers['x-subject-token']) });
    return Object.fromEntries((list.json.endpoints as { interface: string; url: string }[]).map((e) => [e.interface, e.url]));
  }

  it('points the public and internal endpoints at the VIP, then changes nothing', async () => {
    const first = await run('s3cr3t-pass');
    expect(first.result.exitCode).to.equal(0);
    expect(first.result.stats.ctl!.changed).to.equal(1);
    expect(await endpoints()).to.deep.equal({ public: VIP_URL, internal: VIP_URL, admin: 'http://controller:8774/v2.1' });
    const second = await run('s3cr3t-pass');
    expect(second.result.exitCode).to.equal(0);
    expect(second.result.stats.ctl!.changed).to.equal(0);
  });

  it('fails on a wrong password, saying so, and never shows the password', async () => {
    const { result, events } = await run('wrong-pass-123');
    expect(result.exitCode).to.equal(2);
    const text = JSON.stringify(events);
    expect(text).to.not.include('wrong-pass-123');
    expect(text).to.match(/censored|no_log/);
  });
});

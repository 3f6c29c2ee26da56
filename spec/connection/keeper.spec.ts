import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, promises as fs, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConnectionPool } from '../../lib/connection/index.js';
import { keeperSocketPath, type PersistOptions } from '../../lib/connection/kept.js';
import type { ConnectionSettings, SshOptions } from '../../lib/connection/settings.js';
import { CommandStoppedError, ConnectionError } from '../../lib/connection/types.js';
import { persistOptions } from '../../lib/cli/run.js';
import { ProblemError } from '../../lib/source/index.js';
import { makeKey, signal, sleep, startSshd, type Sshd } from './sshd.js';

/** PIDs of the processes whose command line names `needle` (a path unique to this test), from /proc. */
function pidsNaming(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) found.push(Number(entry));
    } catch {
      // ended while we looked
    }
  }
  return found;
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await sleep(50);
  return check();
}

describe('connection keeper: SSH connections kept between runs (ControlPersist)', function () {
  this.timeout(30_000);
  let dir: string;
  let key: string;
  let sshd: Sshd;
  let knownHosts: string;
  const savedRuntimeDir = process.env.XDG_RUNTIME_DIR;
  const persist: PersistOptions = { command: [process.execPath, 'dist/connection/keeper-main.js'], idleMs: 20_000 };
  const options = (extra: Partial<SshOptions> = {}): SshOptions => ({ knownHostsFile: knownHosts, sshConfigFile: '', agentSocket: '', env: {}, persist, ...extra });
  const settings = (): ConnectionSettings => ({ ansible_host: '127.0.0.1', ansible_port: sshd.port, ansible_user: 'root', ansible_ssh_private_key_file: key });
  const logins = (): number => (sshd.log().match(/Accepted publickey/g) ?? []).length;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'typebook-keeper-'));
    key = path.join(dir, 'id_client');
    sshd = await startSshd(dir, 'sshd', `${makeKey(key)}\n`);
    knownHosts = path.join(dir, 'known_hosts');
    await fs.writeFile(knownHosts, `[127.0.0.1]:${sshd.port} ${sshd.hostKeyPub}\n`);
    // a runtime directory of this suite's own: its keepers are this suite's
    process.env.XDG_RUNTIME_DIR = path.join(dir, 'run');
    mkdirSync(process.env.XDG_RUNTIME_DIR, { mode: 0o700 });
  });

  after(async () => {
    signal(pidsNaming(path.join(dir, 'run')), 'SIGKILL');
    if (savedRuntimeDir === undefined) delete process.env.XDG_RUNTIME_DIR;
    else process.env.XDG_RUNTIME_DIR = savedRuntimeDir;
    await sshd?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a second run reuses the first run\'s connection: no new SSH login, the same results', async () => {
    const before = logins();
    const first = new ConnectionPool(options());
    const data = randomBytes(100_000);
    const r1 = await first.get('web1', settings()).run({ shell: 'sha256sum; printf "%s" "$X"; pwd; exit 3' }, { stdin: data, env: { X: 'x y' }, cwd: '/tmp' });
    await first.closeAll();
    const second = new ConnectionPool(options());
    const r2 = await second.get('web1', settings()).run({ shell: 'sha256sum; printf "%s" "$X"; pwd; exit 3' }, { stdin: data, env: { X: 'x y' }, cwd: '/tmp' });
    await second.closeAll();
    expect(r2).to.deep.equal(r1);
    expect(r1.rc).to.equal(3);
    expect(r1.stdout).to.match(/^[0-9a-f]{64} {2}-\nx y\/tmp\n$/);
    expect(logins() - before, 'one login for both runs').to.equal(1);
    expect(pidsNaming(path.join(dir, 'run'))).to.have.length(1);
  });

  it('keeps the errors a run sees: timeout, interruption, become, unreachable', async () => {
    const pool = new ConnectionPool(options());
    const c = pool.get('web1', settings());
    const timeout = await c.run({ argv: ['sleep', '20.5'] }, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(timeout).to.be.instanceOf(ConnectionError);
    expect((timeout as ConnectionError).kind).to.equal('timeout');
    const abort = new AbortController();
    setTimeout(() => abort.abort('interrupted by the test'), 300);
    const stopped = await c.run({ argv: ['sleep', '20.75'] }, { signal: abort.signal }).catch((e: unknown) => e);
    expect(stopped).to.be.instanceOf(CommandStoppedError);
    expect((stopped as Error).message).to.contain('interrupted by the test');
    expect(await until(() => pidsNaming('20.5').length + pidsNaming('20.75').length === 0, 5000), 'the remote commands were killed').to.equal(true);
    expect((await c.run({ argv: ['id', '-un'] }, { become: { user: 'nobody' } })).stdout).to.equal('nobody\n');
    const nowhere = pool.get('web2', { ...settings(), ansible_port: 1 });
    const refused = await nowhere.run({ argv: ['true'] }).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(ConnectionError);
    expect((refused as ConnectionError).kind).to.equal('refused');
    await pool.closeAll();
  });

  it('reaches a Unix socket on the host through the keeper', async () => {
    const socketPath = path.join(dir, 'api.sock');
    const server = net.createServer((s) => s.on('data', (d) => s.end(`answer to ${d.toString()}`)));
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    const pool = new ConnectionPool(options());
    const stream = await pool.get('web1', settings()).openUnixSocket(socketPath);
    stream.write('show stat\n');
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      stream.on('data', (d: Buffer) => (text += d.toString()));
      stream.on('end', () => resolve(text));
    });
    expect(answer).to.equal('answer to show stat\n');
    await pool.closeAll();
    server.close();
  });

  it('a run killed in mid-command leaves nothing running on the host', async () => {
    const marker = path.join(dir, `killed-${process.hrtime.bigint()}`);
    const script = `
      import { ConnectionPool } from './lib/connection/index.js';
      const pool = new ConnectionPool(${JSON.stringify(options())});
      await pool.get('web1', ${JSON.stringify(settings())}).run({ shell: 'touch ${marker}; exec sleep 21.25' });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'ignore', env: process.env });
    expect(await until(() => existsSync(marker), 10_000), 'the command started').to.equal(true);
    child.kill('SIGKILL');
    expect(await until(() => pidsNaming('21.25').length === 0, 5000), 'the remote command ended with the run').to.equal(true);
  });

  it('is set by TYPEBOOK_PERSIST: seconds, 60 by default, 0 for none', () => {
    expect(persistOptions(undefined).persist?.idleMs).to.equal(60_000);
    expect(persistOptions('5').persist?.idleMs).to.equal(5000);
    expect(persistOptions('0')).to.deep.equal({});
    expect(() => persistOptions('soon')).to.throw(ProblemError);
  });

  it('ends by itself once idle, and is not used where its directory is not private', async () => {
    const short: PersistOptions = { ...persist, idleMs: 600 };
    const pool = new ConnectionPool(options({ persist: short }));
    expect((await pool.get('web1', settings()).run({ argv: ['echo', 'ok'] })).stdout).to.equal('ok\n');
    await pool.closeAll();
    const socket = keeperSocketPath(short) as string;
    expect(existsSync(socket)).to.equal(true);
    expect(await until(() => !existsSync(socket), 5000), 'the idle keeper removed its socket').to.equal(true);

    const open = path.join(dir, 'open');
    mkdirSync(path.join(open, `typebook-${process.getuid?.() ?? 0}`), { recursive: true });
    chmodSync(path.join(open, `typebook-${process.getuid?.() ?? 0}`), 0o777);
    process.env.XDG_RUNTIME_DIR = open;
    try {
      expect(keeperSocketPath(persist)).to.equal(undefined);
    } finally {
      process.env.XDG_RUNTIME_DIR = path.join(dir, 'run');
    }
  });
});

import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { HostOperationError } from '../../lib/connection/files.js';
import { ConnectionPool, createConnection } from '../../lib/connection/index.js';
import type { ConnectionSettings, SshOptions } from '../../lib/connection/settings.js';
import { SshConnection } from '../../lib/connection/ssh.js';
import { ConnectionError } from '../../lib/connection/types.js';
import { descendantsOf, freePort, makeKey, opensshFingerprint, signal, sleep, startSshd, type Sshd } from './sshd.js';

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure, got success');
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString()));
    stream.on('error', reject);
  });
}

describe('SshConnection against a real sshd on 127.0.0.1', function () {
  this.timeout(30_000);
  let dir: string;
  let key: string;
  let encryptedKey: string;
  let wrongKey: string;
  let sshd: Sshd;
  let noForwardSshd: Sshd;
  let knownHosts: string;
  const open: SshConnection[] = [];

  const baseOptions = (): SshOptions => ({ knownHostsFile: knownHosts, sshConfigFile: '', agentSocket: '', env: {}, keepaliveIntervalMs: 1000 });
  const settingsFor = (server: Sshd, extra: ConnectionSettings = {}): ConnectionSettings => ({
    ansible_host: '127.0.0.1', ansible_port: server.port, ansible_user: 'root', ansible_ssh_private_key_file: key, ...extra,
  });
  const connect = (server: Sshd, extra: ConnectionSettings = {}, options: SshOptions = {}): SshConnection => {
    const c = new SshConnection('web1', settingsFor(server, extra), { ...baseOptions(), ...options });
    open.push(c);
    return c;
  };

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'typebook-ssh-'));
    key = path.join(dir, 'id_client');
    encryptedKey = path.join(dir, 'id_encrypted');
    wrongKey = path.join(dir, 'id_wrong');
    const authorized = `${makeKey(key)}\n${makeKey(encryptedKey, 'open sesame')}\n`;
    makeKey(wrongKey);
    sshd = await startSshd(dir, 'sshd', authorized);
    noForwardSshd = await startSshd(dir, 'sshd-noforward', authorized, ['AllowStreamLocalForwarding no', 'AllowTcpForwarding no']);
    knownHosts = path.join(dir, 'known_hosts');
    await fs.writeFile(knownHosts, [
      '# test hosts',
      `[127.0.0.1]:${sshd.port} ${sshd.hostKeyPub}`,
      `[127.0.0.1]:${noForwardSshd.port} ${noForwardSshd.hostKeyPub}`,
      '',
    ].join('\n'));
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });

  after(async () => {
    await sshd?.stop();
    await noForwardSshd?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  for (const executor of [true, false]) describe(executor ? 'run, through the host\'s executor' : 'run, one SSH session per command', () => {
    const connectRun = (server: Sshd): SshConnection => connect(server, {}, { executor });

    it('passes argv with quotes, spaces, newlines and empty arguments exactly', async () => {
      const c = connectRun(sshd);
      const odd = ["it's", 'a b', '$HOME', '`id`', 'two\nlines', '', '; rm -rf /tmp/nothing', '*'];
      const r = await c.run({ argv: ['printf', '%s|', ...odd] });
      expect(r).to.deep.equal({ rc: 0, stdout: `${odd.join('|')}|`, stderr: '' });
    });

    it('runs a shell string with exit codes and untrimmed output on both streams', async () => {
      const c = connectRun(sshd);
      const r = await c.run({ shell: 'printf "\\n  a  \\n\\n"; printf " e \\n" >&2; exit 42' });
      expect(r).to.deep.equal({ rc: 42, stdout: '\n  a  \n\n', stderr: ' e \n' });
    });

    it('reports an exit by signal as 128 + its number', async () => {
      const c = connectRun(sshd);
      expect((await c.run({ shell: 'kill -KILL $$' })).rc).to.equal(128 + 9);
    });

    it('streams stdin, binary included', async () => {
      const c = connectRun(sshd);
      const data = randomBytes(200_000);
      const r = await c.run({ shell: 'sha256sum | cut -d" " -f1' }, { stdin: data });
      expect(r.stdout.trim()).to.equal(execFileSync('sha256sum', { input: data }).toString().split(' ')[0]);
    });

    it('exports env values with odd characters, and runs in cwd', async () => {
      const c = connectRun(sshd);
      const value = `x 'y' "z" $w \`v\` \\ \n;|&`;
      const r = await c.run({ shell: 'printf %s "$ODD"; pwd' }, { env: { ODD: value }, cwd: dir });
      expect(r.stdout).to.equal(`${value}${dir}\n`);
    });

    it('sends env values on stdin, never on the command line (ps shows it to every user), the command\'s input intact', async () => {
      const c = connectRun(sshd);
      // under become, sudo's command line (the script) stays visible for as long as the command runs: its parent's
      const r = await c.run({ shell: 'tr "\\0" " " < /proc/$PPID/cmdline; printf "\\n--\\n%s" "$SECRET"; cat' }, { env: { SECRET: 'pa55-word' }, stdin: 'input\n', become: { user: 'nobody' } });
      const [cmdline, rest] = r.stdout.split('\n--\n') as [string, string];
      expect(rest).to.equal('pa55-wordinput\n');
      expect(cmdline).to.match(executor ? /^python3 -c [\s\S]*typebook-executor/ : /^sudo [\s\S]*TYPEBOOK-START/);
      expect(cmdline).to.not.contain('pa55-word');
    });

    it('becomes another user with sudo', async () => {
      const c = connectRun(sshd);
      const r = await c.run({ argv: ['id', '-un'] }, { become: { user: 'nobody' } });
      expect(r).to.deep.equal({ rc: 0, stdout: 'nobody\n', stderr: '' });
    });

    it('times out: kind timeout, and the connection stays usable', async () => {
      const c = connectRun(sshd);
      const error = await failure(c.run({ argv: ['sleep', '31.25'] }, { timeoutMs: 300 }));
      expect(error).to.be.instanceOf(ConnectionError);
      expect((error as ConnectionError).kind).to.equal('timeout');
      // the remote command is killed too, not left running in its session
      const running = async (): Promise<boolean> => {
        for (const entry of await fs.readdir('/proc')) {
          if (!/^\d+$/.test(entry)) continue;
          const cmdline = await fs.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
          if (cmdline === 'sleep\u000031.25\u0000') return true;
        }
        return false;
      };
      let still = await running();
      for (let i = 0; i < 50 && still; i += 1) {
        await sleep(50);
        still = await running();
      }
      expect(still, 'remote sleep killed').to.equal(false);
      expect((await c.run({ argv: ['echo', 'ok'] })).stdout).to.equal('ok\n');
    });

    it('runs many commands at once beyond the channel bound (sshd MaxSessions 10) on one connection', async () => {
      const c = connectRun(sshd);
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => c.run({ shell: `sleep 0.1; echo ${i}` })));
      expect(results.map((r) => r.stdout)).to.deep.equal(Array.from({ length: 40 }, (_, i) => `${i}\n`));
      expect(c.roundTrips, 'one request each (and for sessions, a retry when sshd had not yet freed a closed one)').to.be.at.least(40);
    });

    if (executor) it('keeps one session for all commands where python3 runs, and a session per command where it does not', async () => {
      const c = connectRun(sshd);
      for (let i = 0; i < 3; i += 1) expect((await c.run({ argv: ['echo', String(i)] })).stdout).to.equal(`${i}\n`);
      expect(c.roundTrips, 'one message per command (the executor starts as part of connecting)').to.equal(3);
      const without = connect(sshd, { ansible_python_interpreter: '/nonexistent/python3' }, { executor });
      for (let i = 0; i < 3; i += 1) expect((await without.run({ argv: ['echo', String(i)] })).stdout).to.equal(`${i}\n`);
      expect(without.roundTrips, 'a session per command').to.equal(3);
    });
  });

  describe('unix sockets', () => {
    let server: net.Server;
    let socketPath: string;
    before(async () => {
      socketPath = path.join(dir, 'haproxy.sock');
      server = net.createServer((s) => s.on('data', (d) => s.end(`answer to ${d.toString()}`)));
      await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    });
    after(() => {
      server.close();
    });

    it('opens a stream over the SSH connection (stream-local forwarding)', async () => {
      const c = connect(sshd);
      await c.connect();
      const before = c.roundTrips;
      const stream = await c.openUnixSocket(socketPath);
      expect(c.roundTrips - before).to.equal(1);
      stream.write('show stat\n');
      expect(await readAll(stream)).to.equal('answer to show stat\n');
    });

    it('falls back to socat on the host when sshd forbids forwarding', async () => {
      const c = connect(noForwardSshd);
      await c.connect();
      const before = c.roundTrips;
      const stream = await c.openUnixSocket(socketPath);
      expect(c.roundTrips - before, 'a refused forward, then one exec of socat').to.equal(2);
      stream.write('show info\n');
      expect(await readAll(stream)).to.equal('answer to show info\n');
      const again = c.roundTrips;
      const second = await c.openUnixSocket(socketPath);
      expect(c.roundTrips - again, 'the refusal is remembered: socat straight away').to.equal(1);
      second.write('x');
      expect(await readAll(second)).to.equal('answer to x');
    });

    it('fails clearly through socat when nothing listens', async () => {
      const c = connect(noForwardSshd);
      const error = await failure(c.openUnixSocket(path.join(dir, 'nothing.sock')));
      expect(error).to.be.instanceOf(HostOperationError);
      expect(error.message).to.contain('nothing.sock').and.to.contain('socat');
    });

    it('fails clearly when nothing listens on the socket', async () => {
      const c = connect(sshd);
      const error = await failure(c.openUnixSocket(path.join(dir, 'nothing.sock')));
      expect(error).to.be.instanceOf(HostOperationError);
      expect(error.message).to.contain('nothing.sock');
    });
  });

  describe('host keys', () => {
    it('fails an unknown host key with its SHA256 fingerprint as OpenSSH prints it', async () => {
      const empty = path.join(dir, 'known_hosts_empty');
      await fs.writeFile(empty, '');
      const c = connect(sshd, {}, { knownHostsFile: empty });
      const error = await failure(c.run({ argv: ['true'] }));
      expect(error).to.be.instanceOf(ConnectionError);
      expect((error as ConnectionError).kind).to.equal('hostkey');
      expect(error.message).to.contain(opensshFingerprint(path.join(dir, 'sshd', 'host_ed25519.pub')));
      expect(error.message).to.contain('unknown').and.to.contain(empty).and.to.contain(`port ${sshd.port}`);
    });

    it('fails a changed host key, naming the known_hosts file and line', async () => {
      const other = path.join(dir, 'other_host_key');
      const otherPub = makeKey(other);
      const changed = path.join(dir, 'known_hosts_changed');
      await fs.writeFile(changed, `# first line\n[127.0.0.1]:${sshd.port} ${otherPub}\n`);
      const c = connect(sshd, {}, { knownHostsFile: changed });
      const error = await failure(c.run({ argv: ['true'] }));
      expect((error as ConnectionError).kind).to.equal('hostkey');
      expect(error.message).to.contain('CHANGED').and.to.contain(`${changed}:2`);
      expect(error.message).to.contain(opensshFingerprint(path.join(dir, 'sshd', 'host_ed25519.pub')));
      // turning checking off accepts unknown keys only: a changed one is refused still (as accept-new)
      for (const off of [{ hostKeyChecking: false }, { env: { ANSIBLE_HOST_KEY_CHECKING: 'False' } }]) {
        const unchecked = await failure(connect(sshd, {}, { knownHostsFile: changed, ...off }).run({ argv: ['true'] }));
        expect(unchecked.message).to.contain('CHANGED');
      }
    });

    it('refuses a private key that others can read, as OpenSSH does', async () => {
      const loose = path.join(dir, 'id_loose');
      await fs.copyFile(key, loose);
      await fs.chmod(loose, 0o644);
      const error = await failure(connect(sshd, { ansible_ssh_private_key_file: loose }).connect());
      expect((error as ConnectionError).kind).to.equal('auth');
      expect(error.message).to.contain(`private key ${loose} is readable by others (mode 0644)`);
    });

    it('refuses a key marked @revoked', async () => {
      const revoked = path.join(dir, 'known_hosts_revoked');
      await fs.writeFile(revoked, `@revoked [127.0.0.1]:${sshd.port} ${sshd.hostKeyPub}\n[127.0.0.1]:${sshd.port} ${sshd.hostKeyPub}\n`);
      const error = await failure(connect(sshd, {}, { knownHostsFile: revoked }).connect());
      expect((error as ConnectionError).kind).to.equal('hostkey');
      expect(error.message).to.contain('@revoked');
    });

    it('accepts hashed known_hosts entries (as ssh-keygen -H writes them)', async () => {
      const hashed = path.join(dir, 'known_hosts_hashed');
      await fs.writeFile(hashed, `[127.0.0.1]:${sshd.port} ${sshd.hostKeyPub}\n`);
      execFileSync('ssh-keygen', ['-H', '-f', hashed], { stdio: 'ignore' });
      expect(await fs.readFile(hashed, 'utf8')).to.match(/^\|1\|/);
      expect((await connect(sshd, {}, { knownHostsFile: hashed }).run({ argv: ['echo', 'hi'] })).stdout).to.equal('hi\n');
    });

    it('connects to an unknown host when checking is turned off explicitly', async () => {
      const empty = path.join(dir, 'known_hosts_empty2');
      await fs.writeFile(empty, '');
      expect((await connect(sshd, {}, { knownHostsFile: empty, hostKeyChecking: false }).run({ argv: ['true'] })).rc).to.equal(0);
      const viaArgs = connect(sshd, { ansible_ssh_common_args: `-o StrictHostKeyChecking=no -o UserKnownHostsFile=${empty}` },
        { knownHostsFile: undefined });
      expect((await viaArgs.run({ argv: ['true'] })).rc).to.equal(0);
      const viaEnv = connect(sshd, {}, { knownHostsFile: empty, env: { ANSIBLE_HOST_KEY_CHECKING: 'False' } });
      expect((await viaEnv.run({ argv: ['true'] })).rc).to.equal(0);
    });

    it('records an unknown key with StrictHostKeyChecking=accept-new', async () => {
      const fresh = path.join(dir, 'known_hosts_new');
      const c = connect(sshd, { ansible_ssh_common_args: `-o StrictHostKeyChecking=accept-new -o "UserKnownHostsFile ${fresh}"` },
        { knownHostsFile: undefined });
      expect((await c.run({ argv: ['true'] })).rc).to.equal(0);
      // OpenSSH itself finds the recorded key
      const found = execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${sshd.port}`, '-f', fresh], { encoding: 'utf8' });
      expect(found).to.contain(sshd.hostKeyPub.split(' ')[1]);
    });
  });

  describe('authentication and failures', () => {
    it('fails a wrong key with kind auth, naming the key tried', async () => {
      const error = await failure(connect(sshd, { ansible_ssh_private_key_file: wrongKey }).connect());
      expect((error as ConnectionError).kind).to.equal('auth');
      expect(error.message).to.contain(wrongKey).and.to.contain('127.0.0.1').and.to.contain(String(sshd.port));
    });

    it('uses an encrypted key with its passphrase (option or TYPEBOOK_SSH_PASSPHRASE)', async () => {
      const viaOption = connect(sshd, { ansible_ssh_private_key_file: encryptedKey }, { passphrase: 'open sesame' });
      expect((await viaOption.run({ argv: ['echo', 'in'] })).stdout).to.equal('in\n');
      const viaEnv = connect(sshd, { ansible_ssh_private_key_file: encryptedKey }, { env: { TYPEBOOK_SSH_PASSPHRASE: 'open sesame' } });
      expect((await viaEnv.run({ argv: ['true'] })).rc).to.equal(0);
      let asked = '';
      const viaPrompt = connect(sshd, { ansible_ssh_private_key_file: encryptedKey }, {
        promptPassphrase: async (file) => {
          asked = file;
          return 'open sesame';
        },
      });
      expect((await viaPrompt.run({ argv: ['true'] })).rc).to.equal(0);
      expect(asked).to.equal(encryptedKey);
    });

    it('says plainly when an encrypted key has no or a wrong passphrase', async () => {
      const none = await failure(connect(sshd, { ansible_ssh_private_key_file: encryptedKey }).connect());
      expect((none as ConnectionError).kind).to.equal('auth');
      expect(none.message).to.contain('encrypted').and.to.contain('TYPEBOOK_SSH_PASSPHRASE');
      const wrong = await failure(connect(sshd, { ansible_ssh_private_key_file: encryptedKey }, { passphrase: 'nope' }).connect());
      expect(wrong.message).to.contain('wrong passphrase');
    });

    it('fails with kind refused when nothing listens', async () => {
      const port = await freePort();
      const c = new SshConnection('db1', { ansible_host: '127.0.0.1', ansible_port: port, ansible_user: 'root', ansible_ssh_private_key_file: key }, baseOptions());
      const error = await failure(c.connect());
      expect((error as ConnectionError).kind).to.equal('refused');
      expect(error.message).to.contain('db1').and.to.contain(`127.0.0.1 port ${port}`).and.to.contain('refused');
    });

    it('fails a command with kind lost when the sshd serving it is killed', async () => {
      const c = connect(sshd);
      await c.connect();
      const pending = c.run({ argv: ['sleep', '25'] });
      await sleep(300);
      signal(descendantsOf(sshd.pid), 'SIGKILL');
      const error = await failure(pending);
      expect((error as ConnectionError).kind).to.equal('lost');
      expect(error.message).to.contain('web1');
      // the next command reconnects
      expect((await c.run({ argv: ['echo', 'back'] })).stdout).to.equal('back\n');
    });

    it('kills a command whose session ended (the connection closed under it): nothing is left running', async function () {
      this.timeout(15_000);
      const c = connect(sshd);
      const pidFile = path.join(dir, `orphan-${process.hrtime.bigint()}`);
      const pending = c.run({ shell: `echo $$ > ${pidFile}; exec sleep 30` }).catch((error: unknown) => error);
      const deadline = Date.now() + 5000;
      while (!(await fs.readFile(pidFile, 'utf8').catch(() => '')).endsWith('\n') && Date.now() < deadline) await sleep(20);
      const pid = Number(await fs.readFile(pidFile, 'utf8'));
      expect(pid).to.be.above(1);
      await c.close();
      await pending;
      const alive = (): boolean => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      const end = Date.now() + 5000;
      while (alive() && Date.now() < end) await sleep(50);
      expect(alive(), 'the command outlived its session').to.equal(false);
    });

    it('fails a command with kind lost within a bounded time when the host stops answering (keepalive)', async function () {
      this.timeout(15_000);
      const c = connect(sshd, {}, { keepaliveIntervalMs: 200, keepaliveCountMax: 2 });
      await c.connect();
      const pending = c.run({ argv: ['sleep', '25'] });
      await sleep(300);
      const session = descendantsOf(sshd.pid);
      signal(session, 'SIGSTOP');
      try {
        const error = await failure(pending);
        expect((error as ConnectionError).kind).to.equal('lost');
        expect(error.message).to.contain('keepalive');
      } finally {
        signal(session, 'SIGKILL');
        signal(session, 'SIGCONT');
      }
    });
  });

  describe('jump host', () => {
    it('goes through a ProxyJump given in ansible_ssh_common_args (-o ProxyJump and -J)', async () => {
      const viaO = connect(sshd, { ansible_ssh_common_args: `-o ProxyJump=root@127.0.0.1:${sshd.port} -o IdentityFile=${key}` });
      expect((await viaO.run({ argv: ['echo', 'jumped'] })).stdout).to.equal('jumped\n');
      const viaJ = connect(sshd, { ansible_ssh_common_args: `-J 'root@127.0.0.1:${sshd.port}'` });
      expect((await viaJ.run({ argv: ['echo', 'jumped'] })).stdout).to.equal('jumped\n');
    });

    it('really uses the jump host: one that forbids forwarding fails the connection', async () => {
      const c = connect(sshd, { ansible_ssh_common_args: `-J root@127.0.0.1:${noForwardSshd.port}` });
      const error = await failure(c.connect());
      expect(error).to.be.instanceOf(ConnectionError);
      expect(error.message).to.contain('jump host').and.to.contain(String(noForwardSshd.port));
    });

    it('takes the jump host from ~/.ssh/config', async () => {
      const config = path.join(dir, 'ssh_config');
      writeFileSync(config, `Host target\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  ProxyJump bastion\n\nHost bastion\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User root\n`);
      const c = new SshConnection('web9', { ansible_host: 'target', ansible_user: 'root', ansible_ssh_private_key_file: key }, { ...baseOptions(), sshConfigFile: config });
      open.push(c);
      expect(c.target.jumps).to.deep.equal([{ address: '127.0.0.1', port: sshd.port, user: 'root' }]);
      expect((await c.run({ argv: ['echo', 'via config'] })).stdout).to.equal('via config\n');
    });
  });

  describe('factory and pool', () => {
    it('keeps one connection per host and login settings, and closes them all', async () => {
      const pool = new ConnectionPool(baseOptions());
      const a = pool.get('web1', settingsFor(sshd));
      expect(pool.get('web1', settingsFor(sshd))).to.equal(a);
      // become is per command: the same connection
      expect(pool.get('web1', { ...settingsFor(sshd), ansible_become_user: 'postgres', ansible_become_password: 'x' })).to.equal(a);
      // a play that logs in as another user gets its own
      expect(pool.get('web1', { ...settingsFor(sshd), ansible_user: 'nobody' })).to.not.equal(a);
      const local = pool.get('ctl', { ansible_connection: 'local' });
      await Promise.all([a.run({ argv: ['true'] }), a.run({ argv: ['true'] }), local.run({ argv: ['true'] })]);
      expect(pool.roundTrips()).to.deep.equal(new Map([['web1', 2], ['ctl', 1]]));
      await pool.closeAll();
    });

    it('rejects an unknown ansible_connection', () => {
      expect(() => createConnection('x', { ansible_connection: 'winrm' })).to.throw(ConnectionError, /winrm/);
    });
  });
});

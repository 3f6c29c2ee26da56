import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { HostOperationError } from '../../lib/connection/files.js';
import { LocalConnection } from '../../lib/connection/local.js';
import { ConnectionError } from '../../lib/connection/types.js';

describe('LocalConnection', () => {
  const conn = new LocalConnection('here');
  let dir: string;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'typebook-local-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  describe('run', () => {
    it('runs an argv without a shell: arguments arrive exactly', async () => {
      const odd = ["it's", 'a b', '$HOME', '`x`', 'line\nbreak', ''];
      const r = await conn.run({ argv: ['printf', '%s|', ...odd] });
      expect(r).to.deep.equal({ rc: 0, stdout: `${odd.join('|')}|`, stderr: '' });
    });

    it('runs a shell string, with untrimmed output and the exit code', async () => {
      const r = await conn.run({ shell: 'printf "  out\\n\\n"; printf "err\\n" >&2; exit 3' });
      expect(r).to.deep.equal({ rc: 3, stdout: '  out\n\n', stderr: 'err\n' });
    });

    it('feeds stdin', async () => {
      const data = 'first\nsecond\n\n';
      expect((await conn.run({ argv: ['cat'] }, { stdin: data })).stdout).to.equal(data);
      const bytes = new Uint8Array([0, 1, 2, 255]);
      expect((await conn.run({ shell: 'wc -c' }, { stdin: bytes })).stdout.trim()).to.equal('4');
    });

    it('passes env values with odd characters, and cwd', async () => {
      const value = `a 'b' "c" $d \`e\` \\ \n end`;
      const r = await conn.run({ shell: 'printf %s "$ODD"; pwd' }, { env: { ODD: value }, cwd: dir });
      expect(r.stdout).to.equal(`${value}${await fs.realpath(dir)}\n`);
    });

    it('keeps typebook\'s SSH key passphrase from local commands', async () => {
      process.env.TYPEBOOK_SSH_PASSPHRASE = 'open sesame';
      try {
        expect((await conn.run({ shell: 'echo "[$TYPEBOOK_SSH_PASSPHRASE]"' })).stdout).to.equal('[]\n');
        expect((await conn.run({ shell: 'echo "[$TYPEBOOK_SSH_PASSPHRASE]"' }, { become: { user: 'root' } })).stdout).to.equal('[]\n');
      } finally {
        delete process.env.TYPEBOOK_SSH_PASSPHRASE;
      }
    });

    it('rejects an invalid environment variable name', async () => {
      let error: unknown;
      try {
        await conn.run({ argv: ['true'] }, { env: { 'A-B': 'x' } });
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(TypeError);
    });

    it('reports a missing program as rc 127 and a missing cwd as a failed cd', async () => {
      const missing = await conn.run({ argv: ['/nonexistent/program'] });
      expect(missing.rc).to.equal(127);
      const nocwd = await conn.run({ argv: ['true'] }, { cwd: path.join(dir, 'nope') });
      expect(nocwd.rc).to.not.equal(0);
      expect(nocwd.stderr).to.contain('nope');
    });

    it('reports a process killed by a signal as 128 + the signal number', async () => {
      const r = await conn.run({ shell: 'kill -TERM $$' });
      expect(r.rc).to.equal(128 + 15);
    });

    it('kills the whole process group on timeout and fails with kind timeout', async () => {
      const pidFile = path.join(dir, 'child.pid');
      let error: unknown;
      try {
        await conn.run({ shell: `sleep 30 & echo $! > ${pidFile}; wait` }, { timeoutMs: 300 });
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(ConnectionError);
      expect((error as ConnectionError).kind).to.equal('timeout');
      const childPid = Number(await fs.readFile(pidFile, 'utf8'));
      // dead: gone, or a zombie waiting for init to reap it
      const isAlive = async (): Promise<boolean> => {
        const stat = await fs.readFile(`/proc/${childPid}/stat`, 'utf8').catch(() => '');
        return stat !== '' && !/^\d+ \(.*\) Z/.test(stat);
      };
      let alive = await isAlive();
      for (let i = 0; i < 50 && alive; i += 1) {
        await new Promise((r) => setTimeout(r, 20));
        alive = await isAlive();
      }
      expect(alive, 'the background child of the timed-out command is killed').to.equal(false);
    });

    it('becomes another user with sudo (cwd and env inside the privileged shell)', async () => {
      const r = await conn.run({ shell: 'id -un; pwd; printf %s "$X"' }, { become: { user: 'nobody' }, cwd: '/', env: { X: "y'z" } });
      expect(r).to.deep.equal({ rc: 0, stdout: "nobody\n/\ny'z", stderr: '' });
    });

    it('becomes with su, and feeds stdin after the privileges are gained', async () => {
      const r = await conn.run({ shell: 'id -un; cat' }, { become: { method: 'su', user: 'root' }, stdin: 'in\n' });
      expect(r).to.deep.equal({ rc: 0, stdout: 'root\nin\n', stderr: '' });
    });

    it('with a password sudo does not ask for, the password never reaches the command', async () => {
      const r = await conn.run({ argv: ['cat'] }, { become: { password: 's3cret' }, stdin: 'data' });
      expect(r.stdout).to.equal('data');
    });

    it('fails with kind become when sudo cannot become the user, without showing the password', async () => {
      let error: unknown;
      try {
        await conn.run({ argv: ['true'] }, { become: { user: 'no-such-user-typebook', password: 'hunter2' } });
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(ConnectionError);
      expect((error as ConnectionError).kind).to.equal('become');
      expect((error as Error).message).to.contain('no-such-user-typebook');
      expect((error as Error).message).to.not.contain('hunter2');
    });
  });

  describe('openUnixSocket', () => {
    it('opens a stream to a unix socket', async () => {
      const socketPath = path.join(dir, 's.sock');
      const server = net.createServer((s) => s.on('data', (d) => s.end(`echo:${d.toString()}`)));
      await new Promise<void>((resolve) => server.listen(socketPath, resolve));
      try {
        const stream = await conn.openUnixSocket(socketPath);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.write('show info\n');
        await new Promise((resolve) => stream.on('end', resolve));
        expect(Buffer.concat(chunks).toString()).to.equal('echo:show info\n');
      } finally {
        server.close();
      }
    });

    it('fails clearly when nothing listens', async () => {
      let error: unknown;
      try {
        await conn.openUnixSocket(path.join(dir, 'none.sock'));
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(HostOperationError);
      expect((error as Error).message).to.contain('none.sock');
    });
  });
});

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { buildInvocation, drive, type Invocation, type ProcessHandle } from '../../lib/connection/command.js';
import { ConnectionError } from '../../lib/connection/types.js';

/** Runs `script` as a stand-in for sudo -S: it prints the invocation's prompt on stderr and reads the password. */
function fakeSudo(invocation: Invocation, script: string): ProcessHandle {
  const child = spawn('/bin/sh', ['-c', script, 'fake-sudo', invocation.passwordPrompt ?? '', invocation.startMarker ?? ''], { stdio: 'pipe' });
  return {
    stdin: child.stdin, stdout: child.stdout, stderr: child.stderr,
    done: new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal }))),
    kill: () => child.kill('SIGKILL'),
  };
}

const SUDO = `printf '%s' "$1" >&2
IFS= read -r pw
while [ "$pw" != good ]; do echo 'Sorry, try again.' >&2; printf '%s' "$1" >&2; IFS= read -r pw || exit 1; done
echo "$2 $$"
cat`;

describe('become through sudo -S', () => {
  it('builds sudo -S with a prompt marker and never puts the password on the command line', () => {
    const inv = buildInvocation('h', { argv: ['id'] }, { become: { user: 'pg', password: 'hunter2' } });
    expect(inv.argv.slice(0, 4)).to.deep.equal(['sudo', '-H', '-S', '-p']);
    expect(inv.argv.join(' ')).to.not.contain('hunter2');
  });

  it('answers the prompt with the password, then sends stdin to the command only', async () => {
    const inv = buildInvocation('h', { argv: ['cat'] }, { become: { password: 'good' } });
    const r = await drive('h', fakeSudo(inv, SUDO), inv, { stdin: 'payload\n', what: 'h: cat' });
    expect(r.stdout.toString()).to.equal('payload\n');
    expect(r.stderr.toString()).to.equal('');
  });

  it('fails with kind become on a wrong password, without showing it', async () => {
    const inv = buildInvocation('h', { argv: ['cat'] }, { become: { password: 'bad-secret' } });
    let error: unknown;
    try {
      await drive('h', fakeSudo(inv, SUDO), inv, { stdin: 'payload', what: 'h: cat' });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ConnectionError);
    expect((error as ConnectionError).kind).to.equal('become');
    expect((error as Error).message).to.contain('incorrect sudo password').and.not.contain('bad-secret');
  });
});

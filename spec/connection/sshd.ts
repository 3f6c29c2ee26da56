/**
 * A real sshd for the tests: its own config, host key and authorized keys in a temp dir, listening on
 * 127.0.0.1 on a free high port, stopped by PID.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Makes an ed25519 key pair at `file` (and `file.pub`), encrypted when a passphrase is given. */
export function makeKey(file: string, passphrase = ''): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', path.basename(file), '-f', file]);
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

/** The SHA256 fingerprint of a public key file as OpenSSH's ssh-keygen prints it. */
export function opensshFingerprint(pubFile: string): string {
  const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubFile], { encoding: 'utf8' });
  return out.split(' ')[1] as string;
}

/** PIDs of every descendant of `pid`, from /proc. */
export function descendantsOf(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // the process ended while we looked
    }
  }
  const found: number[] = [];
  const walk = (p: number): void => {
    for (const [child, parent] of parents) {
      if (parent === p) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
}

export function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

export interface Sshd {
  port: number;
  pid: number;
  hostKeyPub: string;
  /** what sshd said on stderr so far */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts `/usr/sbin/sshd -D -e -f <config>` on a free port. `authorizedKeys` is the authorized_keys text;
 * `extra` adds config lines.
 */
export async function startSshd(dir: string, name: string, authorizedKeys: string, extra: string[] = []): Promise<Sshd> {
  // sshd refuses to start without its privilege separation directory
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const base = path.join(dir, name);
  mkdirSync(base, { recursive: true });
  const hostKey = path.join(base, 'host_ed25519');
  makeKey(hostKey);
  writeFileSync(path.join(base, 'authorized_keys'), authorizedKeys);
  const port = await freePort();
  const config = path.join(base, 'sshd_config');
  writeFileSync(config, [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKey}`,
    `AuthorizedKeysFile ${path.join(base, 'authorized_keys')}`,
    `PidFile ${path.join(base, 'sshd.pid')}`,
    'PermitRootLogin prohibit-password',
    'StrictModes no',
    'UsePAM no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    // bash sources ~/.bashrc for commands run by sshd unless SHLVL says it is nested; this machine's root
    // .bashrc runs pyenv rehash, which takes a lock: a session killed by a test would leave it and stall the rest
    'SetEnv SHLVL=1',
    ...extra,
    '',
  ].join('\n'));
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  const pid = child.pid as number;
  let up = false;
  for (let i = 0; i < 100 && !up && child.exitCode === null; i += 1) {
    up = await new Promise<boolean>((resolve) => {
      const s = net.createConnection(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (!up) await sleep(50);
  }
  if (!up) {
    signal([pid], 'SIGKILL');
    throw new Error(`sshd did not start on port ${port}: ${log}`);
  }
  return {
    port,
    pid,
    log: () => log,
    hostKeyPub: readFileSync(`${hostKey}.pub`, 'utf8').trim(),
    stop: async () => {
      const sessions = descendantsOf(pid);
      signal([pid], 'SIGTERM');
      signal(sessions, 'SIGCONT');
      signal(sessions, 'SIGKILL');
      for (let i = 0; i < 50 && child.exitCode === null && child.signalCode === null; i += 1) await sleep(20);
    },
  };
}

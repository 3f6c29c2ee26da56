/** The connection to this machine (`ansible_connection: local`): child processes and the file system. */
import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import {
  buildInvocation, checkEnvNames, commandLabel, drive, processCommand, toRunResult, type Invocation, type ProcessHandle, type RawResult,
} from './command.js';
import { HostOperationError } from './files.js';
import type { CommandSpec, Connection, RunOptions, RunResult } from './types.js';

/** util-linux's setpriv, to give local commands a parent-death signal (Linux); commands run without it elsewhere */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((candidate) => existsSync(candidate));

/** typebook's own environment minus its secrets (the SSH key passphrase): what a local task inherits */
function taskEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.TYPEBOOK_SSH_PASSPHRASE;
  return env;
}

export class LocalConnection implements Connection {
  readonly host: string;
  /** processes started (commands and name look-ups): the local counterpart of SSH round trips */
  private started = 0;

  constructor(host = 'localhost') {
    this.host = host;
  }

  get roundTrips(): number {
    return this.started;
  }

  async connect(): Promise<void> {
    // nothing to open: this machine is always reachable
  }

  async close(): Promise<void> {
    // nothing to close: every process ends with its command
  }

  async run(command: CommandSpec, options: RunOptions = {}): Promise<RunResult> {
    return toRunResult(await this.runRaw(command, options));
  }

  private runRaw(spec: CommandSpec, options: RunOptions): Promise<RawResult> {
    const what = `${this.host}: ${commandLabel(spec)}`;
    // every process here starts afresh: a Python program's stand-in, where it has one, starts faster than python3
    const command = processCommand(spec, undefined);
    if (options.become !== undefined) {
      // become needs sudo/su in front: the builder puts cwd and env inside the privileged shell
      const invocation = buildInvocation(this.host, command, options);
      return this.spawnAndDrive(invocation, { env: taskEnvironment() }, options, what);
    }
    checkEnvNames(options.env);
    const argv = 'argv' in command ? [...command.argv] : ['/bin/sh', '-c', command.shell];
    if (argv.length === 0) throw new TypeError('empty argv: nothing to run');
    const spawnOptions: { cwd?: string; env?: NodeJS.ProcessEnv } = { env: { ...taskEnvironment(), ...options.env } };
    if (options.cwd !== undefined) spawnOptions.cwd = options.cwd;
    return this.spawnAndDrive({ argv }, spawnOptions, options, what);
  }

  private async spawnAndDrive(
    invocation: Invocation, spawnOptions: { cwd?: string; env?: NodeJS.ProcessEnv }, options: RunOptions, what: string,
  ): Promise<RawResult> {
    if (spawnOptions.cwd !== undefined) {
      // spawn reports a missing cwd as ENOENT of the program: say what really is missing, as a shell's cd would
      const ok = await fs.stat(spawnOptions.cwd).then((s) => s.isDirectory(), () => false);
      if (!ok) return { rc: 2, stdout: Buffer.alloc(0), stderr: Buffer.from(`cd: ${spawnOptions.cwd}: No such directory\n`) };
    }
    this.started += 1;
    // the command dies with typebook even when typebook is killed outright (SIGKILL runs no handler of ours)
    const argv = SETPRIV !== undefined ? [SETPRIV, '--pdeathsig', 'TERM', '--', ...invocation.argv] : invocation.argv;
    const [file, ...args] = argv as [string, ...string[]];
    // detached: the child leads its own process group, so a timeout kills it and everything it started
    const child = spawn(file, args, { ...spawnOptions, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    let spawnError: NodeJS.ErrnoException | undefined;
    const done = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
      child.on('error', (error: NodeJS.ErrnoException) => {
        spawnError = error;
      });
      child.on('close', (code, signal) => resolve({ code, signal }));
    });
    const handle: ProcessHandle = {
      stdin: child.stdin,
      stdout: child.stdout,
      stderr: child.stderr,
      done,
      kill: () => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      },
    };
    const raw = await drive(this.host, handle, invocation, { stdin: options.stdin, timeoutMs: options.timeoutMs, signal: options.signal, maxOutputBytes: options.maxOutputBytes, what });
    if (spawnError !== undefined) {
      // as a shell reports a program it cannot run
      const rc = spawnError.code === 'ENOENT' ? 127 : 126;
      return { rc, stdout: Buffer.alloc(0), stderr: Buffer.from(`${file}: ${spawnError.message}\n`) };
    }
    return raw;
  }

  openUnixSocket(socketPath: string): Promise<Duplex> {
    return new Promise<Duplex>((resolve, reject) => {
      const socket = net.createConnection(socketPath);
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        reject(new HostOperationError(this.host, 'openUnixSocket', socketPath,
          `${this.host}: cannot connect to unix socket ${socketPath}: ${error.message}`, error.code));
      });
    });
  }

}

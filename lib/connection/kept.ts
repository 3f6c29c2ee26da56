/**
 * A run's side of the connection keeper (see keeper.ts): connections that live in the keeper, reached over
 * its Unix socket, the keeper started when none runs. Where the keeper cannot be used (its directory is not
 * private, it does not start), each connection falls back to its own SSH connection, as without persistence.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, statSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { commandLabel, interrupted } from './command.js';
import { deserializeError, onLines, type KeeperReply, type KeeperRequest, type KeptOptions, type WireRunOptions } from './keeper.js';
import type { ConnectionSettings, SshOptions } from './settings.js';
import { SshConnection } from './ssh.js';
import { ConnectionError, type CommandSpec, type Connection, type RunOptions, type RunResult } from './types.js';

export interface PersistOptions {
  /** the command that starts a keeper; the socket path and the idle time in ms are appended */
  command: readonly string[];
  idleMs: number;
}

/** The keeper's socket: in a directory of this user's only (as OpenSSH wants of a ControlPath), one per typebook build. */
export function keeperSocketPath(persist: PersistOptions): string | undefined {
  const uid = process.getuid?.() ?? 0;
  const dir = path.join(process.env.XDG_RUNTIME_DIR ?? os.tmpdir(), `typebook-${uid}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) return undefined;
  } catch {
    return undefined;
  }
  // another build of typebook, or another idle time, gets a keeper of its own: the command, its files' times
  const stamps = persist.command.map((part) => {
    try {
      return statSync(part).mtimeMs;
    } catch {
      return 0;
    }
  });
  const build = createHash('sha256').update(JSON.stringify([persist.command, stamps, persist.idleMs])).digest('hex').slice(0, 16);
  return path.join(dir, `keeper-${build}.sock`);
}

type Pending = { resolve: (reply: KeeperReply) => void; reject: (error: Error) => void };

/** One run's link to the keeper: one socket, every host's requests on it. */
export class KeeperLink {
  private socket: net.Socket | undefined;
  private opening: Promise<net.Socket | undefined> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly persist: PersistOptions, readonly socketPath: string) {}

  /** the socket, the keeper started if needed; undefined when it cannot be had */
  attach(): Promise<net.Socket | undefined> {
    if (this.socket !== undefined && !this.socket.destroyed) return Promise.resolve(this.socket);
    this.opening ??= this.open().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async open(): Promise<net.Socket | undefined> {
    let socket = await connectUnix(this.socketPath);
    if (socket === undefined) {
      const [file, ...args] = this.persist.command as [string, ...string[]];
      const child = spawn(file, [...args, this.socketPath, String(this.persist.idleMs)], { detached: true, stdio: 'ignore' });
      child.on('error', () => undefined);
      child.unref();
      for (let waited = 0; socket === undefined && waited < 3000; waited += 20) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        socket = await connectUnix(this.socketPath);
      }
    }
    if (socket === undefined) return undefined;
    this.socket = socket;
    socket.unref();
    onLines(socket, (line) => {
      const reply = JSON.parse(line) as KeeperReply;
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      p?.resolve(reply);
    });
    socket.on('close', () => {
      this.socket = undefined;
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.reject(new Error('the connection keeper ended'));
      }
    });
    socket.on('error', () => undefined);
    return socket;
  }

  async request(message: KeeperRequest & { id: number }): Promise<KeeperReply> {
    const socket = await this.attach();
    if (socket === undefined) throw new Error('the connection keeper is not running');
    return new Promise<KeeperReply>((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject });
      // a run with requests in flight keeps the process alive; an idle link does not
      socket.ref();
      socket.write(`${JSON.stringify(message)}\n`);
    }).finally(() => {
      if (this.pending.size === 0) this.socket?.unref();
    });
  }

  send(message: KeeperRequest): void {
    this.socket?.write(`${JSON.stringify(message)}\n`);
  }

  id(): number {
    return this.nextId++;
  }

  close(): void {
    this.socket?.end();
    this.socket = undefined;
  }
}

function connectUnix(socketPath: string): Promise<net.Socket | undefined> {
  return new Promise((resolve) => {
    const socket = net.createConnection(socketPath);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', () => resolve(undefined));
  });
}

/** What the keeper needs to open the connection as this run would: the options, the environment already read. */
function keptOptions(options: SshOptions): KeptOptions {
  const env = options.env ?? process.env;
  const { promptPassphrase: _prompt, persist: _persist, ...rest } = options;
  const picked: Record<string, string> = {};
  for (const name of ['SSH_AUTH_SOCK', 'TYPEBOOK_SSH_PASSPHRASE', 'ANSIBLE_HOST_KEY_CHECKING', 'HOME']) {
    const value = env[name];
    if (value !== undefined) picked[name] = value;
  }
  return { ...rest, env: picked };
}

/** A host's connection held by the keeper; its own SSH connection where the keeper cannot hold it. */
export class KeptConnection implements Connection {
  readonly host: string;
  private requests = 0;
  private readonly key: string;
  private readonly options: KeptOptions;
  private opened: Promise<boolean> | undefined;
  private direct: SshConnection | undefined;

  constructor(host: string, private readonly settings: ConnectionSettings, private readonly sshOptions: SshOptions, private readonly link: KeeperLink) {
    this.host = host;
    this.options = keptOptions(sshOptions);
    this.key = JSON.stringify([host, settings, this.options]);
  }

  get roundTrips(): number {
    return this.requests + (this.direct?.roundTrips ?? 0);
  }

  /** true when the keeper holds the connection; false when this run has its own */
  private ensureOpen(): Promise<boolean> {
    this.opened ??= (async () => {
      let reply: KeeperReply;
      try {
        reply = await this.link.request({ id: this.link.id(), op: 'open', key: this.key, host: this.host, settings: this.settings, options: this.options });
      } catch {
        this.direct = new SshConnection(this.host, this.settings, this.sshOptions);
        return false;
      }
      if ('error' in reply) {
        this.opened = undefined;
        throw deserializeError(reply.error, this.host);
      }
      return true;
    })();
    return this.opened;
  }

  async connect(): Promise<void> {
    if (!(await this.ensureOpen())) await this.direct?.connect();
  }

  async run(command: CommandSpec, options: RunOptions = {}): Promise<RunResult> {
    if (!(await this.ensureOpen()) && this.direct !== undefined) return this.direct.run(command, options);
    const what = `${this.host}: ${commandLabel(command)}`;
    if (options.signal?.aborted) throw interrupted(this.host, what, options.signal);
    const wire: WireRunOptions = {
      ...(options.stdin !== undefined ? { stdin: Buffer.from(options.stdin).toString('base64') } : {}),
      ...(options.env !== undefined ? { env: { ...options.env } } : {}),
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.maxOutputBytes !== undefined ? { maxOutputBytes: options.maxOutputBytes } : {}),
      ...(options.become !== undefined ? { become: options.become } : {}),
    };
    const id = this.link.id();
    const onAbort = (): void => {
      const reason: unknown = options.signal?.reason;
      this.link.send({ op: 'stop', id, reason: reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'interrupted' });
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    this.requests += 1;
    try {
      const reply = await this.link.request({ id, op: 'run', key: this.key, command, options: wire });
      if ('error' in reply) throw deserializeError(reply.error, this.host);
      if (reply.ok === true) throw new Error('the connection keeper answered a command without its result');
      return reply.ok;
    } catch (error) {
      if (error instanceof Error && error.message === 'the connection keeper ended') {
        throw new ConnectionError(this.host, 'lost', `${what}: the connection keeper ended`);
      }
      throw error;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  async openUnixSocket(socketPath: string): Promise<Duplex> {
    if (!(await this.ensureOpen()) && this.direct !== undefined) return this.direct.openUnixSocket(socketPath);
    this.requests += 1;
    const socket = await connectUnix(this.link.socketPath);
    if (socket === undefined) throw new ConnectionError(this.host, 'lost', `${this.host}: the connection keeper ended`);
    return new Promise<Duplex>((resolve, reject) => {
      onLines(socket, (line) => {
        const reply = JSON.parse(line) as KeeperReply;
        if ('error' in reply) {
          socket.destroy();
          reject(deserializeError(reply.error, this.host));
        } else {
          resolve(socket);
        }
        return true;
      });
      socket.write(`${JSON.stringify({ op: 'socket', key: this.key, path: socketPath } satisfies KeeperRequest)}\n`);
    });
  }

  /** The connection stays with the keeper for the next run; only a run's own is closed. */
  async close(): Promise<void> {
    await this.direct?.close();
  }

  /** meta: reset_connection: the keeper closes it too */
  async reset(): Promise<void> {
    if (this.direct !== undefined) await this.direct.close();
    else this.link.send({ op: 'reset', key: this.key });
    this.opened = undefined;
  }
}

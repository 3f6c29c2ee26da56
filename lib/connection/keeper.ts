/**
 * The connection keeper: typebook's ControlPersist. A background process, started by the first run that needs
 * it, that keeps each host's SSH connection (and its executor) open between runs, so that a run that follows
 * within `idle` seconds connects to nothing: it sends its commands to the keeper over a Unix socket in a
 * directory only its user can enter. The keeper ends once no run has used it for that long, or at once when no
 * run is attached and every connection it held is gone (the hosts went away).
 *
 * Protocol on the socket, one JSON object per line:
 *   run → keeper: {id, op: 'open', key, host, settings, options} | {id, op: 'run', key, command, options}
 *                 | {op: 'stop', id, reason} | {op: 'reset', key}
 *   keeper → run: {id, ok: ...} | {id, error: SerializedError}
 * A socket whose first line is {op: 'socket', key, path} carries, after the keeper's {ok} line, the bytes of
 * that Unix socket on the host (HAProxy's runtime API) both ways.
 */
import { chmodSync, unlinkSync } from 'node:fs';
import * as net from 'node:net';
import { HostOperationError } from './files.js';
import type { ConnectionSettings, SshOptions } from './settings.js';
import { SshConnection } from './ssh.js';
import { CommandStoppedError, ConnectionError, type Become, type CommandSpec, type ConnectionErrorKind, type RunOptions } from './types.js';

/** What of SshOptions crosses to the keeper: plain data (no callbacks), the environment already read. */
export type KeptOptions = Omit<SshOptions, 'promptPassphrase' | 'persist'>;

export interface WireRunOptions {
  stdin?: string;
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
  maxOutputBytes?: number;
  become?: Become;
}

export type KeeperRequest =
  | { id: number; op: 'open'; key: string; host: string; settings: ConnectionSettings; options: KeptOptions }
  | { id: number; op: 'run'; key: string; command: CommandSpec; options: WireRunOptions }
  | { id: number; op: 'stop'; reason: string }
  | { op: 'reset'; key: string }
  | { op: 'socket'; key: string; path: string };

export interface SerializedError {
  name: string;
  message: string;
  host?: string;
  kind?: ConnectionErrorKind;
  variable?: string;
  path?: string;
  code?: string;
}

export type KeeperReply = { id: number; ok: { rc: number; stdout: string; stderr: string } | true } | { id: number; error: SerializedError };

export function serializeError(error: unknown): SerializedError {
  if (error instanceof ConnectionError) {
    return { name: error.name, message: error.message, host: error.host, kind: error.kind, ...(error.variable !== undefined ? { variable: error.variable } : {}) };
  }
  if (error instanceof HostOperationError) {
    return { name: error.name, message: error.message, host: error.host, path: error.path, ...(error.code !== undefined ? { code: error.code } : {}) };
  }
  if (error instanceof CommandStoppedError) return { name: error.name, message: error.message, host: error.host };
  return { name: 'Error', message: error instanceof Error ? error.message : String(error) };
}

export function deserializeError(e: SerializedError, host: string): Error {
  switch (e.name) {
    case 'ConnectionError':
      return new ConnectionError(e.host ?? host, e.kind ?? 'other', e.message, e.variable !== undefined ? { variable: e.variable } : undefined);
    case 'HostOperationError':
      return new HostOperationError(e.host ?? host, 'openUnixSocket', e.path ?? '', e.message, e.code);
    case 'CommandStoppedError':
      return new CommandStoppedError(e.host ?? host, e.message);
    default:
      return new Error(e.message);
  }
}

/** Reads a socket line by line; once `handle` returns true for a line, the bytes after it stay unread. */
export function onLines(socket: net.Socket, handle: (line: string) => boolean | void): void {
  let buffered = '';
  const onData = (chunk: Buffer): void => {
    buffered += chunk.toString('utf8');
    for (let eol = buffered.indexOf('\n'); eol >= 0; eol = buffered.indexOf('\n')) {
      const line = buffered.slice(0, eol);
      buffered = buffered.slice(eol + 1);
      if (handle(line) === true) {
        socket.off('data', onData);
        if (buffered !== '') socket.unshift(Buffer.from(buffered, 'utf8'));
        return;
      }
    }
  };
  socket.on('data', onData);
}

/** Runs the keeper on `socketPath` until it has been idle for `idleMs`. */
export async function serveKeeper(socketPath: string, idleMs: number): Promise<void> {
  const connections = new Map<string, { connection: SshConnection; used: number }>();
  let clients = 0;
  let lastActivity = Date.now();
  const touch = (): void => {
    lastActivity = Date.now();
  };

  const server = net.createServer((socket) => {
    clients += 1;
    touch();
    const running = new Map<number, AbortController>();
    const runningOn = new Map<number, string>();
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clients -= 1;
      touch();
      // a run that ended in mid-command (killed) leaves its hosts as a dropped SSH connection would: the executor
      // sends SIGTERM to what still runs (a write removes its temporary file)
      for (const key of new Set(runningOn.values())) {
        const entry = connections.get(key);
        connections.delete(key);
        void entry?.connection.close();
      }
    });
    const reply = (message: KeeperReply): void => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
    };
    onLines(socket, (line) => {
      touch();
      let request: KeeperRequest;
      try {
        request = JSON.parse(line) as KeeperRequest;
      } catch {
        // not a run of this build speaking: nothing it says can be trusted
        socket.destroy();
        return true;
      }
      switch (request.op) {
        case 'open': {
          let entry = connections.get(request.key);
          if (entry === undefined) {
            entry = { connection: new SshConnection(request.host, request.settings, request.options), used: Date.now() };
            connections.set(request.key, entry);
          }
          const { connection } = entry;
          connection.connect().then(() => reply({ id: request.id, ok: true }), (error: unknown) => {
            // nothing to keep: the next run tries afresh
            if (connections.get(request.key)?.connection === connection) connections.delete(request.key);
            reply({ id: request.id, error: serializeError(error) });
          });
          return;
        }
        case 'run': {
          const entry = connections.get(request.key);
          if (entry === undefined) {
            reply({ id: request.id, error: { name: 'ConnectionError', kind: 'lost', message: 'the connection keeper no longer holds this connection' } });
            return;
          }
          entry.used = Date.now();
          const abort = new AbortController();
          running.set(request.id, abort);
          runningOn.set(request.id, request.key);
          const o = request.options;
          const options: RunOptions = {
            ...(o.stdin !== undefined ? { stdin: Buffer.from(o.stdin, 'base64') } : {}),
            ...(o.env !== undefined ? { env: o.env } : {}),
            ...(o.cwd !== undefined ? { cwd: o.cwd } : {}),
            ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
            ...(o.maxOutputBytes !== undefined ? { maxOutputBytes: o.maxOutputBytes } : {}),
            ...(o.become !== undefined ? { become: o.become } : {}),
            signal: abort.signal,
          };
          entry.connection.run(request.command, options).then(
            (r) => reply({ id: request.id, ok: r }),
            (error: unknown) => reply({ id: request.id, error: serializeError(error) }),
          ).finally(() => {
            running.delete(request.id);
            runningOn.delete(request.id);
            touch();
          });
          return;
        }
        case 'stop':
          running.get(request.id)?.abort(request.reason);
          return;
        case 'reset': {
          const entry = connections.get(request.key);
          connections.delete(request.key);
          void entry?.connection.close();
          return;
        }
        case 'socket': {
          const entry = connections.get(request.key);
          if (entry === undefined) {
            reply({ id: 0, error: { name: 'ConnectionError', kind: 'lost', message: 'the connection keeper no longer holds this connection' } });
            socket.end();
            return true;
          }
          entry.used = Date.now();
          socket.pause();
          entry.connection.openUnixSocket(request.path).then((stream) => {
            reply({ id: 0, ok: true });
            stream.pipe(socket);
            socket.pipe(stream);
            stream.on('error', () => socket.destroy());
            socket.on('close', () => stream.destroy());
            socket.resume();
          }, (error: unknown) => {
            reply({ id: 0, error: serializeError(error) });
            socket.end();
          });
          return true;
        }
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      chmodSync(socketPath, 0o600);
      resolve();
    });
  });

  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = Date.now();
      for (const [key, entry] of connections) {
        if (now - entry.used > idleMs) {
          connections.delete(key);
          void entry.connection.close();
        }
      }
      // the hosts went away (a lab brought down): nothing worth keeping; a second's grace for the first run to attach
      const nothingHeld = [...connections.values()].every((e) => !e.connection.alive) && now - lastActivity > 1000;
      if (clients === 0 && (now - lastActivity > idleMs || nothingHeld)) {
        clearInterval(timer);
        resolve();
      }
    }, Math.min(1000, Math.max(50, idleMs / 4)));
  });
  server.close();
  try {
    unlinkSync(socketPath);
  } catch {
    // already gone
  }
  await Promise.allSettled([...connections.values()].map((e) => e.connection.close()));
}

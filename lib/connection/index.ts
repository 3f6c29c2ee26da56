/**
 * The connection layer's entry point: a factory that picks local or SSH from a host's variables, and a pool
 * that keeps one connection per host for the whole run.
 */
import { LocalConnection } from './local.js';
import type { ConnectionSettings, SshOptions } from './settings.js';
import { SshConnection } from './ssh.js';
import { ConnectionError, type Connection } from './types.js';

export { LocalConnection } from './local.js';
export { SshConnection } from './ssh.js';
export { HostOperationError } from './files.js';
export { fingerprint } from './known-hosts.js';
export { becomeFromSettings, resolveSshTarget } from './settings.js';
export type { ConnectionSettings, SshOptions, SshTarget } from './settings.js';
export * from './types.js';

/** A connection that counts its requests (exec, sftp, socket): "round trips per task" in benchmarks. */
export type CountingConnection = Connection & { readonly roundTrips: number };

/** `ansible_connection: local` runs here; `ssh` (the default, also `paramiko`/`smart`) goes over SSH. */
export function createConnection(host: string, settings: ConnectionSettings = {}, options: SshOptions = {}): CountingConnection {
  const kind = settings.ansible_connection ?? 'ssh';
  switch (kind) {
    case 'local':
      return new LocalConnection(host);
    case 'ssh':
    case 'smart':
    case 'paramiko':
    case 'paramiko_ssh':
      return new SshConnection(host, settings, options);
    default:
      throw new ConnectionError(host, 'other',
        `ansible_connection ${JSON.stringify(kind)} is not supported (expected local or ssh)`);
  }
}

/** One connection per host, opened on first use (each method connects lazily), all closed at the end. */
export class ConnectionPool {
  private readonly connections = new Map<string, CountingConnection>();

  constructor(private readonly options: SshOptions = {}) {}

  /** The host's connection; `settings` are read the first time only. */
  get(host: string, settings: ConnectionSettings = {}): CountingConnection {
    let connection = this.connections.get(host);
    if (connection === undefined) {
      connection = createConnection(host, settings, this.options);
      this.connections.set(host, connection);
    }
    return connection;
  }

  /** Round trips so far, per host. */
  roundTrips(): Map<string, number> {
    return new Map([...this.connections].map(([host, c]) => [host, c.roundTrips]));
  }

  /** meta: reset_connection: the hosts' connections are closed, and opened again on next use */
  async reset(hosts: readonly string[]): Promise<void> {
    const closing = hosts.flatMap((h) => {
      const c = this.connections.get(h);
      this.connections.delete(h);
      return c ? [c.close()] : [];
    });
    await Promise.allSettled(closing);
  }

  async closeAll(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.allSettled(all.map((c) => c.close()));
  }
}

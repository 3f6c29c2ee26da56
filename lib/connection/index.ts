/**
 * The connection layer's entry point: a factory that picks local or SSH from a host's variables, and a pool
 * that keeps one connection per host for the whole run.
 */
import { KeeperLink, keeperSocketPath, KeptConnection } from './kept.js';
import { LocalConnection } from './local.js';
import { becomeFromSettings, resolveSshTarget, type ConnectionSettings, type SshOptions } from './settings.js';
import { SshConnection } from './ssh.js';
import { ConnectionError, type Connection } from './types.js';

export { LocalConnection } from './local.js';
export { SshConnection } from './ssh.js';
export { serveKeeper } from './keeper.js';
export type { PersistOptions } from './kept.js';
export { HostOperationError } from './files.js';
export { fingerprint } from './known-hosts.js';
export { becomeFromSettings, resolveSshTarget, settingsFromVars } from './settings.js';
export type { ConnectionSettings, SshOptions, SshTarget } from './settings.js';
export * from './types.js';

/** A connection that counts its requests (exec, sftp, socket): "round trips per task" in benchmarks. */
export type CountingConnection = Connection & { readonly roundTrips: number };

/** What `ansible_connection` names: `local` runs here; `ssh` (the default, also `paramiko`/`smart`) goes over SSH. */
export function connectionKind(host: string, settings: ConnectionSettings): 'local' | 'ssh' {
  const kind = settings.ansible_connection ?? 'ssh';
  if (kind === 'local' || kind === 'ansible.builtin.local') return 'local';
  if (['ssh', 'smart', 'paramiko', 'paramiko_ssh', 'ansible.builtin.ssh', 'ansible.builtin.paramiko_ssh'].includes(kind)) return 'ssh';
  throw new ConnectionError(host, 'other', `ansible_connection ${JSON.stringify(kind)} is not supported (expected local or ssh)`, { variable: 'ansible_connection' });
}

export function createConnection(host: string, settings: ConnectionSettings = {}, options: SshOptions = {}): CountingConnection {
  return connectionKind(host, settings) === 'local' ? new LocalConnection(host) : new SshConnection(host, settings, options);
}

/**
 * Every mistake in a host's connection settings that connecting would meet (an unsupported connection, a port
 * that is no number, a become method typebook lacks, ssh arguments that do not parse), found without connecting.
 */
export function connectionProblems(host: string, settings: ConnectionSettings, options: SshOptions = {}): ConnectionError[] {
  const problems: ConnectionError[] = [];
  const attempt = (check: () => unknown): void => {
    try {
      check();
    } catch (error) {
      if (error instanceof ConnectionError) problems.push(error);
      else throw error;
    }
  };
  for (const [key, value] of Object.entries(settings)) {
    if (key === 'ansible_become' || key === 'ansible_port' || typeof value === 'string') continue;
    const what = Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a mapping' : `the ${typeof value} ${String(value)}`;
    problems.push(new ConnectionError(host, 'other', `${key} is ${what}; expected a string`, { variable: key }));
  }
  let kind: 'local' | 'ssh' | undefined;
  attempt(() => (kind = connectionKind(host, settings)));
  if (kind === 'ssh') attempt(() => resolveSshTarget(host, settings, options));
  attempt(() => becomeFromSettings(host, settings));
  return problems;
}

/**
 * One connection per host and connection settings, opened on first use (each method connects lazily), all
 * closed at the end. A play that logs in as another user (`ansible_user` in its vars, `remote_user`) gets its
 * own connection; the become settings do not make a new one (become is per command).
 */
export class ConnectionPool {
  private readonly connections = new Map<string, { host: string; connection: CountingConnection }>();
  private readonly keeper: KeeperLink | undefined;

  constructor(private readonly options: SshOptions = {}) {
    const socketPath = options.persist === undefined ? undefined : keeperSocketPath(options.persist);
    if (options.persist !== undefined && socketPath !== undefined) this.keeper = new KeeperLink(options.persist, socketPath);
  }

  get(host: string, settings: ConnectionSettings = {}): CountingConnection {
    const key = poolKey(host, settings);
    let entry = this.connections.get(key);
    if (entry === undefined) {
      const connection = this.keeper !== undefined && connectionKind(host, settings) === 'ssh'
        ? new KeptConnection(host, settings, this.options, this.keeper)
        : createConnection(host, settings, this.options);
      entry = { host, connection };
      this.connections.set(key, entry);
    }
    return entry.connection;
  }

  /** Round trips so far, per host (over all its connections). */
  roundTrips(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const { host, connection } of this.connections.values()) counts.set(host, (counts.get(host) ?? 0) + connection.roundTrips);
    return counts;
  }

  /** meta: reset_connection: the hosts' connections are closed, and opened again on next use */
  async reset(hosts: readonly string[]): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const [key, { host, connection }] of this.connections) {
      if (!hosts.includes(host)) continue;
      this.connections.delete(key);
      closing.push(connection instanceof KeptConnection ? connection.reset() : connection.close());
    }
    await Promise.allSettled(closing);
  }

  async closeAll(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.allSettled(all.map((e) => e.connection.close()));
    this.keeper?.close();
  }
}

/** What makes two connections to a host different: every setting but the become ones. */
function poolKey(host: string, settings: ConnectionSettings): string {
  const relevant = Object.entries(settings).filter(([name, value]) => !name.startsWith('ansible_become') && value !== undefined)
    // by code unit: localeCompare would load ICU's collator, milliseconds of every start
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${host}\0${JSON.stringify(relevant)}`;
}

/**
 * The SSH connection: one ssh2 client per host for the whole run (through jump hosts if asked), many channels
 * at once on it (bounded, below sshd's MaxSessions), host keys checked against known_hosts, every failure a
 * ConnectionError that says host, address, port and reason.
 */
import { appendFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { Duplex, Readable } from 'node:stream';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, Client as SshClient, ClientChannel, ConnectConfig, ParsedKey, ServerHostKeyAlgorithm } from 'ssh2';

// ssh2 is CommonJS: under plain Node its named exports are not visible to an ES import
const { Client, utils } = ssh2;
type Client = SshClient;
import {
  buildInvocation, commandLabel, drive, invocationCommandLine, processCommand, SessionStart, toRunResult, type ProcessHandle, type RawResult,
} from './command.js';
import { Executor, executorCommand, EXECUTOR_READY } from './executor.js';
import { HostOperationError } from './files.js';
import {
  fingerprint, hostKeyAlgorithms, keyTypeLabel, keyTypeOf, knownHostName, knownHostsLine, loadKnownHosts,
  verifyHostKey, type KnownHostEntry,
} from './known-hosts.js';
import { shellQuote } from './quote.js';
import { Semaphore } from './semaphore.js';
import { resolveSshTarget, type ConnectionSettings, type SshEndpoint, type SshOptions, type SshTarget } from './settings.js';
import {
  ConnectionError, type Become, type CommandSpec, type Connection, type ConnectionErrorKind,
  type RunOptions, type RunResult,
} from './types.js';

interface Identity {
  file: string;
  key: ParsedKey;
}

/** a file read is a Buffer, not a string, and may be larger than a command's output */

type SshError = Error & { level?: string; code?: string | number; reason?: number | string };

export class SshConnection implements Connection {
  readonly host: string;
  readonly target: SshTarget;
  private readonly options: SshOptions;
  private readonly channels: Semaphore;
  private client: Client | undefined;
  private hops: Client[] = [];
  private connecting: Promise<Client> | undefined;
  /** why the last connection ended, for the commands it took down */
  private lostReason: string | undefined;
  private requests = 0;
  private identities: Identity[] | undefined;
  /** set once sshd refused stream-local forwarding while socat reached the same socket */
  private streamLocalRefused = false;
  /**
   * The host's executors, one per become user (see executor.ts); undefined for a become user where none can
   * run (no python3): commands there each get a session of their own, as before.
   */
  private readonly executors = new Map<string, Promise<Executor | undefined>>();
  private readonly pythonInterpreter: string | undefined;

  constructor(host: string, settings: ConnectionSettings = {}, options: SshOptions = {}) {
    this.host = host;
    this.options = options;
    this.target = resolveSshTarget(host, settings, options);
    this.pythonInterpreter = settings.ansible_python_interpreter;
    this.channels = new Semaphore(options.maxChannels ?? 8);
  }

  /** connected now (not closed, not lost) */
  get alive(): boolean {
    return this.client !== undefined;
  }

  /** exec, sftp and forwarding requests sent so far: what a benchmark prints as round trips */
  get roundTrips(): number {
    return this.requests;
  }

  private get where(): string {
    return `${this.host} (${this.target.user}@${this.target.address} port ${this.target.port})`;
  }

  async connect(): Promise<void> {
    await this.ensureClient();
  }

  async close(): Promise<void> {
    const clients = [this.client, ...this.hops.slice().reverse()].filter((c): c is Client => c !== undefined);
    this.client = undefined;
    this.hops = [];
    this.connecting = undefined;
    this.executors.clear();
    await Promise.all(clients.map((c) => endClient(c)));
  }

  async run(command: CommandSpec, options: RunOptions = {}): Promise<RunResult> {
    const what = `${this.host}: ${commandLabel(command)}`;
    return toRunResult(await this.exec(command, options, what));
  }

  async openUnixSocket(socketPath: string): Promise<Duplex> {
    const client = await this.ensureClient();
    if (this.streamLocalRefused) return this.socketThroughSocat(socketPath, undefined);
    this.requests += 1;
    try {
      return await new Promise<ClientChannel>((resolve, reject) => {
        try {
          client.openssh_forwardOutStreamLocal(socketPath, (err, channel) => (err ? reject(err) : resolve(channel)));
        } catch (error) {
          reject(error);
        }
      });
    } catch (error) {
      if (this.client !== client) throw this.lostError(`open unix socket ${socketPath}`, error);
      // sshd answers "open failed" both when it forbids forwarding and when nothing listens: socat tells which
      const stream = await this.socketThroughSocat(socketPath, (error as Error).message.replace(/^\(SSH\) /, ''));
      this.streamLocalRefused = true;
      return stream;
    }
  }

  /**
   * When sshd refuses stream-local forwarding (AllowStreamLocalForwarding no): socat on the host relays the
   * socket over an exec channel. The stream is handed over once socat says it is connected (-d -d), so that a
   * socket nobody listens on fails here, not later.
   */
  private async socketThroughSocat(socketPath: string, forwardError: string | undefined): Promise<Duplex> {
    const fail = (reason: string, code?: string): HostOperationError => new HostOperationError(this.host, 'openUnixSocket', socketPath,
      `${this.host}: cannot connect to unix socket ${socketPath}: ${forwardError === undefined ? '' : `forwarding: ${forwardError}; `}${reason}`, code);
    // socat splits its addresses at ':' and ',' and treats quotes and brackets specially: such paths cannot pass
    if (/[:,!"'\\[\]{}()\s]/.test(socketPath)) throw fail('the path cannot be given to socat');
    const client = await this.ensureClient();
    const release = await this.channels.acquire();
    let channel: ClientChannel;
    try {
      channel = await this.openExec(client, `socat -d -d - ${shellQuote(`UNIX-CONNECT:${socketPath}`)}`);
    } catch (error) {
      release();
      throw error;
    }
    channel.once('close', release);
    return new Promise<Duplex>((resolve, reject) => {
      let said = '';
      let connected = false;
      channel.stderr.on('data', (chunk: Buffer) => {
        if (connected) return;
        said += chunk.toString('utf8');
        if (/starting data transfer loop/.test(said)) {
          connected = true;
          resolve(channel);
        }
      });
      whenExited(channel, (code) => {
        if (connected) return;
        const reason = code === 127
          ? 'socat is not installed on the host (needed when its sshd refuses stream-local forwarding)'
          : `socat: ${said.split('\n').filter((l) => / [EF] /.test(l)).join('; ').trim() || `exit ${code}`}`;
        reject(fail(reason, code === 127 ? 'ENOENT' : 'ECONNREFUSED'));
      });
      whenClosed(channel, () => {
        if (!connected) reject(this.client === client ? fail('socat ended before connecting') : this.lostError(`open unix socket ${socketPath}`, undefined));
      });
    });
  }

  private async exec(command: CommandSpec, options: RunOptions, what: string): Promise<RawResult> {
    const executor = this.options.executor === false ? undefined : await this.executorFor(options.become);
    if (executor !== undefined) {
      this.requests += 1;
      return executor.run(command, options, what);
    }
    return this.execSession(command, options, what);
  }

  /** the executor for commands under `become`, started on first use (once, however many commands wait for it) */
  private executorFor(become: Become | undefined): Promise<Executor | undefined> {
    const key = JSON.stringify([become?.user ?? '', become?.method ?? '', become?.password ?? '']);
    const known = this.executors.get(key);
    if (known === undefined) return this.newExecutor(key, become);
    return known.then((executor) => {
      if (executor === undefined || executor.alive) return executor;
      // it ended (the connection was lost and opened again): the first to notice starts the next one
      const now = this.executors.get(key);
      return now !== undefined && now !== known ? now : this.newExecutor(key, become);
    });
  }

  private newExecutor(key: string, become: Become | undefined): Promise<Executor | undefined> {
    const starting = this.startExecutor(become).then((outcome) => {
      // a session that never started (a failed become, a lost connection) says why on the command's own session
      if (outcome === 'not started') this.executors.delete(key);
      return outcome === 'not started' || outcome === 'unavailable' ? undefined : outcome;
    });
    this.executors.set(key, starting);
    return starting;
  }

  /**
   * Starts the executor in a session of its own (become, start marker, password prompt as for any command)
   * and waits for its ready line. It holds one of the connection's channels for as long as it runs.
   */
  private async startExecutor(become: Become | undefined): Promise<Executor | 'unavailable' | 'not started'> {
    const what = `${this.host}: the executor`;
    const invocation = buildInvocation(this.host, executorCommand(this.pythonInterpreter), become === undefined ? {} : { become });
    let client: Client;
    let channel: ClientChannel;
    const release = await this.channels.acquire();
    try {
      client = await this.ensureClient();
      // part of connecting, as the SSH handshake is: not a task's round trip
      channel = await this.openExec(client, invocationCommandLine(invocation), false);
    } catch {
      release();
      return 'not started';
    }
    const closed = new Promise<void>((resolve) => whenClosed(channel, () => {
      release();
      resolve();
    }));
    const start = new SessionStart(this.host, invocation, what, channel);
    return new Promise((resolve) => {
      let ready: Buffer = Buffer.alloc(0);
      let given = false;
      const timer = setTimeout(() => give('not started'), this.target.connectTimeoutMs);
      const give = (outcome: Executor | 'unavailable' | 'not started'): void => {
        if (given) return;
        given = true;
        clearTimeout(timer);
        channel.removeListener('data', onStdout);
        if (typeof outcome === 'string') channel.close();
        resolve(outcome);
      };
      const onStdout = (chunk: Buffer): void => {
        if (!start.started) {
          const rest = start.stdout(chunk);
          if (rest === undefined) return;
          ready = rest;
        } else {
          ready = Buffer.concat([ready, chunk]);
        }
        const eol = ready.indexOf(0x0a);
        if (eol < 0) return;
        if (ready.subarray(0, eol).toString('utf8') !== EXECUTOR_READY) {
          give('unavailable');
          return;
        }
        const lost = (w: string): ConnectionError => this.client === client
          ? new ConnectionError(this.host, 'lost', `${w}: the host's executor ended`)
          : this.lostError(w, undefined);
        give(new Executor(this.host, { stdin: channel, stdout: channel, closed, close: () => channel.close() }, ready.subarray(eol + 1), lost));
      };
      channel.on('data', onStdout);
      // its own errors (a traceback) are no command's output; read, so that they never hold the channel
      channel.stderr.on('data', (chunk: Buffer) => {
        if (!start.started && start.stderr(chunk) !== undefined) give('not started');
      });
      void closed.then(() => give(start.started ? 'unavailable' : 'not started'));
    });
  }

  private async execSession(command: CommandSpec, options: RunOptions, what: string): Promise<RawResult> {
    const invocation = buildInvocation(this.host, processCommand(command, this.pythonInterpreter), options);
    const client = await this.ensureClient();
    const release = await this.channels.acquire();
    try {
      // the connection may have died while this command waited for a channel
      const live = this.client === client ? client : await this.ensureClient();
      const channel = await this.openExec(live, invocationCommandLine(invocation));
      return await drive(this.host, this.processOf(live, channel, what, options.become), invocation, {
        stdin: options.stdin, timeoutMs: options.timeoutMs, signal: options.signal, maxOutputBytes: options.maxOutputBytes, what,
      });
    } finally {
      release();
    }
  }

  /*
   * sshd frees a closed session only after it has read the packets that arrived with the close, so a channel
   * opened right after another closed can be refused while MaxSessions is reached: try again a few times.
   */
  private async openExec(client: Client, commandLine: string, counted = true): Promise<ClientChannel> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.openExecOnce(client, commandLine, counted);
      } catch (error) {
        const refused = error instanceof ConnectionError && error.kind === 'other' && /open failed/.test(error.message);
        if (!refused || attempt >= 8 || this.client !== client) throw error;
        await new Promise((resolve) => setTimeout(resolve, 25 * attempt));
      }
    }
  }

  private openExecOnce(client: Client, commandLine: string, counted: boolean): Promise<ClientChannel> {
    if (counted) this.requests += 1;
    return new Promise<ClientChannel>((resolve, reject) => {
      try {
        client.exec(commandLine, (err, channel) => {
          if (err === undefined || err === null) {
            watchChannel(channel);
            resolve(channel);
          }
          else if (this.client !== client) reject(this.lostError('open a channel', err));
          else reject(new ConnectionError(this.host, 'other', `${this.where}: the host refused a channel: ${err.message}`, { cause: err }));
        });
      } catch (error) {
        reject(this.lostError('open a channel', error));
      }
    });
  }

  private processOf(client: Client, channel: ClientChannel, what: string, become: Become | undefined): ProcessHandle {
    const done = new Promise<{ code: number | null; signal: string | null }>((resolve, reject) => {
      whenClosed(channel, (exit) => {
        if (exit !== undefined) resolve(exit);
        else if (this.client !== client) reject(this.lostError(what, undefined));
        else reject(new ConnectionError(this.host, 'lost', `${what}: the channel closed without an exit status`));
      });
    });
    return {
      stdin: channel,
      stdout: channel as Readable,
      stderr: channel.stderr,
      done,
      kill: (pid) => {
        try {
          channel.close();
        } catch {
          // the channel or the connection is already gone
        }
        // sshd keeps a session until its process exits, and ignores signal requests for root's sessions: kill it ourselves
        if (pid !== undefined && this.client === client) {
          this.execSession(killCommand(pid), { become, timeoutMs: 5000 }, `${this.host}: kill ${pid}`).catch(() => undefined);
        }
      },
    };
  }

  private lostError(what: string, cause: unknown): ConnectionError {
    const reason = this.lostReason ?? (cause instanceof Error ? cause.message : 'the connection closed');
    return new ConnectionError(this.host, 'lost', `${this.where}: connection lost (${what}): ${reason}`, { cause });
  }

  private ensureClient(): Promise<Client> {
    if (this.client !== undefined) return Promise.resolve(this.client);
    if (this.connecting === undefined) {
      this.connecting = this.connectWithRetry().finally(() => {
        this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  private async connectWithRetry(): Promise<Client> {
    try {
      return await this.openChain();
    } catch (error) {
      // one more try for what may pass (sshd restarting, a lost SYN); never for auth or host keys
      if (!(error instanceof ConnectionError) || !['refused', 'timeout', 'lost'].includes(error.kind)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
      return this.openChain();
    }
  }

  /** Connects through each jump host in turn, then to the target. */
  private async openChain(): Promise<Client> {
    const identities = await this.loadIdentities();
    // with checking off an unknown key is accepted, but a recorded one that changed is still refused (as accept-new)
    const known = this.target.hostKeyPolicy === 'no' ? await loadKnownHosts(this.target.knownHostsFile).catch(() => []) : await this.loadKnownHostsOrFail();
    const hops: Client[] = [];
    let sock: Readable | undefined;
    try {
      const jumps = this.target.jumps;
      for (const [i, hop] of jumps.entries()) {
        const hopClient = await this.openClient(hop, identities, known, sock, 'jump host ');
        hops.push(hopClient);
        sock = await this.forwardThrough(hopClient, hop, jumps[i + 1] ?? this.target);
      }
      const client = await this.openClient(this.target, identities, known, sock, '');
      this.hops = hops;
      this.client = client;
      this.lostReason = undefined;
      client.on('close', () => {
        if (this.client !== client) return;
        this.client = undefined;
        this.lostReason ??= 'the host closed the connection';
        for (const h of hops) h.end();
      });
      return client;
    } catch (error) {
      for (const h of hops) h.end();
      throw error;
    }
  }

  private forwardThrough(hopClient: Client, hop: SshEndpoint, next: SshEndpoint): Promise<Readable> {
    return new Promise<Readable>((resolve, reject) => {
      hopClient.forwardOut('127.0.0.1', 0, next.address, next.port, (err, stream) => {
        if (err === undefined || err === null) {
          resolve(stream);
          return;
        }
        reject(new ConnectionError(this.host, 'refused',
          `${this.host}: jump host ${hop.address} port ${hop.port} could not reach ${next.address} port ${next.port}: ${err.message.replace(/^\(SSH\) /, '')}`,
          { cause: err }));
      });
    });
  }

  private async loadKnownHostsOrFail(): Promise<KnownHostEntry[]> {
    try {
      return await loadKnownHosts(this.target.knownHostsFile);
    } catch (error) {
      throw new ConnectionError(this.host, 'hostkey', `${this.where}: cannot read known_hosts file ${this.target.knownHostsFile}: ${(error as Error).message}`);
    }
  }

  private openClient(endpoint: SshEndpoint, identities: Identity[], known: KnownHostEntry[], sock: Readable | undefined, role: string): Promise<Client> {
    const where = `${this.host}: ${role}${endpoint.user}@${endpoint.address} port ${endpoint.port}`;
    const name = knownHostName(endpoint.address, endpoint.port);
    let hostKeyFailure: ConnectionError | undefined;
    const tried: string[] = [];

    const verify = (key: Buffer): boolean => {
      const verdict = verifyHostKey(known, name, key);
      const shown = `${keyTypeLabel(keyTypeOf(key))} key ${fingerprint(key)}`;
      const file = this.target.knownHostsFile;
      switch (verdict.status) {
        case 'known':
          return true;
        case 'revoked':
          hostKeyFailure = new ConnectionError(this.host, 'hostkey',
            `${where}: the host key ${shown} is marked @revoked in ${file}:${verdict.entry.line}`);
          return false;
        case 'changed':
          hostKeyFailure = new ConnectionError(this.host, 'hostkey',
            `${where}: HOST KEY CHANGED: the host sent ${shown}, but ${file}:${verdict.entry.line} records a different ` +
            `${keyTypeLabel(verdict.entry.keyType)} key (${fingerprint(verdict.entry.key)}) for ${name}. Someone may be ` +
            `intercepting the connection, or the host was reinstalled: if you trust the new key, remove the old one ` +
            `(ssh-keygen -R ${shellQuote(name)} -f ${shellQuote(file)}) and connect again.`);
          return false;
        case 'unknown':
          if (this.target.hostKeyPolicy === 'no') return true;
          if (this.target.hostKeyPolicy === 'accept-new') {
            try {
              mkdirSync(path.dirname(file), { recursive: true });
              appendFileSync(file, `${knownHostsLine(name, key, false)}\n`);
            } catch (error) {
              hostKeyFailure = new ConnectionError(this.host, 'hostkey', `${where}: cannot record the new host key in ${file}: ${(error as Error).message}`);
              return false;
            }
            return true;
          }
          hostKeyFailure = new ConnectionError(this.host, 'hostkey',
            `${where}: host key unknown: ${name} is not in ${file}; it offers ${shown}. If that fingerprint is right, ` +
            `add it (ssh-keyscan -p ${endpoint.port} ${shellQuote(endpoint.address)} >> ${shellQuote(file)}), or turn ` +
            `the check off explicitly (--no-host-key-checking).`);
          return false;
      }
    };

    const methods: AnyAuthMethod[] = [];
    const agent = this.options.agentSocket ?? (this.options.env ?? process.env).SSH_AUTH_SOCK ?? '';
    const agentMethod: AnyAuthMethod[] = agent === '' ? [] : [{ type: 'agent', username: endpoint.user, agent }];
    const keyMethods: AnyAuthMethod[] = identities.map((id) => ({ type: 'publickey', username: endpoint.user, key: id.key }));
    // OpenSSH: named identities first; with none named, the agent's keys before the default files
    if (this.target.identityFilesExplicit) methods.push(...keyMethods, ...agentMethod);
    else methods.push(...agentMethod, ...keyMethods);
    const labels = new Map<AnyAuthMethod, string>();
    identities.forEach((id, i) => labels.set(keyMethods[i] as AnyAuthMethod, `key ${id.file}`));
    if (agentMethod[0] !== undefined) labels.set(agentMethod[0], `agent ${agent}`);

    const config: ConnectConfig = {
      host: endpoint.address,
      port: endpoint.port,
      username: endpoint.user,
      readyTimeout: this.target.connectTimeoutMs,
      keepaliveInterval: this.target.keepaliveIntervalMs,
      keepaliveCountMax: this.target.keepaliveCountMax,
      hostVerifier: verify,
      algorithms: { serverHostKey: hostKeyAlgorithms(known, name) as ServerHostKeyAlgorithm[] },
      authHandler: (methodsLeft, _partial, next) => {
        const nextMethod = methods.shift();
        if (nextMethod === undefined) {
          (next as unknown as (m: false) => void)(false);
          return;
        }
        tried.push(labels.get(nextMethod) ?? nextMethod.type);
        next(nextMethod);
      },
    };
    if (sock !== undefined) config.sock = sock;

    return new Promise<Client>((resolve, reject) => {
      const client = new Client();
      client.once('close', () => closedClients.add(client));
      let settled = false;
      const settle = (error: ConnectionError | undefined): void => {
        if (settled) return;
        settled = true;
        if (error === undefined) {
          resolve(client);
        } else {
          client.end();
          reject(error);
        }
      };
      client.on('ready', () => {
        // without it, Nagle's algorithm and the peer's delayed ACK hold each small request ~40 ms: every round trip
        client.setNoDelay(true);
        settle(undefined);
      });
      client.on('error', (err: SshError) => {
        if (!settled) {
          settle(hostKeyFailure ?? this.classify(where, err, tried));
          return;
        }
        // after ready: remember why, for the commands this takes down ('close' follows)
        if (role === '' && this.client === client) this.lostReason = describeLoss(err, this.target);
        else if (role !== '') this.lostReason = `the ${role}${endpoint.address} port ${endpoint.port}: ${describeLoss(err, this.target)}`;
      });
      client.on('close', () => {
        settle(hostKeyFailure ?? new ConnectionError(this.host, 'lost', `${where}: the host closed the connection during the handshake`));
      });
      try {
        client.connect(config);
      } catch (error) {
        settle(new ConnectionError(this.host, 'other', `${where}: ${(error as Error).message}`, { cause: error }));
      }
    });
  }

  private classify(where: string, err: SshError, tried: string[]): ConnectionError {
    const code = typeof err.code === 'string' ? err.code : undefined;
    const make = (kind: ConnectionErrorKind, reason: string): ConnectionError =>
      new ConnectionError(this.host, kind, `${where}: ${reason}`, { cause: err });
    if (err.level === 'client-authentication') {
      const list = tried.length === 0 ? 'no key or agent was available' : `tried ${tried.join(', ')}`;
      return make('auth', `authentication failed (${list})`);
    }
    if (code === 'ECONNREFUSED') return make('refused', 'connection refused (is sshd running and listening on that port?)');
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return make('dns', `unknown host name ${this.target.address}`);
    if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return make('refused', 'no route to host');
    if (code === 'ETIMEDOUT' || err.level === 'client-timeout') {
      return make('timeout', `timed out after ${this.target.connectTimeoutMs} ms waiting for the SSH handshake`);
    }
    if (code === 'ECONNRESET' || code === 'EPIPE') return make('lost', `the connection was reset during the handshake`);
    return make('other', err.message);
  }

  /** The private keys to offer, decrypted up front so that a missing or wrong passphrase is said plainly. */
  private async loadIdentities(): Promise<Identity[]> {
    if (this.identities !== undefined) return this.identities;
    const env = this.options.env ?? process.env;
    const result: Identity[] = [];
    for (const file of this.target.identityFiles) {
      const explicit = this.target.identityFilesExplicit;
      let data: Buffer;
      try {
        data = readFileSync(file);
      } catch (error) {
        if (!explicit) continue;
        throw new ConnectionError(this.host, 'auth', `${this.where}: cannot read private key ${file}: ${(error as Error).message}`);
      }
      // as OpenSSH: a key others may read is not a secret any more, and is refused rather than used quietly
      const mode = statSync(file).mode & 0o777;
      if ((mode & 0o077) !== 0 && process.platform !== 'win32') {
        if (!explicit) continue;
        throw new ConnectionError(this.host, 'auth',
          `${this.where}: private key ${file} is readable by others (mode ${mode.toString(8).padStart(4, '0')}): ` +
          `it is refused, as OpenSSH refuses it; chmod 600 ${shellQuote(file)}`);
      }
      let parsed = utils.parseKey(data);
      if (parsed instanceof Error && /passphrase/i.test(parsed.message)) {
        let passphrase = this.options.passphrase ?? env.TYPEBOOK_SSH_PASSPHRASE;
        if (passphrase === undefined && this.options.promptPassphrase !== undefined) passphrase = await this.options.promptPassphrase(file);
        if (passphrase === undefined) {
          if (!explicit) continue;
          throw new ConnectionError(this.host, 'auth',
            `${this.where}: private key ${file} is encrypted: give its passphrase in TYPEBOOK_SSH_PASSPHRASE, or load it into ssh-agent`);
        }
        parsed = utils.parseKey(data, passphrase);
        if (parsed instanceof Error) {
          throw new ConnectionError(this.host, 'auth', `${this.where}: wrong passphrase for private key ${file}`);
        }
      }
      if (parsed instanceof Error) {
        if (!explicit) continue;
        throw new ConnectionError(this.host, 'auth', `${this.where}: cannot use private key ${file}: ${parsed.message}`);
      }
      result.push({ file, key: Array.isArray(parsed) ? (parsed[0] as ParsedKey) : parsed });
    }
    this.identities = result;
    return result;
  }
}

type ExitStatus = { code: number | null; signal: string | null };
interface ChannelState {
  exit?: ExitStatus;
  closed: boolean;
  onExit: Array<(exit: ExitStatus) => void>;
  onClose: Array<(exit: ExitStatus | undefined) => void>;
}
const channelStates = new WeakMap<ClientChannel, ChannelState>();

/*
 * ssh2 can deliver a short command's exit status and close in the same packet batch as the exec reply, before
 * an awaiting caller gets to attach listeners: record them from the exec callback on.
 */
function watchChannel(channel: ClientChannel): void {
  const state: ChannelState = { closed: false, onExit: [], onClose: [] };
  channelStates.set(channel, state);
  channel.on('exit', (code: number | null, signal?: string) => {
    state.exit = { code: code ?? null, signal: signal ?? null };
    for (const f of state.onExit) f(state.exit);
  });
  channel.on('close', () => {
    state.closed = true;
    for (const f of state.onClose) f(state.exit);
  });
}

function whenExited(channel: ClientChannel, f: (code: number | null) => void): void {
  const state = channelStates.get(channel) as ChannelState;
  if (state.exit !== undefined) f(state.exit.code);
  else state.onExit.push((exit) => f(exit.code));
}

function whenClosed(channel: ClientChannel, f: (exit: ExitStatus | undefined) => void): void {
  const state = channelStates.get(channel) as ChannelState;
  if (state.closed) f(state.exit);
  else state.onClose.push(f);
}

/* Kills the process group of `pid` (the whole SSH session: shell, sudo, the command and its children). */
const KILL_SCRIPT = `pid=$1
read -r s < /proc/$pid/stat || exit 0
s=\${s##*) }
set -- $s
kill -KILL -- "-$3" 2>/dev/null || kill -KILL "$pid"`;

function killCommand(pid: number): CommandSpec {
  return { argv: ['/bin/sh', '-c', KILL_SCRIPT, 'typebook-kill', String(pid)] };
}

function describeLoss(err: SshError, target: SshTarget): string {
  if (/keepalive/i.test(err.message)) {
    return `no answer to ${target.keepaliveCountMax} keepalives sent every ${target.keepaliveIntervalMs} ms`;
  }
  return err.message;
}

const closedClients = new WeakSet<Client>();

/** Ends a client and waits (bounded) for its socket to close. */
function endClient(client: Client): Promise<void> {
  if (closedClients.has(client)) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      client.destroy();
      resolve();
    }, 2000);
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    client.end();
  });
}

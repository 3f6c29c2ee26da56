/**
 * From Ansible's connection variables, `ansible_ssh_common_args` (split as Ansible splits it: shlex) and
 * ~/.ssh/config to one resolved SSH target: address, port, user, identities, jump hosts, host key policy.
 * Precedence, as with Ansible driving OpenSSH: ansible_* variables, then -o options in the common args (first
 * one wins), then ~/.ssh/config, then defaults. The CLI's explicit options (--known-hosts,
 * --no-host-key-checking) win over all.
 */
import type { PersistOptions } from './kept.js';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import SSHConfig from 'ssh-config';
import { ansibleBoolean, shlexSplit } from '../ansible/index.js';
import { ConnectionError, type Become } from './types.js';

/** What the caller fills from a host's Ansible variables. */
export interface ConnectionSettings {
  ansible_connection?: string;
  ansible_host?: string;
  ansible_port?: number | string;
  ansible_user?: string;
  ansible_ssh_private_key_file?: string;
  /** the newer name of ansible_ssh_private_key_file */
  ansible_private_key_file?: string;
  ansible_ssh_common_args?: string;
  ansible_ssh_extra_args?: string;
  ansible_become?: boolean;
  ansible_become_user?: string;
  ansible_become_method?: string;
  ansible_become_password?: string;
  /** the older name of ansible_become_password */
  ansible_become_pass?: string;
  /** the host's Python, which runs the host's executor (see executor.ts); `auto*` means python3 on the PATH */
  ansible_python_interpreter?: string;
}

const VARIABLES = ['ansible_connection', 'ansible_host', 'ansible_ssh_host', 'ansible_port', 'ansible_ssh_port', 'ansible_user', 'ansible_ssh_user', 'ansible_ssh_private_key_file', 'ansible_private_key_file', 'ansible_ssh_common_args', 'ansible_ssh_extra_args', 'ansible_become', 'ansible_become_user', 'ansible_become_method', 'ansible_become_password', 'ansible_become_pass', 'ansible_python_interpreter'] as const;

/**
 * A host's connection variables (rendered) as the connection layer takes them: the ssh plugin's older names
 * (ansible_ssh_host, _port, _user) win over the newer ones, as in Ansible 2.14, and ansible_become is a boolean.
 */
export function settingsFromVars(vars: Readonly<Record<string, unknown>>): ConnectionSettings {
  const settings: Record<string, unknown> = {};
  for (const key of VARIABLES) if (key in vars && vars[key] !== undefined && vars[key] !== null) settings[key] = vars[key];
  if (settings.ansible_ssh_host !== undefined) settings.ansible_host = settings.ansible_ssh_host;
  if (settings.ansible_ssh_port !== undefined) settings.ansible_port = settings.ansible_ssh_port;
  if (settings.ansible_ssh_user !== undefined) settings.ansible_user = settings.ansible_ssh_user;
  for (const key of ['ansible_ssh_host', 'ansible_ssh_port', 'ansible_ssh_user']) delete settings[key];
  if (settings.ansible_become !== undefined && typeof settings.ansible_become !== 'boolean') settings.ansible_become = ansibleBoolean(settings.ansible_become) ?? false;
  // a number where a name is expected (ansible_user: 1000) is its text, as Ansible's str options take it
  for (const [key, value] of Object.entries(settings)) if (typeof value === 'number' && key !== 'ansible_port') settings[key] = String(value);
  return settings as ConnectionSettings;
}

/** Run-wide SSH options (the CLI's flags, the environment). */
export interface SshOptions {
  /** known_hosts file (--known-hosts); wins over UserKnownHostsFile from the inventory and ~/.ssh/config */
  knownHostsFile?: string;
  /** false turns host key checking off (--no-host-key-checking); default: ANSIBLE_HOST_KEY_CHECKING, else on */
  hostKeyChecking?: boolean;
  /** passphrase of encrypted keys; default: TYPEBOOK_SSH_PASSPHRASE */
  passphrase?: string;
  /** asked for an encrypted key's passphrase when none is given */
  promptPassphrase?: (keyFile: string) => Promise<string>;
  /** SSH agent socket; default SSH_AUTH_SOCK; '' for none */
  agentSocket?: string;
  /** OpenSSH client config; default ~/.ssh/config; '' for none */
  sshConfigFile?: string;
  /** channels (commands, file transfers, sockets) open at once on one connection; default 8 (sshd's MaxSessions is 10) */
  maxChannels?: number;
  /** keep connections open between runs in the connection keeper (see keeper.ts), as Ansible's ControlPersist */
  persist?: PersistOptions;
  /** false: every command in an SSH session of its own, never through the host's executor (see executor.ts) */
  executor?: boolean;
  /** TCP connect + SSH handshake + authentication; default 10 s (Ansible's timeout) */
  connectTimeoutMs?: number;
  /** SSH keepalive interval; default 5 s; the connection is declared lost after keepaliveCountMax unanswered */
  keepaliveIntervalMs?: number;
  /** default 3 */
  keepaliveCountMax?: number;
  /** the environment read for defaults (SSH_AUTH_SOCK, TYPEBOOK_SSH_PASSPHRASE, ANSIBLE_HOST_KEY_CHECKING, HOME); default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

export type HostKeyPolicy = 'yes' | 'no' | 'accept-new';

export interface SshEndpoint {
  address: string;
  port: number;
  user: string;
}

export interface SshTarget extends SshEndpoint {
  /** inventory name */
  host: string;
  identityFiles: string[];
  /** true when identity files were named (IdentityFile, -i, ansible_ssh_private_key_file), false for the defaults */
  identityFilesExplicit: boolean;
  /** hops to go through, in order */
  jumps: SshEndpoint[];
  knownHostsFile: string;
  hostKeyPolicy: HostKeyPolicy;
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
}

/** ssh's flags that take an argument: their argument must be skipped when the flag is not one we honour. */
const FLAGS_WITH_ARGUMENT = new Set('BbcDEeFIiJLlmOopQRSWw'.split(''));

interface ArgsOptions {
  /** lower-case option name -> first value given */
  options: Map<string, string>;
}

/** Parses ssh command-line arguments (Ansible's ssh_common_args / ssh_extra_args) into -o style options. */
export function parseSshArgs(host: string, text: string | undefined, into: ArgsOptions = { options: new Map() }, variable = 'ansible_ssh_common_args'): ArgsOptions {
  if (text === undefined || text.trim() === '') return into;
  let words: string[];
  try {
    words = shlexSplit(text);
  } catch (error) {
    throw new ConnectionError(host, 'other', `cannot parse ${variable} ${JSON.stringify(text)}: ${(error as Error).message}`, { variable });
  }
  const set = (name: string, value: string): void => {
    const key = name.toLowerCase();
    if (!into.options.has(key)) into.options.set(key, value);
  };
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i] as string;
    if (!word.startsWith('-') || word.length < 2) continue;
    const flag = word[1] as string;
    if (!FLAGS_WITH_ARGUMENT.has(flag)) continue; // -C, -4, -q... have no effect on us
    let value = word.slice(2);
    if (value === '') {
      i += 1;
      value = words[i] ?? '';
    }
    if (flag === 'o') {
      const m = /^\s*([A-Za-z]+)\s*(?:=\s*|\s+)(.*)$/.exec(value);
      if (m !== null) set(m[1] as string, (m[2] as string).trim());
    } else if (flag === 'J') set('ProxyJump', value);
    else if (flag === 'p') set('Port', value);
    else if (flag === 'l') set('User', value);
    else if (flag === 'i') set('IdentityFile', value);
    else if (flag === 'F') set('typebook:ConfigFile', value);
  }
  return into;
}

function expandHome(file: string, home: string): string {
  if (file === '~') return home;
  if (file.startsWith('~/')) return path.join(home, file.slice(2));
  return file;
}

function parsePort(host: string, value: string | number, from: string): number {
  const port = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConnectionError(host, 'other', `${from}: port ${JSON.stringify(value)} is not a number from 1 to 65535`, from.startsWith('ansible_') ? { variable: from } : undefined);
  }
  return port;
}

function parseDuration(host: string, value: string, from: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new ConnectionError(host, 'other', `${from}: ${JSON.stringify(value)} is not a number of seconds`);
  }
  return seconds * 1000;
}

/** `[user@]host[:port]` or `ssh://[user@]host[:port]`, comma-separated; `none` for no jump. */
export function parseProxyJump(host: string, value: string): Array<{ user?: string; address: string; port?: number }> {
  if (value.trim().toLowerCase() === 'none') return [];
  return value.split(',').map((raw) => {
    const spec = raw.trim().replace(/^ssh:\/\//, '');
    const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(spec);
    if (m === null) {
      throw new ConnectionError(host, 'other', `ProxyJump ${JSON.stringify(raw)}: expected [user@]host[:port]`);
    }
    const hop: { user?: string; address: string; port?: number } = { address: (m[2] as string).replace(/^\[|\]$/g, '') };
    if (m[1] !== undefined) hop.user = m[1];
    if (m[3] !== undefined) hop.port = parsePort(host, m[3], `ProxyJump ${raw}`);
    return hop;
  });
}

/**
 * `ProxyCommand=ssh -W %h:%p [opts] [user@]jump`, the bastion recipe of Ansible's FAQ, is a jump host:
 * turned into a ProxyJump. Any other proxy command cannot be honoured: that is an error, not a silent direct connection.
 */
function proxyCommandAsJump(host: string, command: string): string {
  const words = shlexSplit(command);
  const fail = (): never => {
    throw new ConnectionError(host, 'other',
      `ProxyCommand ${JSON.stringify(command)} is not supported: use ProxyJump (-J user@host:port), or a ProxyCommand of the form 'ssh -W %h:%p [-p port] [-l user] [user@]host'`);
  };
  if (words[0] !== 'ssh' || !words.includes('-W')) return fail();
  let user: string | undefined;
  let port: string | undefined;
  let destination: string | undefined;
  for (let i = 1; i < words.length; i += 1) {
    const word = words[i] as string;
    if (word === '-W') i += 1;
    else if (word === '-p') port = words[(i += 1)];
    else if (word === '-l') user = words[(i += 1)];
    else if (word.startsWith('-')) {
      if (word.length === 2 && FLAGS_WITH_ARGUMENT.has(word[1] as string)) i += 1;
    } else destination = word;
  }
  if (destination === undefined) return fail();
  const withUser = user !== undefined && !destination.includes('@') ? `${user}@${destination}` : destination;
  return port === undefined ? withUser : `${withUser}:${port}`;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function readSshConfig(file: string): SSHConfig | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  return SSHConfig.parse(text);
}

/** The ~/.ssh/config options that apply to `name`, lower-cased; `Match exec` is never run. */
function sshConfigFor(config: SSHConfig | undefined, name: string): Record<string, string | string[]> {
  if (config === undefined) return {};
  return config.compute(name, { ignoreCase: true, matchExec: false });
}

function envFlagOff(value: string | undefined): boolean {
  return value !== undefined && /^(false|no|0|off|n)$/i.test(value.trim());
}

/** Resolves the SSH target of `host` from its settings, the run's options and ~/.ssh/config. */
export function resolveSshTarget(host: string, settings: ConnectionSettings, options: SshOptions = {}): SshTarget {
  const env = options.env ?? process.env;
  const home = env.HOME ?? os.homedir();
  const args = parseSshArgs(host, settings.ansible_ssh_common_args);
  parseSshArgs(host, settings.ansible_ssh_extra_args, args, 'ansible_ssh_extra_args');
  const o = args.options;
  const configFile = options.sshConfigFile ?? o.get('typebook:configfile') ?? path.join(home, '.ssh', 'config');
  const config = configFile === '' ? undefined : readSshConfig(expandHome(configFile, home));
  const name = settings.ansible_host ?? host;
  const fromConfig = sshConfigFor(config, name);
  const pick = (key: string): string | undefined => o.get(key) ?? first(fromConfig[key]);

  const address = first(fromConfig.hostname)?.replace(/%h/g, name) ?? name;
  const portValue = settings.ansible_port ?? pick('port');
  const port = portValue === undefined ? 22 : parsePort(host, portValue, settings.ansible_port !== undefined ? 'ansible_port' : 'Port');
  const user = settings.ansible_user ?? pick('user') ?? os.userInfo().username;

  const keyFile = settings.ansible_ssh_private_key_file ?? settings.ansible_private_key_file;
  const named = [
    ...(keyFile === undefined ? [] : [keyFile]),
    ...(o.has('identityfile') ? [o.get('identityfile') as string] : []),
    ...(([] as string[]).concat(fromConfig.identityfile ?? [])),
  ].map((f) => expandHome(f, home));
  const identityFilesExplicit = named.length > 0;
  const identityFiles = identityFilesExplicit
    ? [...new Set(named)]
    : ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => path.join(home, '.ssh', f));

  let jumpSpec = pick('proxyjump');
  const proxyCommand = pick('proxycommand');
  if (jumpSpec === undefined && proxyCommand !== undefined && proxyCommand.toLowerCase() !== 'none') {
    jumpSpec = proxyCommandAsJump(host, proxyCommand);
  }
  const jumps = (jumpSpec === undefined ? [] : parseProxyJump(host, jumpSpec)).map((hop) => {
    const hopConfig = sshConfigFor(config, hop.address);
    const hopPort = hop.port ?? first(hopConfig.port);
    return {
      address: first(hopConfig.hostname)?.replace(/%h/g, hop.address) ?? hop.address,
      port: hopPort === undefined ? 22 : parsePort(host, hopPort, `ProxyJump ${hop.address}`),
      user: hop.user ?? first(hopConfig.user) ?? os.userInfo().username,
    };
  });

  const knownHostsFile = expandHome(
    options.knownHostsFile ?? first(pick('userknownhostsfile')?.split(/\s+/)) ?? path.join(home, '.ssh', 'known_hosts'), home);
  const strict = pick('stricthostkeychecking')?.toLowerCase();
  let hostKeyPolicy: HostKeyPolicy = strict === 'no' || strict === 'off' ? 'no' : strict === 'accept-new' ? 'accept-new' : 'yes';
  if (options.hostKeyChecking === false || envFlagOff(env.ANSIBLE_HOST_KEY_CHECKING)) hostKeyPolicy = 'no';

  const connectTimeout = pick('connecttimeout');
  const aliveInterval = pick('serveraliveinterval');
  const aliveCount = pick('serveralivecountmax');
  return {
    host, address, port, user, identityFiles, identityFilesExplicit, jumps, knownHostsFile, hostKeyPolicy,
    connectTimeoutMs: options.connectTimeoutMs ?? (connectTimeout === undefined ? 10_000 : parseDuration(host, connectTimeout, 'ConnectTimeout')),
    keepaliveIntervalMs: options.keepaliveIntervalMs
      ?? (aliveInterval === undefined || Number(aliveInterval) === 0 ? 5_000 : parseDuration(host, aliveInterval, 'ServerAliveInterval')),
    keepaliveCountMax: options.keepaliveCountMax ?? (aliveCount === undefined ? 3 : Math.max(1, Number(aliveCount) || 3)),
  };
}

/** The `become` that a host's variables ask for (ansible_become and friends), for the engine to apply per task. */
export function becomeFromSettings(host: string, settings: ConnectionSettings): Become | undefined {
  if (settings.ansible_become !== true) return undefined;
  const become: Become = {};
  if (settings.ansible_become_user !== undefined) become.user = settings.ansible_become_user;
  const method = settings.ansible_become_method;
  if (method === 'sudo' || method === 'su') become.method = method;
  else if (method !== undefined) throw new ConnectionError(host, 'become', `ansible_become_method ${JSON.stringify(method)} is not supported (expected sudo or su)`, { variable: 'ansible_become_method' });
  const password = settings.ansible_become_password ?? settings.ansible_become_pass;
  if (password !== undefined) become.password = password;
  return become;
}

/**
 * ansible.cfg, found where Ansible looks (ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg,
 * /etc/ansible/ansible.cfg: the first that exists, and only that one), read as Python's configparser reads
 * it, for the settings typebook has. The command line wins over it; a setting typebook does not use is named
 * once, never silently dropped.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ansibleBoolean } from '../ansible/index.js';
import { problem, type Problem } from '../source/index.js';

export interface AnsibleConfig {
  file: string;
  inventory?: string[];
  rolesPath?: string[];
  forks?: number;
  remoteUser?: string;
  privateKeyFile?: string;
  hostKeyChecking?: boolean;
  timeout?: number;
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: string;
  becomeAskPass?: boolean;
  /** `[section] key` of every setting typebook does not use */
  ignored: string[];
  problems: Problem[];
}

/** The file Ansible would read, or undefined. */
export function findAnsibleConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), home = env.HOME ?? homedir()): string | undefined {
  const fromEnv = env.ANSIBLE_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') {
    const path = resolve(cwd, fromEnv);
    // a directory stands for the ansible.cfg in it, as in Ansible
    const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'ansible.cfg') : path;
    if (existsSync(file)) return file;
  }
  return [join(cwd, 'ansible.cfg'), join(home, '.ansible.cfg'), '/etc/ansible/ansible.cfg'].find((f) => existsSync(f));
}

/** configparser's sections: `[name]`, `key = value` or `key: value`, `#`/`;` comment lines, `;` inline comments, indented continuation lines. */
function parseIni(text: string): Map<string, Map<string, { value: string; line: number }>> {
  const sections = new Map<string, Map<string, { value: string; line: number }>>();
  let current: Map<string, { value: string; line: number }> | undefined;
  let last: { value: string; line: number } | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    if (/^\s*([#;]|$)/.test(raw)) return;
    if (/^\s/.test(raw) && last) {
      last.value += `\n${raw.trim()}`;
      return;
    }
    const section = /^\s*\[([^\]]+)\]\s*$/.exec(raw);
    if (section) {
      const name = section[1]!.trim();
      current = sections.get(name) ?? new Map();
      sections.set(name, current);
      last = undefined;
      return;
    }
    const pair = /^\s*([^=:]+?)\s*[=:]\s*(.*)$/.exec(raw);
    if (!pair || !current) return;
    last = { value: pair[2]!.replace(/\s+;.*$/, '').trim(), line: i + 1 };
    current.set(pair[1]!.toLowerCase(), last);
  });
  return sections;
}

const USED: Record<string, readonly string[]> = {
  defaults: ['inventory', 'hostfile', 'roles_path', 'forks', 'remote_user', 'private_key_file', 'host_key_checking', 'timeout'],
  privilege_escalation: ['become', 'become_user', 'become_method', 'become_ask_pass'],
};

export function readAnsibleConfig(file: string): AnsibleConfig {
  const config: AnsibleConfig = { file, ignored: [], problems: [] };
  const sections = parseIni(readFileSync(file, 'utf8'));
  const base = dirname(file);
  const get = (section: string, key: string) => sections.get(section)?.get(key);
  // paths in ansible.cfg are relative to the file, as Ansible resolves them
  const paths = (value: string, separator: RegExp): string[] => value.split(separator).map((p) => p.trim()).filter((p) => p !== '').map((p) => resolve(base, p.replace(/^~(?=\/|$)/, homedir())));
  const bool = (section: string, key: string): boolean | undefined => {
    const entry = get(section, key);
    if (entry === undefined) return undefined;
    const value = ansibleBoolean(entry.value);
    if (value === undefined) config.problems.push(problem({ file, line: entry.line, col: 1 }, `${key} is '${entry.value}'`, { expected: 'a boolean (true/false, yes/no)' }));
    return value;
  };
  const int = (section: string, key: string): number | undefined => {
    const entry = get(section, key);
    if (entry === undefined) return undefined;
    const value = Number(entry.value);
    if (!Number.isInteger(value) || value < 1) config.problems.push(problem({ file, line: entry.line, col: 1 }, `${key} is '${entry.value}'`, { expected: 'a positive whole number' }));
    return Number.isInteger(value) && value >= 1 ? value : undefined;
  };
  const inventory = get('defaults', 'inventory') ?? get('defaults', 'hostfile');
  if (inventory) config.inventory = paths(inventory.value, /,/);
  const roles = get('defaults', 'roles_path');
  if (roles) config.rolesPath = paths(roles.value, /:/);
  const forks = int('defaults', 'forks');
  if (forks !== undefined) config.forks = forks;
  const timeout = int('defaults', 'timeout');
  if (timeout !== undefined) config.timeout = timeout;
  const user = get('defaults', 'remote_user');
  if (user) config.remoteUser = user.value;
  const key = get('defaults', 'private_key_file');
  if (key) config.privateKeyFile = paths(key.value, /\n/)[0]!;
  const hostKeyChecking = bool('defaults', 'host_key_checking');
  if (hostKeyChecking !== undefined) config.hostKeyChecking = hostKeyChecking;
  const become = bool('privilege_escalation', 'become');
  if (become !== undefined) config.become = become;
  const becomeUser = get('privilege_escalation', 'become_user');
  if (becomeUser) config.becomeUser = becomeUser.value;
  const becomeMethod = get('privilege_escalation', 'become_method');
  if (becomeMethod) config.becomeMethod = becomeMethod.value;
  const askPass = bool('privilege_escalation', 'become_ask_pass');
  if (askPass !== undefined) config.becomeAskPass = askPass;
  for (const [section, entries] of sections) {
    for (const name of entries.keys()) if (!(USED[section] ?? []).includes(name)) config.ignored.push(`[${section}] ${name}`);
  }
  return config;
}

/**
 * The connection variables of a host (ansible_host, ansible_port, ...) read into one typed object, with the
 * aliases the ssh connection plugin of Ansible 2.14 honours (when both are set, the later name in its list
 * wins: ansible_ssh_host over ansible_host, ansible_ssh_port over ansible_port, ...).
 *
 * Give it variables already templated (lib/vars): a `{{ ... }}` string is taken as it is.
 */
import { problem, type Problem, type SourcePos } from '../source/index.js';
import type { Vars } from './types.js';
import { ansibleBoolean } from '../ansible/index.js';

export interface ConnectionVars {
  /** where to connect: ansible_host, else the inventory name */
  host: string;
  port: number;
  user?: string;
  privateKeyFile?: string;
  connection: 'ssh' | 'local';
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: string;
  sshCommonArgs?: string;
}

export interface ConnectionVarsOptions {
  /** the host's inventory name (inventory_hostname) */
  hostName: string;
  /** the implicit localhost (not in the inventory) connects locally unless told otherwise */
  implicit?: boolean;
  /** where a variable was defined, for problems (e.g. from Inventory.hostVarSource and positionOf) */
  where?: (key: string) => SourcePos | undefined;
}


export function connectionVars(vars: Vars, opts: ConnectionVarsOptions): { value: ConnectionVars; problems: Problem[] } {
  const problems: Problem[] = [];
  const at = (key: string): SourcePos => opts.where?.(key) ?? { file: `<variables of ${opts.hostName}>`, line: 0, col: 0 };
  /** the last of `names` that is set, as Ansible's config loop picks it */
  const pick = (names: string[]): [string, unknown] | undefined => {
    let found: [string, unknown] | undefined;
    for (const n of names) if (vars[n] !== undefined && vars[n] !== null) found = [n, vars[n]];
    return found;
  };
  const text = (names: string[]): string | undefined => {
    const found = pick(names);
    if (!found) return undefined;
    const [key, v] = found;
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
    problems.push(problem(at(key), `${key} is ${Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : `the ${typeof v} ${String(v)}`}`, { expected: 'a string' }));
    return undefined;
  };

  const value: ConnectionVars = { host: text(['ansible_host', 'ansible_ssh_host']) ?? opts.hostName, port: 22, connection: 'ssh' };

  const port = pick(['ansible_port', 'ansible_ssh_port']);
  if (port) {
    const [key, v] = port;
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number.parseInt(v, 10) : NaN;
    if (Number.isInteger(n) && n >= 1 && n <= 65535) value.port = n;
    else problems.push(problem(at(key), `${key} is ${JSON.stringify(v)}`, { expected: 'a port number from 1 to 65535' }));
  }

  const user = text(['ansible_user', 'ansible_ssh_user']);
  if (user !== undefined) value.user = user;
  const key = text(['ansible_private_key_file', 'ansible_ssh_private_key_file']);
  if (key !== undefined) value.privateKeyFile = key;
  const sshArgs = text(['ansible_ssh_common_args']);
  if (sshArgs !== undefined) value.sshCommonArgs = sshArgs;

  const conn = text(['ansible_connection']);
  if (conn === undefined) value.connection = opts.implicit ? 'local' : 'ssh';
  else if (conn === 'local') value.connection = 'local';
  else if (conn === 'ssh' || conn === 'smart' || conn === 'ansible.builtin.ssh') value.connection = 'ssh';
  else if (conn === 'ansible.builtin.local') value.connection = 'local';
  else problems.push(problem(at('ansible_connection'), `ansible_connection '${conn}' is not supported`, { expected: "'ssh' or 'local'" }));

  const become = pick(['ansible_become']);
  if (become) {
    const [k, v] = become;
    const b = ansibleBoolean(v);
    if (b !== undefined) value.become = b;
    else problems.push(problem(at(k), `${k} is ${JSON.stringify(v)}`, { expected: 'a boolean (true/false, yes/no)' }));
  }
  const becomeUser = text(['ansible_become_user']);
  if (becomeUser !== undefined) value.becomeUser = becomeUser;
  const becomeMethod = text(['ansible_become_method']);
  if (becomeMethod !== undefined) value.becomeMethod = becomeMethod;

  return { value, problems };
}

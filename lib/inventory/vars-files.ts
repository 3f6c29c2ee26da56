/**
 * `group_vars/` and `host_vars/` beside an inventory (or a playbook), found and read as Ansible's
 * host_group_vars plugin does: for a name, the first of `NAME`, `NAME.yml`, `NAME.yaml`, `NAME.json` that
 * exists; a directory is read recursively, its files in lexical order, skipping hidden files and backups.
 */
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { loadYamlFile, positionOf, problem, type Problem } from '../source/index.js';
import type { Vars, VarLayer } from './types.js';

const varsExtensions = ['.yml', '.yaml', '.json'];

export interface VarsDir {
  /** the directory holding `group_vars/` and `host_vars/` */
  dir: string;
  /** One layer per file that defines variables for the group, in the order they apply. */
  groupVars(group: string): VarLayer[];
  hostVars(host: string): VarLayer[];
}

async function kindOf(path: string): Promise<'file' | 'dir' | undefined> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

async function filesInDir(dir: string): Promise<string[]> {
  const found: string[] = [];
  // Python's sorted() on names: code point order, not locale order
  const names = (await readdir(dir)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    if (name.startsWith('.') || name.endsWith('~')) continue;
    const ext = extname(name);
    const full = join(dir, name);
    const kind = await kindOf(full);
    if (kind === 'dir' && !ext) found.push(...(await filesInDir(full)));
    else if (kind === 'file' && (!ext || varsExtensions.includes(ext))) found.push(full);
  }
  return found;
}

/** The files that hold variables for `name` under `base` (`.../group_vars` or `.../host_vars`), in order. */
export async function findVarsFiles(base: string, name: string): Promise<string[]> {
  for (const ext of ['', ...varsExtensions]) {
    const path = join(base, name + ext);
    const kind = await kindOf(path);
    if (kind === 'dir') return filesInDir(path);
    if (kind === 'file') return [path];
  }
  return [];
}

/** Reads and checks one vars file; an empty file defines nothing, anything but a mapping is a problem. */
async function loadVarsFile(file: string, problems: Problem[]): Promise<Vars | undefined> {
  const loaded = await loadYamlFile(file);
  problems.push(...loaded.problems);
  if (loaded.problems.some((p) => p.severity === 'error')) return undefined;
  const value = loaded.value;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    const found = Array.isArray(value) ? 'a list' : `the ${typeof value} ${JSON.stringify(value)}`;
    problems.push(problem(positionOf(value) ?? { file, line: 1, col: 1 }, `variables file holds ${found}`, { expected: 'a mapping of variable names to values' }));
    return undefined;
  }
  return value as Vars;
}

/**
 * Loads the `group_vars/` and `host_vars/` of `dir` for the given group and host names (Ansible reads files
 * only for names it knows, so files for other names are neither read nor checked). Names that start with
 * `/` are skipped, as Ansible does for chroot-like host names.
 */
export async function loadVarsDir(dir: string, names: { groups: Iterable<string>; hosts: Iterable<string> }, problems: Problem[]): Promise<VarsDir> {
  const cache = new Map<string, Promise<Vars | undefined>>();
  const readOnce = (file: string): Promise<Vars | undefined> => {
    let pending = cache.get(file);
    if (!pending) {
      pending = loadVarsFile(file, problems);
      cache.set(file, pending);
    }
    return pending;
  };
  const load = async (sub: 'group_vars' | 'host_vars', entities: Iterable<string>): Promise<Map<string, VarLayer[]>> => {
    const out = new Map<string, VarLayer[]>();
    const base = join(dir, sub);
    const kind = await kindOf(base);
    if (kind === undefined) return out;
    if (kind !== 'dir') {
      problems.push(problem({ file: base, line: 0, col: 0 }, `${sub} is not a directory`, { expected: `a directory of variable files`, severity: 'warning' }));
      return out;
    }
    await Promise.all(
      [...new Set(entities)].map(async (name) => {
        if (name.startsWith('/')) return;
        const layers: VarLayer[] = [];
        for (const file of await findVarsFiles(base, name)) {
          const vars = await readOnce(file);
          if (vars) layers.push({ source: `${sub} file ${file}`, file, vars });
        }
        if (layers.length > 0) out.set(name, layers);
      }),
    );
    return out;
  };
  const [groups, hosts] = await Promise.all([load('group_vars', names.groups), load('host_vars', names.hosts)]);
  return {
    dir,
    groupVars: (group) => groups.get(group) ?? [],
    hostVars: (host) => hosts.get(host) ?? [],
  };
}

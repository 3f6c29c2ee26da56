/**
 * Loads inventory sources (`-i`): YAML/JSON inventory files, directories of them, and `host1,host2,` lists,
 * the way Ansible's yaml and host_list inventory plugins read them. Where Ansible only warns and skips a
 * part (an unknown key in a group, a group that is not a mapping, a source it cannot parse), this reports
 * an error: such input is a mistake, and a run against half an inventory is worse than no run.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { didYouMean, keyPositionOf, parseYaml, positionOf, problem, type Problem, type SourcePos } from '../source/index.js';
import { expandHostKey, localhostNames, parseAddress } from './address.js';
import { InventoryBuilder, setVar } from './build.js';
import { Inventory } from './inventory.js';
import { loadVarsDir, type VarsDir } from './vars-files.js';

export interface LoadOptions {
  /** resolve relative sources against this directory (default: process.cwd()) */
  cwd?: string;
}

export interface LoadResult {
  inventory: Inventory;
  /**
   * Every problem found, errors and warnings. When any is an error the inventory is incomplete: report the
   * problems (throwIfErrors) rather than run against it.
   */
  problems: Problem[];
}

const groupKeys = ['hosts', 'children', 'vars'];
const yamlExtensions = ['.yml', '.yaml', '.json'];
// Ansible's INVENTORY_IGNORE_EXTS and IGNORED_ALWAYS: files a directory source skips
const ignoredInDirectory = /^\.|^host_vars$|^group_vars$|^vars_plugins$|(?:\.pyc|\.pyo|\.swp|\.bak|~|\.rpm|\.md|\.txt|\.rst|\.orig|\.ini|\.cfg|\.retry)$/;

type Mapping = Record<string, unknown>;

function isMapping(v: unknown): v is Mapping {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (isMapping(v)) return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return `the ${typeof v} ${String(v)}`;
}

/** Python's falsy values: Ansible reads `host: ''`, `host: 0` or `host: []` as a host without variables. */
function isFalsy(v: unknown): boolean {
  return v === null || v === undefined || v === false || v === 0 || v === '' || (Array.isArray(v) && v.length === 0) || (isMapping(v) && Object.keys(v).length === 0);
}

/** Python's int() on a priority: integers, numeric strings, booleans; floats are truncated. */
function toPriority(v: unknown): number | undefined {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'string' && /^\s*[+-]?\d+(?:_\d+)*\s*$/.test(v)) return Number.parseInt(v.replace(/_/g, ''), 10);
  return undefined;
}

/**
 * didYouMean, and a long shared start for the misspellings it finds too far (`childs` for `children`: three
 * edits in a short word, but the same stem).
 */
function suggestKey(key: string, candidates: readonly string[]): string | undefined {
  const near = didYouMean(key, candidates);
  if (near) return near;
  const k = key.toLowerCase();
  const stem = candidates.find((c) => {
    let n = 0;
    while (n < c.length && n < k.length && c[n] === k[n]) n++;
    return n >= 4;
  });
  return stem === undefined ? undefined : `did you mean '${stem}'?`;
}

function looksLikeIni(text: string): boolean {
  return /^\s*\[[^\]\n]+\]\s*$/m.test(text);
}

async function kindOf(path: string): Promise<'file' | 'dir' | 'missing' | 'other'> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other';
  } catch {
    return 'missing';
  }
}

class YamlInventoryParser {
  constructor(
    private readonly inv: InventoryBuilder,
    private readonly problems: Problem[],
    private readonly file: string,
  ) {}

  private error(pos: SourcePos | undefined, message: string, extra: { expected?: string; hint?: string } = {}): void {
    this.problems.push(problem(pos ?? { file: this.file, line: 0, col: 0 }, message, extra));
  }

  parse(root: Mapping): void {
    if ('plugin' in root) {
      this.error(keyPositionOf(root, 'plugin'), `'plugin: ${String(root.plugin)}' makes this an inventory plugin configuration, which typebook does not run`, {
        expected: 'a YAML inventory (groups with hosts, children and vars)',
      });
      return;
    }
    for (const [name, data] of Object.entries(root)) this.group(name, data, root, keyPositionOf(root, name));
  }

  /** A section given as one name (`hosts: web1`) means that one entry, as in Ansible. */
  private section(group: string, data: Mapping, key: string): Mapping | undefined {
    const value = data[key];
    if (value === null || value === undefined) return undefined;
    if (typeof value === 'string') return { [value]: null };
    if (isMapping(value)) return value;
    const expected = key === 'vars' ? 'a mapping of variable names to values' : key === 'hosts' ? 'a mapping of host names to their variables (or to nothing)' : 'a mapping of child group names to their definitions (or to nothing)';
    const hint = Array.isArray(value) && key !== 'vars' ? `write each one as a key ending in ':', not as a list item` : undefined;
    this.error(positionOf(data, key), `'${key}' of group '${group}' is ${describe(value)}`, hint ? { expected, hint } : { expected });
    return undefined;
  }

  /** Parses a group definition; returns false when the definition is not usable. */
  private group(name: string, data: unknown, container: Mapping, keyPos: SourcePos | undefined): boolean {
    if (data !== null && data !== undefined && !isMapping(data)) {
      this.error(positionOf(container, name) ?? keyPos, `group '${name}' is ${describe(data)}`, {
        expected: 'a mapping with hosts, children or vars (or nothing)',
        ...(Array.isArray(data) ? { hint: `list hosts under 'hosts:' as keys, e.g. 'hosts: {web1: }'` } : {}),
      });
      return false;
    }
    if (name === '') {
      this.error(keyPos, 'a group has an empty name', { expected: 'a group name' });
      return false;
    }
    this.inv.addGroup(name, keyPos);
    if (!data) return true;
    for (const key of Object.keys(data)) {
      if (groupKeys.includes(key)) continue;
      const hint = suggestKey(key, groupKeys);
      this.error(keyPositionOf(data, key), `unknown key '${key}' in group '${name}'`, { expected: 'hosts, children or vars', ...(hint ? { hint } : {}) });
    }
    // keys in the order written: it decides the order of hosts and groups, as in Ansible
    for (const key of Object.keys(data)) {
      if (key === 'vars') this.vars(name, data);
      else if (key === 'children') this.children(name, data);
      else if (key === 'hosts') this.hosts(name, data);
    }
    return true;
  }

  private vars(group: string, data: Mapping): void {
    const vars = this.section(group, data, 'vars');
    if (!vars) return;
    const g = this.inv.groups.get(group)!;
    for (const [k, v] of Object.entries(vars)) {
      if (k === 'ansible_group_priority') {
        const priority = toPriority(v);
        if (priority === undefined) this.error(positionOf(vars, k), `ansible_group_priority of group '${group}' is ${describe(v)}`, { expected: 'an integer' });
        else g.priority = priority;
      } else setVar(g.vars, k, v, positionOf(vars, k));
    }
  }

  private children(group: string, data: Mapping): void {
    const children = this.section(group, data, 'children');
    if (!children) return;
    const where = (child: string): SourcePos | undefined => keyPositionOf(children, child) ?? positionOf(data, 'children');
    for (const [child, def] of Object.entries(children)) {
      if (!this.group(child, def, children, where(child))) continue;
      const loop = this.inv.addChild(group, child);
      if (loop) {
        this.error(where(child), `group '${child}' under '${group}' makes a cycle of children: ${loop.cycle.join(' -> ')}`, {
          expected: 'children that never contain their own ancestors',
        });
      }
    }
  }

  private hosts(group: string, data: Mapping): void {
    const hosts = this.section(group, data, 'hosts');
    if (!hosts) return;
    for (const [key, value] of Object.entries(hosts)) {
      const pos = keyPositionOf(hosts, key) ?? positionOf(data, 'hosts');
      const expanded = expandHostKey(key);
      if (!expanded.ok) {
        this.error(pos, expanded.message, { expected: "a host name, optionally with ranges like web[01:10] or db-[a:f] and a ':port'" });
        continue;
      }
      if (key === '') {
        this.error(pos, `a host in group '${group}' has an empty name`, { expected: 'a host name' });
        continue;
      }
      let vars: Mapping = {};
      if (!isFalsy(value)) {
        if (!isMapping(value)) {
          this.error(positionOf(hosts, key), `variables of host '${key}' in group '${group}' are ${describe(value)}`, { expected: 'a mapping of variable names to values (or nothing)' });
          continue;
        }
        vars = value;
      }
      for (const name of expanded.hosts) {
        const host = this.inv.addHost(name, { group, ...(expanded.port !== undefined ? { port: expanded.port } : {}), inventoryFile: this.file, ...(pos ? { pos } : {}) });
        for (const [k, v] of Object.entries(vars)) setVar(host.vars, k, v, positionOf(vars, k));
      }
    }
  }
}

async function loadFile(file: string, inv: InventoryBuilder, problems: Problem[]): Promise<void> {
  const ext = extname(file);
  const at = { file, line: 0, col: 0 };
  if (ext === '.ini' || ext === '.cfg') {
    problems.push(problem(at, 'INI inventories are not supported', { expected: 'a YAML inventory (.yml, .yaml, .json or no extension)' }));
    return;
  }
  if (ext && !yamlExtensions.includes(ext)) {
    problems.push(problem(at, `'${ext}' is not an inventory file extension typebook reads`, { expected: 'a YAML inventory (.yml, .yaml, .json or no extension)' }));
    return;
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    problems.push(problem(at, `cannot read inventory: ${(err as NodeJS.ErrnoException).code ?? String(err)}`));
    return;
  }
  const loaded = parseYaml(text, file);
  const notMapping = loaded.problems.length === 0 && !isMapping(loaded.value);
  if ((loaded.problems.length > 0 || notMapping) && looksLikeIni(text)) {
    problems.push(problem(at, 'this looks like an INI inventory, which is not supported', { expected: 'a YAML inventory: only YAML inventories are supported' }));
    return;
  }
  problems.push(...loaded.problems);
  if (loaded.problems.some((p) => p.severity === 'error')) return;
  if (loaded.value === undefined || loaded.value === null) {
    problems.push(problem({ file, line: 1, col: 1 }, 'the inventory file is empty', { expected: 'a mapping of group names (e.g. all:) to their hosts, children and vars' }));
    return;
  }
  if (!isMapping(loaded.value)) {
    problems.push(problem(positionOf(loaded.value) ?? { file, line: 1, col: 1 }, `the inventory is ${describe(loaded.value)}`, { expected: 'a mapping of group names (e.g. all:) to their hosts, children and vars' }));
    return;
  }
  new YamlInventoryParser(inv, problems, file).parse(loaded.value);
}

async function loadDirectory(dir: string, inv: InventoryBuilder, problems: Problem[]): Promise<void> {
  const names = (await readdir(dir)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    if (ignoredInDirectory.test(name)) continue;
    const full = join(dir, name);
    const kind = await kindOf(full);
    if (kind === 'dir') await loadDirectory(full, inv, problems);
    else if (kind === 'file') await loadFile(full, inv, problems);
  }
}

/** `-i host1,host2:2222,` as Ansible's host_list plugin reads it: every name lands in `ungrouped`. */
function loadHostList(list: string, inv: InventoryBuilder): void {
  for (const raw of list.split(',')) {
    const h = raw.trim();
    if (!h) continue;
    const parsed = parseAddress(h, false);
    const name = parsed?.host ?? h;
    if (inv.hosts.has(name)) continue;
    inv.addHost(name, { group: 'ungrouped', inventoryFile: list, ...(parsed?.port !== undefined ? { port: parsed.port } : {}) });
  }
}

/**
 * Loads inventory sources in order (later sources add to and override earlier ones, as repeated `-i` in
 * Ansible). Never throws for bad input: problems are returned, with file:line:col.
 */
export async function loadInventory(sources: readonly string[], opts: LoadOptions = {}): Promise<LoadResult> {
  const cwd = opts.cwd ?? process.cwd();
  const inv = new InventoryBuilder();
  const problems: Problem[] = [];
  const varsDirOf: Array<string | undefined> = [];
  for (const source of sources) {
    const path = resolve(cwd, source);
    const kind = await kindOf(path);
    if (kind === 'missing' && source.includes(',')) {
      loadHostList(source, inv);
      varsDirOf.push(undefined);
    } else if (kind === 'missing' || kind === 'other') {
      problems.push(problem({ file: source, line: 0, col: 0 }, kind === 'missing' ? 'inventory source not found' : 'inventory source is neither a file nor a directory', { expected: 'a YAML inventory file, a directory of them, or a host list like host1,host2,' }));
      varsDirOf.push(undefined);
    } else if (kind === 'dir') {
      await loadDirectory(path, inv, problems);
      varsDirOf.push(path);
    } else {
      await loadFile(path, inv, problems);
      varsDirOf.push(dirname(path));
    }
  }
  inv.reconcile();
  for (const host of inv.hosts.values()) {
    if (inv.groups.has(host.name)) problems.push(problem(host.pos, `Found both group and host with same name: ${host.name}`, { severity: 'warning' }));
  }
  // the implicit localhost may be used too, so its host_vars are read as well
  const names = { groups: [...inv.groups.keys()], hosts: [...inv.hosts.keys(), ...localhostNames] };
  const loadedDirs = new Map<string, Promise<VarsDir>>();
  const varsDirs: VarsDir[] = [];
  for (const dir of varsDirOf) {
    if (dir === undefined) continue;
    let pending = loadedDirs.get(dir);
    if (!pending) {
      pending = loadVarsDir(dir, names, problems);
      loadedDirs.set(dir, pending);
    }
    varsDirs.push(await pending);
  }
  return { inventory: new Inventory(inv.groups, inv.hosts, sources, varsDirs), problems };
}

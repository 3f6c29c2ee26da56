/**
 * Ansible's lookup plugins (ansible-core 2.14's, the ones roles use), behind `lookup()`, `query()`/`q()` and the
 * `with_<name>` loop keywords. Each keeps its plugin's run(): what it does with its terms and options, and
 * what it raises. Lookups run on the controller: `pipe` runs its command here, as Ansible's does, and `file`
 * reads the controller's files, found along the task's search path (ansible_search_path).
 */
import { execSync } from 'node:child_process';
import { opendirSync, readFileSync, statSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { hostname } from 'node:os';
import { ansibleBoolean, fnmatch, findInSearchPath, templateLookupSearchPath } from '../ansible/index.js';
import { parseKeyValue } from '../playbook/kv.js';
import { Undefined, TemplateRuntimeError, UndefinedError, defineKey, entries, failIfUndefined, hasKey, isDict, percentFormat, repr, str, tuple, type Dict } from './python.js';
import { pythonRegex } from './regex.js';

/** What a lookup may use: the variables of the template that calls it (or of the looped task). */
export interface LookupEnvironment {
  /** every variable, readable by name and listable (varnames) */
  readonly vars: Dict;
  /** a template file's text rendered with the variables and `extra` over them, its includes found along `searchPath` (the template lookup) */
  renderTemplate(text: string, file: string, extra: Dict, searchPath: readonly string[]): string;
  /** the subdir first_found looks in: 'files', or 'vars'/'templates' when a with_first_found loops an include_vars/template task */
  readonly subdir?: string;
  /** errors='warn', and the file lookups' "Unable to find" */
  warn(message: string): void;
}

/** AnsibleLookupError (`handled`: the plugin chose to fail) or another AnsibleError of a plugin. */
export class LookupFailure extends TemplateRuntimeError {
  override name = 'LookupFailure';
  constructor(
    message: string,
    readonly handled = false,
  ) {
    super(message);
  }
}

export interface LookupDefinition {
  /** terms: the lookup's arguments, or a with_ loop's value made a list (a mapping stays one, for `dict`) */
  run(terms: unknown[], options: Dict, env: LookupEnvironment): unknown[];
  /** with_dict: a mapping given to the loop is its one term, where other lookups would iterate its keys */
  readonly mappingTerm?: boolean;
}

/** the directories the task's files are searched in: ansible_search_path when set, else the role's or playbook's */
function searchPath(env: LookupEnvironment): string[] {
  const paths = env.vars.ansible_search_path;
  if (Array.isArray(paths)) return paths.map(String);
  return [basedir(env, true)];
}

/** LookupBase.get_basedir (`role`: role_path first), or the loader's base directory: the playbook's */
function basedir(env: LookupEnvironment, role = false): string {
  const rolePath = role ? env.vars.role_path : undefined;
  const dir = rolePath ?? env.vars.playbook_dir;
  return typeof dir === 'string' ? dir : process.cwd();
}

function findFile(env: LookupEnvironment, subdir: string, needle: string, ignoreMissing = false): string | undefined {
  const found = findInSearchPath(searchPath(env), subdir, needle, basedir(env));
  if (found === undefined && !ignoreMissing) env.warn(`Unable to find '${needle}' in expected paths (use -vvvvv to see paths)`);
  return found;
}

/** a bool option as the plugin config reads it (yes/no words too) */
function boolOption(options: Dict, name: string, dflt: boolean): boolean {
  const v = options[name];
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'boolean') return v;
  const b = ansibleBoolean(String(v));
  if (b === undefined) throw new TemplateRuntimeError(`Invalid type for configuration option ${name}: ${repr(v)} is not a valid boolean`);
  return b;
}

/** LookupBase._flatten: one level */
function flatten(terms: readonly unknown[]): unknown[] {
  return terms.flatMap((t) => (Array.isArray(t) ? t : [t]));
}

/** the terms of a nested/together/subelements argument: listify_lookup_plugin_terms of an already rendered value */
function listify(value: unknown): unknown[] {
  if (typeof value === 'string' || !(Array.isArray(value) || isDict(value))) return [value];
  return Array.isArray(value) ? value : Object.keys(value);
}

/** Python's str.splitlines boundaries */
const LINE_BREAKS = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

/** subprocess.Popen(shell=True) from the loader's base directory: stdout, or the plugin's error */
function shell(name: string, command: string, env: LookupEnvironment): string {
  try {
    return execSync(command, { cwd: basedir(env), shell: '/bin/sh', stdio: ['pipe', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  } catch (err) {
    const status = (err as { status?: number | null }).status;
    throw new LookupFailure(`lookup_plugin.${name}(${command}) returned ${status ?? -1}`);
  }
}

/** first_found's _split_on: strings split on the separators, lists walked */
function splitOn(value: unknown, separators: RegExp): string[] {
  if (typeof value === 'string') return value.split(separators);
  if (Array.isArray(value)) return value.flatMap((v) => splitOn(v, separators));
  if (value === undefined || value === null) return [];
  return splitOn(str(value), separators);
}

/** a list option as the plugin config reads it: a string is split on commas */
function listOption(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value.split(',').map((s) => s.trim());
  return Array.isArray(value) ? value : [value];
}

/** first_found's _process_terms: the paths to try, and whether finding none is an empty result */
function firstFoundSearch(terms: readonly unknown[], kwargs: Dict): { search: unknown[]; skip: boolean } {
  let search: unknown[] = [];
  let skip = false;
  for (const term of terms) {
    let options: Dict;
    if (isDict(term)) options = term;
    else if (typeof term === 'string') options = kwargs;
    else if (Array.isArray(term)) {
      const partial = firstFoundSearch(term, kwargs);
      search.push(...partial.search);
      skip = partial.skip;
      continue;
    } else throw new LookupFailure(`Invalid term supplied, can handle string, mapping or list of strings but got: ${typeName(term)} for ${repr(term)}`, true);
    const files = splitOn(listOption(options.files), /[,;]/);
    const paths = splitOn(listOption(options.paths), /[,:;]/);
    skip = boolOption(options, 'skip', false);
    if (paths.length > 0) for (const path of paths) for (const file of files) search.push(join(path, file));
    // as the plugin does: a files list replaces what earlier terms gave
    else if (files.length > 0) search = files;
    else search.push(term);
  }
  return { search, skip };
}

function typeName(v: unknown): string {
  return `<class '${v === null ? 'NoneType' : typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'float') : typeof v === 'boolean' ? 'bool' : 'object'}'>`;
}

/** Python's int(text, 0): 0x/0o/0b prefixes, no leading zeros on decimals */
function pythonInt(text: string): number {
  const t = text.trim().replace(/_(?=[0-9a-fA-F])/g, '');
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|[1-9][0-9]*|0+)$/.exec(t);
  if (!m) throw new TemplateRuntimeError(`invalid literal for int() with base 0: ${repr(text)}`);
  const body = m[2]!;
  const value = /^0[xXoObB]/.test(body) ? Number(body.toLowerCase()) : Number(body);
  return m[1] === '-' ? -value : value;
}

const SEQUENCE_SHORTCUT = /^((0?x?[0-9a-f]+)-)?(0?x?[0-9a-f]+)(\/(0?x?[0-9a-f]+))?(:(.+))?$/i;

/** the sequence lookup for one term: [start-]end[/stride][:format] or start= end= count= stride= format= */
function sequence(term: string): string[] {
  let start = 1;
  let end: number | undefined;
  let count: number | undefined;
  let stride = 1;
  let format = '%d';
  const int = (name: string, raw: string): number => {
    try {
      return pythonInt(raw);
    } catch {
      throw new LookupFailure(`can't parse ${name}=${raw} as integer`);
    }
  };
  const m = SEQUENCE_SHORTCUT.exec(term);
  if (m) {
    if (m[2] !== undefined) start = int('start', m[2]);
    end = int('end', m[3]!);
    if (m[5] !== undefined) stride = int('stride', m[5]);
    if (m[7] !== undefined) format = m[7];
  } else {
    const parsed = parseKeyValue(term);
    const args: Dict = { ...parsed.args, ...(parsed.rest !== '' ? { _raw_params: parsed.rest } : {}) };
    for (const name of ['start', 'end', 'count', 'stride'] as const) {
      const raw = args[name];
      delete args[name];
      if (raw === undefined) continue;
      const v = int(name, String(raw));
      if (name === 'start') start = v;
      else if (name === 'end') end = v;
      else if (name === 'count') count = v;
      else stride = v;
    }
    if ('format' in args) {
      format = String(args.format);
      delete args.format;
    }
    const left = Object.keys(args);
    if (left.length > 0) throw new LookupFailure(`unrecognized arguments to with_sequence: [${left.map((k) => repr(k)).join(', ')}]`);
  }
  if (count === undefined && end === undefined) throw new LookupFailure('must specify count or end in with_sequence');
  if (count !== undefined && end !== undefined) throw new LookupFailure("can't specify both count and end in with_sequence");
  if (count !== undefined) {
    if (count !== 0) end = start + count * stride - 1;
    else [start, end, stride] = [0, 0, 0];
  }
  const last = end!;
  if (stride > 0 && last < start) throw new LookupFailure('to count backwards make stride negative');
  if (stride < 0 && last > start) throw new LookupFailure("to count forward don't make stride negative");
  if (format.split('%').length - 1 !== 1) throw new LookupFailure(`bad formatting string: ${format}`);
  if (stride === 0) return [];
  const out: string[] = [];
  // range(start, end + adjust, stride)
  const stop = last + (stride >= 0 ? 1 : -1);
  for (let i = start; stride > 0 ? i < stop : i > stop; i += stride) {
    try {
      out.push(percentFormat(format, i));
    } catch {
      throw new LookupFailure(`problem formatting ${i} with ${repr(format)}`);
    }
  }
  return out;
}

/** subelements: each element of the list (or the mapping's values) with each item of its `subkey` list */
function subelements(terms: unknown[]): unknown[] {
  const fail = (msg = ''): never => {
    throw new LookupFailure(`subelements lookup expects a list of two or three items, ${msg}`);
  };
  if (terms.length < 2 || terms.length > 3) fail();
  const first = Array.isArray(terms[0]) || isDict(terms[0]) ? terms[0] : listify(terms[0]);
  if (!(Array.isArray(first) || isDict(first)) || typeof terms[1] !== 'string') fail('first a dict or a list, second a string pointing to the subkey');
  const path = (terms[1] as string).split('.');
  let elements: unknown[];
  if (isDict(first)) {
    // a registered result that was skipped as a whole
    if (hasKey(first, 'skipped') && first.skipped !== false) return [];
    elements = Object.values(first);
  } else elements = first as unknown[];
  const flags = terms.length === 3 ? terms[2] : {};
  if (!isDict(flags) && !(Array.isArray(flags) && flags.every((k) => k === 'skip_missing'))) fail("the optional third item must be a dict with flags ['skip_missing']");
  const skipMissing = isDict(flags) && flags.skip_missing !== undefined ? (typeof flags.skip_missing === 'boolean' ? flags.skip_missing : ansibleBoolean(String(flags.skip_missing)) ?? false) : false;
  const out: unknown[] = [];
  for (const element of elements) {
    if (!isDict(element)) throw new LookupFailure(`subelements lookup expects a dictionary, got '${str(element)}'`);
    if (hasKey(element, 'skipped') && element.skipped !== false) continue;
    // the plugin pops the list out of the element it yields: item.0 lacks it; a copy keeps the variable whole
    const top: Dict = { ...element };
    let value: Dict = top;
    let sublist: unknown[] = [];
    for (const [i, key] of path.entries()) {
      const last = i === path.length - 1;
      if (!hasKey(value, key)) {
        if (skipMissing) continue;
        throw new LookupFailure(`could not find '${key}' key in iterated item '${str(value)}'`);
      }
      const next = value[key];
      if (!last) {
        if (!isDict(next)) {
          if (skipMissing) continue;
          throw new LookupFailure(`the key ${key} should point to a dictionary, got '${str(next)}'`);
        }
        const copy: Dict = { ...next };
        value[key] = copy;
        value = copy;
      } else {
        if (!Array.isArray(next)) throw new LookupFailure(`the key ${key} should point to a list, got '${str(next)}'`);
        sublist = next;
        delete value[key];
      }
    }
    for (const sub of sublist) out.push(tuple([top, sub]));
  }
  return out;
}

/** Python's glob.glob of one pattern in one directory: directory order, hidden names only for a dot pattern, files only */
function globFiles(dir: string, pattern: string): string[] {
  const out: string[] = [];
  let handle;
  try {
    handle = opendirSync(dir);
  } catch {
    return out;
  }
  try {
    for (let entry = handle.readSync(); entry !== null; entry = handle.readSync()) {
      if (entry.name.startsWith('.') && !pattern.startsWith('.')) continue;
      if (!fnmatch(entry.name, pattern)) continue;
      const path = join(dir, entry.name);
      try {
        if (statSync(path).isFile()) out.push(path);
      } catch {
        // a dangling link is no file
      }
    }
  } finally {
    handle.closeSync();
  }
  return out;
}

export const lookups: Readonly<Record<string, LookupDefinition>> = {
  file: {
    run(terms, options, env) {
      return terms.map((term) => {
        const found = findFile(env, 'files', str(term));
        if (!found) throw new LookupFailure(`could not locate file in lookup: ${str(term)}`);
        let contents = readFileSync(found, 'utf8');
        if (boolOption(options, 'lstrip', false)) contents = contents.trimStart();
        if (boolOption(options, 'rstrip', true)) contents = contents.trimEnd();
        return contents;
      });
    },
  },
  template: {
    run(terms, options, env) {
      const extra = options.template_vars ?? {};
      if (!isDict(extra)) throw new TemplateRuntimeError(`Invalid type for configuration option template_vars: ${repr(extra)} is not a dict`);
      return terms.map((term) => {
        const found = findFile(env, 'templates', str(term));
        if (!found) throw new LookupFailure(`the template file ${str(term)} could not be found for the lookup`);
        // generate_ansible_template_vars: what the template module adds too
        const added: Dict = { template_host: hostname(), template_path: resolve(found), template_fullpath: resolve(found), template_destpath: null, template_run_date: new Date().toISOString(), ansible_managed: 'Ansible managed' };
        const paths = env.vars.ansible_search_path;
        return env.renderTemplate(readFileSync(found, 'utf8'), found, { ...added, ...extra }, templateLookupSearchPath(Array.isArray(paths) ? paths.map(String) : undefined, found));
      });
    },
  },
  env: {
    run(terms, options) {
      const dflt = options.default ?? '';
      return terms.map((term) => {
        const name = str(term).split(/\s+/).filter((w) => w !== '')[0] ?? '';
        const value = process.env[name] ?? dflt;
        if (value instanceof Undefined) throw new UndefinedError(new Undefined(value.name, `The "env" lookup, found an undefined variable: ${name}`, value.line, value.col));
        return value;
      });
    },
  },
  first_found: {
    run(terms, options, env) {
      const { search, skip } = firstFoundSearch(terms, options);
      const subdir = env.subdir ?? 'files';
      for (const fn of search) {
        // what stayed a template could not be rendered (an undefined variable): the plugin moves on
        if (typeof fn === 'string' && (fn.includes('{{') || fn.includes('{%'))) continue;
        if (typeof fn !== 'string') throw new TemplateRuntimeError(`expected str, bytes or os.PathLike object, not ${typeName(fn)}`);
        const found = findFile(env, subdir, fn, true);
        if (found !== undefined) return [found];
      }
      if (skip) return [];
      throw new LookupFailure('No file was found when using first_found.', true);
    },
  },
  fileglob: {
    run(terms, _options, env) {
      const out: string[] = [];
      for (const raw of terms) {
        const term = str(raw);
        const file = basename(term);
        const dirs: (string | undefined)[] = file !== term ? [findFile(env, 'files', dirname(term))] : searchPath(env).flatMap((p) => [join(p, 'files'), p]);
        for (const dir of dirs) {
          if (dir === undefined) continue;
          const found = globFiles(dir, file);
          if (found.length > 0) {
            out.push(...found);
            break;
          }
        }
      }
      return out;
    },
  },
  pipe: {
    run: (terms, _options, env) => terms.map((term) => shell('pipe', str(term), env).trimEnd()),
  },
  lines: {
    run(terms, _options, env) {
      return terms.flatMap((term) => {
        const lines = shell('lines', str(term), env).split(LINE_BREAKS);
        if (lines.at(-1) === '') lines.pop();
        return lines;
      });
    },
  },
  varnames: {
    run(terms, _options, env) {
      const names = Object.keys(env.vars);
      return terms.flatMap((term) => {
        if (typeof term !== 'string') throw new LookupFailure(`Invalid setting identifier, "${str(term)}" is not a string, it is a ${typeName(term)}`);
        let re: RegExp;
        try {
          re = pythonRegex(term);
        } catch (err) {
          throw new LookupFailure(`Unable to use "${term}" as a search parameter: ${(err as Error).message}`);
        }
        return names.filter((name) => {
          re.lastIndex = 0;
          return re.test(name);
        });
      });
    },
  },
  items: { run: (terms) => flatten(terms) },
  list: { run: (terms) => terms },
  dict: {
    mappingTerm: true,
    run(terms) {
      return terms.flatMap((term) => {
        if (!isDict(term)) throw new LookupFailure('with_dict expects a dict');
        return entries(term).map(([key, value]) => {
          const pair: Dict = {};
          defineKey(pair, 'key', key);
          defineKey(pair, 'value', value);
          return pair;
        });
      });
    },
  },
  indexed_items: { run: (terms) => flatten(terms).map((item, i) => tuple([i, item])) },
  subelements: { run: (terms) => subelements(terms) },
  together: {
    run(terms) {
      const lists = terms.map(listify);
      if (lists.length === 0) throw new LookupFailure('with_together requires at least one element in each list');
      const longest = Math.max(...lists.map((l) => l.length));
      // zip_longest, each tuple flattened one level
      return Array.from({ length: longest }, (_, i) => flatten(lists.map((l) => (i < l.length ? l[i] : null))));
    },
  },
  nested: {
    run(terms) {
      const lists = terms.map(listify);
      if (lists.length === 0) throw new LookupFailure('with_nested requires at least one element in the nested list');
      let result: unknown[] = lists[0]!;
      for (const next of lists.slice(1)) result = result.flatMap((x) => next.map((y) => flatten([x, y])));
      return result.map((x) => (Array.isArray(x) ? flatten(x) : [x]));
    },
  },
  sequence: { run: (terms) => terms.flatMap((term) => sequence(str(term))) },
  random_choice: { run: (terms) => (terms.length > 0 ? [terms[randomInt(terms.length)]] : terms) },
};

/** `ansible.builtin.file` and `file` are one lookup */
export function lookupName(name: string): string {
  return name.replace(/^ansible\.(?:builtin|legacy)\./, '');
}

export function findLookup(name: string): LookupDefinition | undefined {
  const short = lookupName(name);
  return Object.prototype.hasOwnProperty.call(lookups, short) ? lookups[short] : undefined;
}

/** The lookup names, short and with ansible.builtin., for "did you mean". */
export function lookupNames(): string[] {
  return Object.keys(lookups).flatMap((n) => [n, `ansible.builtin.${n}`]);
}

/**
 * A with_<name> loop's items: the loop's value made a list as listify_lookup_plugin_terms does (a string is
 * one term), run through the lookup.
 */
export function loopItems(name: string, value: unknown, env: LookupEnvironment): unknown[] {
  const lookup = findLookup(name);
  if (!lookup) throw new TemplateRuntimeError(`Unexpected failure in finding the lookup named '${name}' in the available lookup plugins`);
  let terms: unknown[];
  if (typeof value === 'string' || !(Array.isArray(value) || isDict(value))) terms = [value];
  else if (isDict(value)) terms = lookup.mappingTerm ? [value] : Object.keys(value);
  else terms = value;
  return lookup.run(terms, {}, env);
}

/**
 * Templar._lookup: `lookup(name, *terms, wantlist=, errors=, **options)` and query (wantlist). A list result
 * of strings is joined with commas unless wantlist; errors='warn'/'ignore' turn a plugin's failure into
 * None ([] with wantlist); an undefined variable always fails.
 */
export function callLookup(name: unknown, args: unknown[], kwargs: Dict, env: LookupEnvironment, query: boolean): unknown {
  failIfUndefined(name);
  const lookup = typeof name === 'string' ? findLookup(name) : undefined;
  if (!lookup) throw new TemplateRuntimeError(`lookup plugin (${str(name)}) not found`);
  const { wantlist: wantlistArg, errors: errorsArg, allow_unsafe: _unsafe, ...options } = kwargs;
  const wantlist = query || Boolean(wantlistArg);
  const errors = errorsArg === undefined ? 'strict' : str(errorsArg);
  for (const a of args) failIfUndefined(a);
  let ran: unknown[];
  try {
    ran = lookup.run([...args], options, env);
  } catch (err) {
    if (err instanceof UndefinedError || !(err instanceof TemplateRuntimeError)) throw err;
    const handled = err instanceof LookupFailure && err.handled;
    // AnsibleError(msg, orig_exc=e) appends the original message once more
    const unhandled = `An unhandled exception occurred while running the lookup plugin '${str(name)}'. Error was a <class 'ansible.errors.AnsibleError'>, original message: ${err.message}. ${err.message}`;
    if (errors === 'warn') env.warn(handled ? `Lookup failed but the error is being ignored: ${err.message}` : unhandled);
    else if (errors !== 'ignore') throw handled ? err : new TemplateRuntimeError(unhandled);
    return wantlist ? [] : null;
  }
  if (wantlist || ran.length === 0) return ran;
  // ",".join(ran); a list holding other than strings: its one item, or the list
  if (ran.every((r) => typeof r === 'string')) return ran.join(',');
  return ran.length === 1 ? ran[0] : ran;
}


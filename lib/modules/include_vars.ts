import { Type } from '@sinclair/typebox';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { findInSearchPath, searchCandidates } from '../ansible/index.js';
import { parseYaml } from '../source/index.js';
import { pythonRegex } from '../template/regex.js';
import { List, StringEnum } from './args.js';
import { isPlainObject } from './coerce.js';
import { defineModule, type ModuleResult, type TaskSource } from './module.js';

const dirArguments = ['dir', 'depth', 'files_matching', 'ignore_files', 'extensions', 'ignore_unknown_extensions'] as const;

/** The file an include_vars `file` names: looked for in vars/ along the task's search path, as the action's _find_needle does. */
export function includeVarsFile(file: string, source: TaskSource): { found?: string; candidates: string[] } {
  const found = findInSearchPath(source.searchPath, 'vars', file, source.playbookDir);
  return { ...(found !== undefined ? { found } : {}), candidates: searchCandidates(source.searchPath, 'vars', file, source.playbookDir) };
}

/** The directory an include_vars `dir` names (_set_root_dir): under the role's vars/, or next to the task's file. */
export function includeVarsDir(dir: string, source: TaskSource): string {
  if (source.rolePath !== undefined) {
    if (dir.split('/')[0] === 'vars') {
      const inRole = join(source.rolePath, dir);
      return existsSync(inRole) ? inRole : dir;
    }
    return join(source.rolePath, 'vars', dir);
  }
  return join(dirname(source.file), dir);
}

/** os.walk of `root`, sorted by directory, each directory's files sorted; `depth` directories at most (0: all) */
function walk(root: string, depth: number): { dir: string; files: string[] }[] {
  const out: { dir: string; files: string[] }[] = [];
  const visit = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    const files: string[] = [];
    const dirs: string[] = [];
    for (const name of names) {
      try {
        (statSync(join(dir, name)).isDirectory() ? dirs : files).push(name);
      } catch {
        files.push(name);
      }
    }
    out.push({ dir, files });
    for (const sub of dirs) visit(join(dir, sub));
  };
  visit(root);
  out.sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
  const kept = depth === 0 ? out : out.slice(0, depth);
  for (const d of kept) d.files.sort();
  return kept;
}

/** a vars file, as _load_files reads it: empty is {}, anything but a mapping fails */
async function loadVarsFile(path: string): Promise<{ vars?: Record<string, unknown>; error?: string }> {
  const loaded = parseYaml(await readFile(path, 'utf8'), path);
  const error = loaded.problems.find((p) => p.severity === 'error');
  if (error) return { error: `${path}: ${error.message}` };
  const value = loaded.value ?? {};
  if (value === false || value === 0 || value === '') return { vars: {} };
  if (!isPlainObject(value)) return { error: `${path} must be stored as a dictionary/hash` };
  return { vars: value };
}

/**
 * ansible.builtin.include_vars: variables from a YAML/JSON file or a directory of them, on the controller. The
 * engine puts them at include_vars precedence (above task vars, below set_fact) for the rest of the run.
 */
export default defineModule({
  name: 'include_vars',
  aliases: ['ansible.builtin.include_vars', 'ansible.legacy.include_vars'],
  description: 'Load variables from a file or a directory of files on the controller',
  onController: true,
  freeForm: 'file',
  args: Type.Object(
    {
      file: Type.Optional(Type.String({ description: "the file, found in the role's vars/ or next to the task or playbook" })),
      dir: Type.Optional(Type.String({ description: "a directory of vars files (under the role's vars/, or next to the task)" })),
      depth: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'how deep into dir (0: all the way)' })),
      files_matching: Type.Optional(Type.String({ description: 'only files whose name matches this regular expression' })),
      ignore_files: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description: 'regular expressions of file names to leave out' })),
      extensions: Type.Optional(List(Type.String(), { default: ['yaml', 'yml', 'json'], description: 'file extensions loaded from dir' })),
      ignore_unknown_extensions: Type.Optional(Type.Boolean({ default: false, description: 'leave out files of other extensions rather than failing' })),
      name: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'load the variables under this one name' })),
      hash_behaviour: Type.Optional(StringEnum(['replace', 'merge'], { description: 'how a mapping combines with a variable of the same name' })),
    },
    { additionalProperties: false },
  ),
  async run(args, ctx) {
    const given = Object.keys(args);
    if (given.some((a) => (dirArguments as readonly string[]).includes(a)) && given.includes('file')) {
      return { changed: false, failed: true, msg: 'You are mixing file only and dir only arguments, these are incompatible' };
    }
    const included: string[] = [];
    let results: Record<string, unknown> = {};
    let message: string | undefined;
    if (args.dir !== undefined) {
      const root = includeVarsDir(args.dir, ctx.source);
      const extensions = args.extensions ?? ['yaml', 'yml', 'json'];
      const ignore = typeof args.ignore_files === 'string' ? args.ignore_files.split(/\s+/).filter((s) => s !== '') : (args.ignore_files ?? []);
      const matcher = args.files_matching !== undefined ? pythonRegex(args.files_matching) : undefined;
      const ignored = (name: string): boolean => ignore.some((pattern) => new RegExp(`${pythonRegex(pattern).source}$`, 'u').test(name));
      const validExtension = (name: string): boolean => extensions.includes(extname(name).slice(1));
      if (!existsSync(root)) message = `${root} directory does not exist`;
      else if (!statSync(root).isDirectory()) message = `${root} is not a directory`;
      else {
        outer: for (const { dir, files } of walk(root, args.depth ?? 0)) {
          for (const name of files) {
            // never a role's vars/main.yml: the role loads it itself
            if (ctx.source.rolePath !== undefined && join(ctx.source.rolePath, name) === join(dir, 'vars', 'main.yml')) continue;
            if (matcher && !new RegExp(matcher.source, 'u').test(name)) continue;
            const path = join(dir, name);
            if (!existsSync(path) || ignored(name)) continue;
            if (!validExtension(name)) {
              if (args.ignore_unknown_extensions) continue;
              message = `${path} does not have a valid extension: ${extensions.join(', ')}`;
              break outer;
            }
            const loaded = await loadVarsFile(path);
            if (loaded.error !== undefined) {
              message = loaded.error;
              break outer;
            }
            included.push(path);
            results = { ...results, ...loaded.vars };
          }
        }
      }
    } else if (args.file !== undefined) {
      const file = args.file.replace(/\n+$/, '');
      const { found, candidates } = includeVarsFile(file, ctx.source);
      // AnsibleFileNotFound's message (an absolute path is searched nowhere else)
      if (found === undefined) message = `Could not find or access '${file}'${file.startsWith('/') || file.startsWith('~') ? '' : `\nSearched in:\n\t${candidates.join('\n\t')}`} on the Ansible Controller.\nIf you are using a module and expect the file to exist on the remote, see the remote_src option`;
      else {
        const loaded = await loadVarsFile(found);
        if (loaded.error !== undefined) message = loaded.error;
        else {
          included.push(found);
          results = loaded.vars!;
        }
      }
    }
    if (args.name !== undefined) results = { [args.name]: results };
    const result: ModuleResult = { changed: false, ansible_included_var_files: included, ansible_facts: message === undefined ? results : {} };
    if (message !== undefined) return { ...result, failed: true, message, msg: message };
    if (args.hash_behaviour === 'merge') {
      for (const [key, value] of Object.entries(results)) {
        const old = ctx.vars[key];
        if (isPlainObject(old) && isPlainObject(value)) results[key] = mergeHashes(old, value);
      }
    }
    return result;
  },
});

/** combine_vars(merge=True): mappings merged key by key, recursively; anything else replaced */
function mergeHashes(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isPlainObject(out[k]) && isPlainObject(v) ? mergeHashes(out[k], v) : v;
  return out;
}

/**
 * Where Ansible looks for a relative file a task names (include_vars, the file/template/first_found lookups):
 * its DataLoader.path_dwim_relative_stack over the task's search path, kept to the letter (its imperfect role
 * detection included), so that a role finds the same file under typebook as under ansible-playbook.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * A task's search path (Task.get_search_path, then the playbook's directory the executor appends): the roles
 * it is in, innermost first, then the directory of its file, then the playbook's, each once.
 */
export function taskSearchPath(rolePaths: readonly string[], taskFile: string, playbookDir: string): string[] {
  const out = [...rolePaths].reverse();
  for (const dir of [dirname(taskFile), playbookDir]) if (!out.includes(dir)) out.push(dir);
  return out;
}

/** unfrackpath: ~ expanded, made absolute and normal (links kept, follow=False) */
function unfrack(path: string): string {
  return resolve(path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path);
}

const TASKS_DIR = /(?:^|\/)+tasks\/?$/;

/** DataLoader._is_role: a directory with a main file under a tasks dir, or near a tasks/ or meta/ main file */
function isRole(path: string): boolean {
  const upath = unfrack(path);
  const parent = dirname(path);
  const untasked = ['main.yml', 'main.yaml', 'main'].map((f) => join(path, f));
  const tasked = [upath, parent].flatMap((base) => ['tasks/main.yml', 'tasks/main.yaml', 'tasks/main', 'meta/main.yml', 'meta/main.yaml', 'meta/main'].map((f) => join(base, f)));
  return (TASKS_DIR.test(path) && untasked.some(existsSync)) || tasked.some(existsSync);
}

/**
 * The places path_dwim_relative_stack tries for `source`, in order: under each path of `paths` (in its `subdir`
 * and as is), then under the playbook's directory. An absolute or ~ path is only itself.
 */
export function searchCandidates(paths: readonly string[], subdir: string, source: string, playbookDir: string): string[] {
  if (source.startsWith('~') || source.startsWith('/')) return [unfrack(source)];
  const search: string[] = [];
  // don't add the subdir when the source already starts with it
  const withSubdir = source.split('/')[0] !== subdir;
  for (const path of paths) {
    const upath = unfrack(path);
    const base = dirname(upath);
    if (isRole(path) && base.endsWith('/tasks')) {
      search.push(join(dirname(base), subdir, source), join(base, source));
    } else {
      if (withSubdir) search.push(join(upath, subdir, source));
      search.push(join(upath, source));
    }
  }
  if (withSubdir) search.push(join(playbookDir, subdir, source));
  search.push(join(playbookDir, source));
  return search;
}

/** the first of searchCandidates that exists, or undefined */
export function findInSearchPath(paths: readonly string[], subdir: string, source: string, playbookDir: string): string | undefined {
  return searchCandidates(paths, subdir, source, playbookDir).find((c) => existsSync(c));
}

/**
 * The directories `{% include %}`/`{% extends %}`/`{% import %}` search from a template the template module renders
 * (ansible/plugins/action/template.py): ansible_search_path, the loader's base directory (the playbook's), then the
 * template's own directory, each as its templates/ subdirectory first, then itself.
 */
export function templateSearchPath(ansibleSearchPath: readonly string[], basedir: string, source: string): string[] {
  return [...ansibleSearchPath, basedir, dirname(source)].flatMap((p) => [join(p, 'templates'), p]);
}

/**
 * The same for a template the template lookup renders (ansible/plugins/lookup/template.py): the template's own
 * directory, then each of ansible_search_path as its templates/ subdirectory first, then itself.
 */
export function templateLookupSearchPath(ansibleSearchPath: readonly string[] | undefined, source: string): string[] {
  return [dirname(source), ...(ansibleSearchPath ?? []).flatMap((p) => [join(p, 'templates'), p])];
}

/**
 * What a loaded playbook refers to beyond its own tasks: the local files a task sends (where Ansible looks for
 * them, and that they exist) and the handlers its tasks notify (that each is there).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isTemplate } from '../modules/coerce.js';
import { didYouMean, positionOf, type SourcePos } from '../source/index.js';
import type { Play, Task, TaskItem } from './types.js';
import { taskSearchPath } from '../ansible/index.js';
import { includeVarsDir, includeVarsFile } from '../modules/include_vars.js';

export type Report = (pos: SourcePos | undefined, message: string, extra?: { expected?: string; hint?: string }) => void;

/** a task's local `src` (template, copy) exists where Ansible would look for it */
export function checkLocalFile(task: Task, arg: string, kind: 'files' | 'templates', playbookDir: string, report: Report): void {
  const src = task.args[arg];
  if (typeof src !== 'string' || isTemplate(src)) return;
  const candidates = localFileCandidates(src, kind, task.file, task.role?.path, playbookDir);
  if (!candidates.some((c) => existsSync(c))) {
    report(positionOf(task.args, arg) ?? task.pos, `${task.module.name} ${arg} not found: ${src}`, { expected: `one of ${candidates.join(', ')}` });
  }
}

/** every `notify` names a handler (by name, `role : name`, or listen topic) of the play */
export function checkNotify(play: Play, report: Report): void {
  const names = new Set<string>();
  const walkHandlers = (items: TaskItem[]) => {
    for (const item of items) {
      if (item.kind === 'block') walkHandlers([...item.block, ...item.rescue, ...item.always]);
      else if (item.kind === 'task') {
        if (item.name) {
          names.add(item.name);
          if (item.role) names.add(`${item.role.name} : ${item.name}`);
        }
        for (const topic of item.keywords.listen ?? []) names.add(topic);
      }
    }
  };
  walkHandlers(play.handlers);
  const walk = (items: TaskItem[]) => {
    for (const item of items) {
      const notify = item.kind === 'block' ? item.keywords.notify : item.keywords.notify;
      for (const [i, target] of (notify ?? []).entries()) {
        if (isTemplate(target) || names.has(target)) continue;
        const hint = didYouMean(target, names);
        report(positionOf(rawNotify(item), i) ?? item.pos, `notify '${target}' matches no handler of the play`, hint ? { hint } : { expected: names.size ? `one of ${[...names].map((n) => `'${n}'`).join(', ')}` : 'a handler in the play\'s handlers or a role\'s handlers/main.yml' });
      }
      if (item.kind === 'block') walk([...item.block, ...item.rescue, ...item.always]);
      if (item.kind === 'include_tasks' && item.loaded) walk(item.loaded);
      if (item.kind === 'include_role' && item.loaded) walk(item.loaded.tasks);
    }
  };
  walk([...play.preTasks, ...play.tasks, ...play.postTasks]);
  walk(play.handlers);
}

/** the raw notify list of a node, for positions: positions live on the raw loaded list */
function rawNotify(item: TaskItem): unknown {
  return item.keywords.notify;
}

/** where a literal include_vars `file` is (as the module will look for it), or where it was looked for */
export function includeVarsSource(task: Task, playbookDir: string): { found?: string; candidates: string[] } {
  const file = task.args.file;
  if (typeof file !== 'string') return { candidates: [] };
  const rolePaths = task.role ? [task.role.path] : [];
  return includeVarsFile(file.replace(/\n+$/, ''), { file: task.file, ...(task.role ? { rolePath: task.role.path } : {}), searchPath: taskSearchPath(rolePaths, task.file, playbookDir), playbookDir });
}

/**
 * An include_vars whose literal `file` or `dir` cannot exist: an error before connecting, as the task would
 * fail on every host. A templated one, or one under a loop, is known only when the task runs.
 */
export function checkIncludeVars(task: Task, playbookDir: string, report: Report): void {
  if (task.module.name !== 'include_vars' || task.keywords.loop !== undefined) return;
  const { file, dir } = task.args;
  if (typeof file === 'string' && !isTemplate(file)) {
    const { found, candidates } = includeVarsSource(task, playbookDir);
    if (!found) report(positionOf(task.args, 'file') ?? task.pos, `include_vars file not found: ${file}`, { expected: `one of ${candidates.join(', ')}` });
  } else if (typeof dir === 'string' && !isTemplate(dir)) {
    const path = includeVarsDir(dir, { file: task.file, ...(task.role ? { rolePath: task.role.path } : {}), searchPath: [], playbookDir });
    if (!existsSync(path)) report(positionOf(task.args, 'dir') ?? task.pos, `include_vars directory not found: ${dir}`, { expected: `the directory ${path}` });
  }
}

/** Where Ansible looks for a template's or a file's `src`: the role's templates|files dir, then next to the task file, then the playbook's */
export function localFileCandidates(src: string, kind: 'files' | 'templates', taskFile: string, rolePath: string | undefined, playbookDir: string): string[] {
  if (src.startsWith('/')) return [src];
  const out: string[] = [];
  if (rolePath) out.push(join(rolePath, kind, src), join(rolePath, src));
  out.push(join(dirname(taskFile), kind, src), join(dirname(taskFile), src), join(playbookDir, kind, src), join(playbookDir, src));
  return [...new Set(out)];
}

/**
 * The Jinja side of validation: every template string, condition and template file of a loaded playbook
 * parsed (never rendered), so a syntax error or an unknown filter is reported before any host is touched;
 * and, given the names the inventory and `-e` define, every variable read that no source of the run defines.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isPlainObject, isTemplate } from '../modules/coerce.js';
import { didYouMean, positionOf, problem, type Problem, type SourcePos } from '../source/index.js';
import type { NameSink, Templar } from '../template/index.js';
import { includeVarsSource, localFileCandidates } from './references.js';
import { taskSearchPath, templateSearchPath } from '../ansible/index.js';
import { parseYaml } from '../source/index.js';
import type { Condition, Play, Playbook, RoleInstance, TaskItem } from './types.js';

/** where a keyword's value was written (keywords keep the positions of the mapping they came from) */
function written(keywords: object, name: string, fallback: SourcePos): SourcePos {
  return positionOf(keywords, name) ?? fallback;
}

/** Magic variables that exist only inside a role or a play (the others come with the host's variables). */
const SCOPED_MAGIC = ['role_path', 'role_name', 'ansible_role_name', 'ansible_play_name', 'playbook_dir', 'inventory_file', 'inventory_dir', 'template_path', 'template_fullpath', 'template_host'];

interface NameUse {
  name: string;
  pos: SourcePos;
  /** under a `when` or in a variable's value (rendered only if read): it may never be rendered */
  maybe: boolean;
  play: number;
}

/**
 * The values a templated `src` (`"{{ item }}.j2"`, `"{{ role_default }}"`) takes from what is known before the
 * run: the role's defaults, vars and parameters, the play's and the task's vars, each item of a literal loop.
 * A value that needs more (facts, inventory, a computed loop) is left to the run, as is one that renders to a
 * template again.
 */
function staticallyRendered(src: string, task: Extract<TaskItem, { kind: 'task' }>, playVars: Readonly<Record<string, unknown>>, templar: Templar): string[] {
  const role = task.role;
  const vars: Record<string, unknown> = { ...(role?.defaults ?? {}), ...playVars, ...(role?.vars ?? {}), ...task.vars, ...(role?.params ?? {}) };
  const { loop, loopKind } = task.keywords;
  const items = loop === undefined ? [undefined] : Array.isArray(loop) && (loopKind === 'loop' || loopKind === 'with_items' || loopKind === 'with_list') ? (loopKind === 'with_items' ? loop.flat() : loop) : [];
  const loopVar = typeof task.keywords.loop_control?.loop_var === 'string' ? task.keywords.loop_control.loop_var : 'item';
  const out = new Set<string>();
  for (const value of items) {
    try {
      const rendered = templar.renderString(src, loop === undefined ? vars : { ...vars, [loopVar]: value });
      if (typeof rendered === 'string' && !isTemplate(rendered)) out.add(rendered);
    } catch {
      // known only when the task runs
    }
  }
  return [...out];
}

/**
 * `defined`: the names every host's variables hold (inventory, group_vars/host_vars, `-e`, magic); when
 * given, a variable read that neither they nor the playbook can define is reported.
 */
export function checkTemplates(playbook: Playbook, templar: Templar, defined?: ReadonlySet<string>): Problem[] {
  const problems: Problem[] = [];
  const checkedFiles = new Set<string>();
  const names = new Set([...(defined ?? []), ...SCOPED_MAGIC]);
  const guarded = new Set<string>();
  const uses: NameUse[] = [];
  // sources whose names are known only at run time (a templated set_fact key, an include read late: any play;
  // a templated vars_files: its play): nothing is reported where they may define the name
  let dynamic = false;
  const dynamicPlays = new Set<number>();
  let playIndex = 0;
  const define = (vars: object | undefined): void => {
    for (const key of Object.keys(vars ?? {})) {
      if (isTemplate(key)) dynamic = true;
      else names.add(key);
    }
  };
  const sink =
    (maybe: boolean): NameSink =>
    (reads, guards) => {
      for (const r of reads) uses.push({ ...r, maybe, play: playIndex });
      for (const g of guards) guarded.add(g);
    };
  const strings = (value: unknown, at: SourcePos, maybe: boolean, names = true): void => {
    if (typeof value === 'string') problems.push(...templar.checkString(value, at, names ? sink(maybe) : undefined));
    else if (Array.isArray(value)) value.forEach((v, i) => strings(v, positionOf(value, i) ?? at, maybe, names));
    else if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) strings(v, positionOf(value, k) ?? at, maybe, names);
  };
  const conditions = (list: readonly Condition[] | undefined, at: SourcePos, maybe: boolean): void => {
    for (const [i, c] of (list ?? []).entries()) {
      if (typeof c !== 'string') continue;
      const where = positionOf(list, i) ?? at;
      problems.push(...(c.includes('{{') || c.includes('{%') ? templar.checkString(c, where, sink(maybe)) : templar.checkExpression(c, where, sink(maybe))));
    }
  };
  const seenRoles = new Set<RoleInstance>();
  const role = (r: RoleInstance | undefined): void => {
    if (!r || seenRoles.has(r)) return;
    seenRoles.add(r);
    define(r.defaults);
    define(r.vars);
    define(r.params);
    define(r.argumentSpecs?.options);
    strings(r.defaults, r.pos, true);
    strings(r.vars, r.pos, true);
    strings(r.params, r.pos, true);
  };
  // `roles`: the roles the items are in, outermost first, as the engine nests them (ansible_search_path's)
  const items = (list: readonly TaskItem[], conditional: boolean, roles: readonly RoleInstance[] = []): void => {
    for (const item of list) {
      role(item.role);
      define(item.vars);
      strings(item.vars, item.pos, true);
      const when = item.keywords.when ?? [];
      conditions(when, written(item.keywords, 'when', item.pos), conditional);
      const maybe = conditional || when.length > 0;
      if (item.kind === 'block') {
        const inner = item.origin === 'role' && item.role ? [...roles, item.role] : roles;
        items(item.block, maybe, inner);
        items(item.rescue, true, inner);
        items(item.always, maybe, inner);
        continue;
      }
      if (item.kind === 'include_tasks' || item.kind === 'include_role') {
        const loaded = item.kind === 'include_tasks' ? item.loaded : item.loaded?.tasks;
        if (item.kind === 'include_role') role(item.loaded?.instance);
        if (loaded) items(loaded, maybe, roles);
        else dynamic = true;
        continue;
      }
      const k = item.keywords;
      if (k.register !== undefined) names.add(k.register);
      if (k.loop !== undefined) {
        names.add(typeof k.loop_control?.loop_var === 'string' ? k.loop_control.loop_var : 'item');
        if (typeof k.loop_control?.index_var === 'string') names.add(k.loop_control.index_var);
      }
      for (const fact of item.module.facts ?? []) names.add(fact);
      if (item.module.name === 'set_fact') define(item.args);
      if (item.module.name === 'include_vars') {
        // a literal file is read now, so that its names count as defined; a templated or looped one (or a
        // directory) defines names known only when the task runs: its play is not checked for undefined ones
        const file = item.args.file;
        if (typeof item.args.name === 'string') define({ [item.args.name]: true });
        else if (typeof file === 'string' && !isTemplate(file) && k.loop === undefined) {
          const found = includeVarsSource(item, playbook.dir).found;
          if (found) {
            const loaded = parseYaml(readFileSync(found, 'utf8'), found);
            if (isPlainObject(loaded.value)) {
              define(loaded.value);
              strings(loaded.value, item.pos, true);
            }
          }
        } else dynamicPlays.add(playIndex);
      }
      for (const name of ['changed_when', 'failed_when', 'until'] as const) conditions(k[name], written(k, name, item.pos), maybe);
      // with_first_found passes over a file whose name reads an undefined variable: only its syntax is checked
      if (k.loop !== undefined && k.loopKind === 'with_first_found') strings(k.loop, written(k, k.loopKind, item.pos), maybe, false);
      else if (k.loop !== undefined) strings(k.loop, written(k, k.loopKind ?? 'loop', item.pos), maybe);
      if (k.delegate_to !== undefined) strings(k.delegate_to, written(k, 'delegate_to', item.pos), maybe);
      if (k.environment !== undefined) strings(k.environment, written(k, 'environment', item.pos), maybe);
      if (k.loop_control?.label !== undefined) strings(k.loop_control.label, positionOf(k.loop_control, 'label') ?? item.pos, maybe);
      const expressionArgs = new Set(item.module.expressionArgs ?? []);
      for (const [name, value] of Object.entries(item.args)) {
        const at = positionOf(item.args, name) ?? item.pos;
        if (!expressionArgs.has(name)) strings(value, at, maybe);
        else if (name === 'that') conditions(Array.isArray(value) ? (value as Condition[]) : [value as Condition], at, maybe);
        // debug's `var` shows an undefined variable as such rather than failing: its names are not checked
        else if (typeof value === 'string') problems.push(...templar.checkExpression(value, at));
      }
      for (const { arg, kind } of item.module.localFiles ?? []) {
        const written = item.args[arg];
        if (kind !== 'templates' || typeof written !== 'string') continue;
        for (const src of isTemplate(written) ? staticallyRendered(written, item, playVars, templar) : [written]) {
          const file = localFileCandidates(src, kind, item.file, item.role?.path, playbook.dir).find((c) => existsSync(c));
          if (file && !checkedFiles.has(file)) {
            // its includes are found (and checked) as the template module will look for them
            const chain = item.role && roles.at(-1) !== item.role ? [...roles, item.role] : roles;
            const searchPath = templateSearchPath(taskSearchPath(chain.map((r) => r.path), item.file, playbook.dir), playbook.dir, file);
            problems.push(...templar.checkTemplate(readFileSync(file, 'utf8'), file, sink(maybe), { searchPath, checked: checkedFiles }));
          }
        }
      }
    }
  };
  let playVars: Readonly<Record<string, unknown>> = {};
  const play = (p: Play): void => {
    playVars = p.vars;
    define(p.vars);
    strings(p.vars, p.pos, true);
    for (const vf of p.varsFiles) {
      if (!vf.vars) dynamicPlays.add(playIndex);
      define(vf.vars);
      if (vf.vars) strings(vf.vars, vf.pos, true);
    }
    const when = p.keywords.when ?? [];
    conditions(when, written(p.keywords, 'when', p.pos), false);
    p.roles.forEach(role);
    for (const list of [p.preTasks, p.tasks, p.postTasks]) items(list, when.length > 0);
    // a handler runs only when notified
    items(p.handlers, true);
  };
  playbook.plays.forEach((p, i) => {
    playIndex = i;
    play(p);
  });
  if (defined && !dynamic) problems.push(...undefinedReads(uses.filter((u) => !dynamicPlays.has(u.play)), names, guarded));
  return problems;
}

function undefinedReads(uses: readonly NameUse[], names: ReadonlySet<string>, guarded: ReadonlySet<string>): Problem[] {
  const out: Problem[] = [];
  const reported = new Set<string>();
  const known = [...names];
  for (const use of uses) {
    // facts and connection variables: whatever the host or the modules gather
    if (names.has(use.name) || guarded.has(use.name) || use.name.startsWith('ansible_')) continue;
    const key = `${use.pos.file}:${use.pos.line}:${use.pos.col}:${use.name}`;
    if (reported.has(key)) continue;
    reported.add(key);
    const hint = didYouMean(use.name, known);
    const maybe = use.maybe;
    out.push(
      problem(use.pos, `'${use.name}' ${maybe ? 'may be undefined where this is rendered' : 'is undefined'}: no variable of this run (inventory, vars, defaults, register, set_fact, loop, -e) defines it`, {
        severity: maybe ? 'warning' : 'error',
        ...(hint ? { hint } : {}),
      }),
    );
  }
  return out;
}

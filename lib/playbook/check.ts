/**
 * The Jinja side of validation: every template string, condition and template file of a loaded playbook
 * parsed (never rendered), so a syntax error or an unknown filter is reported before any host is touched.
 */
import { readFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { isPlainObject } from '../modules/coerce.js';
import { positionOf, type Problem, type SourcePos } from '../source/index.js';
import type { Templar } from '../template/index.js';
import { localFileCandidates } from './load.js';
import type { Condition, Play, Playbook, TaskItem } from './types.js';

/** where a keyword's value was written (keywords keep the positions of the mapping they came from) */
function written(keywords: object, name: string, fallback: SourcePos): SourcePos {
  return positionOf(keywords, name) ?? fallback;
}

export function checkTemplates(playbook: Playbook, templar: Templar): Problem[] {
  const problems: Problem[] = [];
  const checkedFiles = new Set<string>();
  const strings = (value: unknown, at: SourcePos): void => {
    if (typeof value === 'string') problems.push(...templar.checkString(value, at));
    else if (Array.isArray(value)) value.forEach((v, i) => strings(v, positionOf(value, i) ?? at));
    else if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) strings(v, positionOf(value, k) ?? at);
  };
  const conditions = (list: readonly Condition[] | undefined, at: SourcePos): void => {
    for (const [i, c] of (list ?? []).entries()) {
      if (typeof c !== 'string') continue;
      const where = positionOf(list, i) ?? at;
      problems.push(...(c.includes('{{') || c.includes('{%') ? templar.checkString(c, where) : templar.checkExpression(c, where)));
    }
  };
  const items = (list: readonly TaskItem[]): void => {
    for (const item of list) {
      strings(item.vars, item.pos);
      conditions(item.keywords.when, written(item.keywords, 'when', item.pos));
      if (item.kind === 'block') {
        items(item.block);
        items(item.rescue);
        items(item.always);
        continue;
      }
      if (item.kind === 'include_tasks') {
        if (item.loaded) items(item.loaded);
        continue;
      }
      if (item.kind === 'include_role') {
        if (item.loaded) items(item.loaded.tasks);
        continue;
      }
      const k = item.keywords;
      for (const name of ['changed_when', 'failed_when', 'until'] as const) conditions(k[name], written(k, name, item.pos));
      if (k.loop !== undefined) strings(k.loop, written(k, k.loopKind ?? 'loop', item.pos));
      if (k.delegate_to !== undefined) strings(k.delegate_to, written(k, 'delegate_to', item.pos));
      if (k.environment !== undefined) strings(k.environment, written(k, 'environment', item.pos));
      if (k.loop_control?.label !== undefined) strings(k.loop_control.label, positionOf(k.loop_control, 'label') ?? item.pos);
      const expressionArgs = new Set(item.module.expressionArgs ?? []);
      for (const [name, value] of Object.entries(item.args)) {
        const at = positionOf(item.args, name) ?? item.pos;
        if (!expressionArgs.has(name)) strings(value, at);
        else if (name === 'that') conditions(Array.isArray(value) ? (value as Condition[]) : [value as Condition], at);
        else if (typeof value === 'string') problems.push(...templar.checkExpression(value, at));
      }
      for (const { arg, kind } of item.module.localFiles ?? []) {
        const src = item.args[arg];
        if (kind !== 'templates' || typeof src !== 'string') continue;
        const file = localFileCandidates(src, kind, item.file, item.role?.path, playbook.dir).find((c) => existsSync(c));
        if (file && !checkedFiles.has(file)) {
          checkedFiles.add(file);
          problems.push(...templar.checkTemplate(readFileSync(file, 'utf8'), file));
        }
      }
    }
  };
  const play = (p: Play): void => {
    strings(p.vars, p.pos);
    for (const vf of p.varsFiles) if (vf.vars) strings(vf.vars, vf.pos);
    conditions(p.keywords.when, written(p.keywords, 'when', p.pos));
    for (const role of p.roles) {
      strings(role.defaults, role.pos);
      strings(role.vars, role.pos);
      strings(role.params, role.pos);
    }
    items(p.preTasks);
    items(p.tasks);
    items(p.postTasks);
    items(p.handlers);
  };
  playbook.plays.forEach(play);
  return problems;
}

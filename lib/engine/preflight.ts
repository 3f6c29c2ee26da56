/**
 * Before connecting: each role's meta/argument_specs.yml checked, for every host of its play, against the
 * values the inventory, the play and -e give it, so that a VIP that is not an address or a group that does not
 * exist is reported at the line that set it, before any host is touched. The run checks again before the
 * role's first task (with facts and registered results then known); here a value that needs those is left
 * to that check, and a role that runs only `when:` something is left to it too.
 */
import { validateRoleArguments, type InventoryNames } from '../playbook/argument-specs.js';
import type { ArgumentSpec, Play, Playbook, RoleInstance, TaskItem, Vars } from '../playbook/types.js';
import type { Inventory, VarsDir } from '../inventory/index.js';
import { positionOf, problem, type Problem, type SourcePos } from '../source/index.js';
import { TemplateError, type Templar } from '../template/index.js';
import type { VariableStore } from '../vars/store.js';
import { isTemplate } from '../modules/coerce.js';

interface RoleUse {
  role: RoleInstance;
  /** the roles it runs inside (import_role in a role), outermost first, itself last */
  roles: RoleInstance[];
  blocks: Vars[];
}

/** The roles a play runs for sure (its roles, import_role), with the scope their first task sees. */
function roleUses(play: Play): RoleUse[] {
  const uses: RoleUse[] = [];
  const walk = (items: readonly TaskItem[], roles: RoleInstance[], blocks: Vars[]): void => {
    for (const item of items) {
      if (item.kind !== 'block' || item.keywords.when !== undefined) continue;
      if (item.origin === 'role' && item.role) {
        if (item.role.keywords.when !== undefined) continue;
        const inner = [...roles, item.role];
        if (item.role.argumentSpecs) uses.push({ role: item.role, roles: inner, blocks });
        walk(item.block, inner, blocks);
      } else {
        walk(item.block, roles, [...blocks, item.vars]);
      }
    }
  };
  for (const section of [play.preTasks, play.tasks, play.postTasks]) walk(section, [], []);
  return uses;
}

/** Names that only the run defines: registered results, set_fact and include_vars (any name, then). */
function runTimeNames(playbook: Playbook): { names: Set<string>; any: boolean } {
  const names = new Set<string>();
  let any = false;
  const walk = (items: readonly TaskItem[]): void => {
    for (const item of items) {
      if (item.kind === 'block') {
        walk(item.block);
        walk(item.rescue);
        walk(item.always);
      } else if (item.kind === 'include_tasks') {
        if (item.loaded) walk(item.loaded);
        else any = true;
      } else if (item.kind === 'include_role') {
        if (item.loaded) walk(item.loaded.tasks);
        else any = true;
      } else {
        if (item.keywords.register !== undefined) names.add(item.keywords.register);
        if (item.module.name === 'set_fact') {
          for (const key of Object.keys(item.args)) {
            if (isTemplate(key)) any = true;
            else names.add(key);
          }
        }
        if (item.module.name === 'include_vars') any = true;
      }
    }
  };
  for (const play of playbook.plays) for (const section of [play.preTasks, play.tasks, play.postTasks, play.handlers]) walk(section);
  return { names, any };
}

const narrowed = new WeakMap<ArgumentSpec, Map<string, ArgumentSpec>>();
/** The spec without some options (kept, so that its compiled validator is reused for the next host). */
function withoutOptions(spec: ArgumentSpec, left: readonly string[]): ArgumentSpec {
  if (left.length === 0) return spec;
  let bySet = narrowed.get(spec);
  if (!bySet) narrowed.set(spec, (bySet = new Map()));
  const key = [...left].sort().join('\0');
  let result = bySet.get(key);
  if (!result) {
    result = { pos: spec.pos, options: Object.fromEntries(Object.entries(spec.options).filter(([name]) => !left.includes(name))) };
    bySet.set(key, result);
  }
  return result;
}

export interface PreflightInput {
  playbook: Playbook;
  inventory: Inventory;
  playDirs: readonly VarsDir[];
  store: VariableStore;
  templar: Templar;
  extraVars: Vars;
  limit?: string;
}

export function checkRoleArgumentsBeforeRun(input: PreflightInput): Problem[] {
  const { playbook, inventory, store, templar, extraVars } = input;
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const runTime = runTimeNames(playbook);
  const names: InventoryNames = { groups: [...inventory.groups.keys()], hosts: [...inventory.hosts.keys()] };
  // where a value the role sees was written: the first layer that has it, highest precedence first
  // where a value the role sees was written: the first layer that has it, highest precedence first; a value
  // that is only `{{ other }}` (keepalived_vip: "{{ haproxy_vip }}") is followed to where `other` was written
  const definedAt = (host: string, play: Play, use: RoleUse, key: string, depth = 0): SourcePos | undefined => {
    const layers: Vars[] = [extraVars, ...[...use.roles].reverse().map((r) => r.params), ...[...use.blocks].reverse(), ...[...use.roles].reverse().map((r) => r.vars),
      ...[...play.varsFiles].reverse().flatMap((f) => (f.vars ? [f.vars] : [])), play.vars];
    let found = layers.find((layer) => Object.prototype.hasOwnProperty.call(layer, key));
    let at = found === extraVars ? { file: '<-e>', line: 0, col: 0 } : found ? positionOf(found, key) : undefined;
    if (!found) {
      const source = inventory.hostVarSource(host, key, input.playDirs);
      found = source?.vars ?? [...play.roles, ...use.roles].reverse().map((r) => r.defaults).find((d) => Object.prototype.hasOwnProperty.call(d, key));
      at = source ? inventory.hostVarPosition(host, key, input.playDirs) : found ? positionOf(found, key) : undefined;
    }
    const alias = typeof found?.[key] === 'string' ? /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/.exec(found[key] as string)?.[1] : undefined;
    return (alias !== undefined && depth < 8 ? definedAt(host, play, use, alias, depth + 1) : undefined) ?? at;
  };
  for (const play of playbook.plays) {
    const uses = roleUses(play);
    if (uses.length === 0) continue;
    // templated vars_files are read per host when the play starts: their values are not known yet
    if (play.varsFiles.some((f) => f.vars === undefined)) continue;
    let hosts: string[];
    try {
      const selection = inventory.select(String(templar.renderString(play.hosts, extraVars, play.pos)), { at: play.pos, ...(input.limit ? { limit: input.limit } : {}) });
      if (selection.problems.some((p) => p.severity === 'error')) continue;
      hosts = selection.hosts;
    } catch {
      continue; // a host pattern from facts or hostvars: the run decides
    }
    for (const use of uses) {
      const spec = use.role.argumentSpecs!;
      for (const host of hosts) {
        const view = store.view(host, { play, roles: use.roles, blocks: use.blocks });
        const given: Vars = {};
        const positions: Record<string, SourcePos> = {};
        const unknown: string[] = [];
        for (const option of Object.keys(spec.options)) {
          const at = definedAt(host, play, use, option);
          if (at) positions[option] = at;
          try {
            if (option in view) given[option] = view[option];
          } catch (error) {
            const root = error instanceof TemplateError && error.variable !== undefined ? error.variable.split(/[.[]/)[0]! : undefined;
            // facts, registered results and set_fact values exist only once the run is under way
            if (root === undefined || runTime.any || root === 'hostvars' || root.startsWith('ansible_') || runTime.names.has(root)) {
              unknown.push(option);
              continue;
            }
            problems.push(problem(at ?? use.role.pos, `host '${host}': role '${use.role.name}' argument '${option}': ${(error as Error).message}`));
            unknown.push(option);
          }
        }
        const checked = validateRoleArguments(use.role, withoutOptions(spec, unknown), given, use.role.pos, names, positions);
        for (const p of checked.problems) {
          const message = `host '${host}': ${p.message}`;
          const key = `${p.file}:${p.line}:${p.col}:${p.message}`;
          // a value from group_vars is wrong for every host of the group: said once, naming the first
          if (seen.has(key)) continue;
          seen.add(key);
          problems.push({ ...p, message });
        }
      }
    }
  }
  return problems;
}

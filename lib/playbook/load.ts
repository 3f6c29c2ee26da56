/**
 * Loads a playbook and everything it pulls in (imported playbooks, vars_files, task files, roles and their
 * dependencies) into typed objects, collecting every problem on the way rather than stopping at the first.
 * Nothing here touches a host.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { isTemplate, isPlainObject } from '../modules/coerce.js';
import { findModule, moduleNames } from '../modules/index.js';
import type { ModuleDefinition } from '../modules/module.js';
import { didYouMean, keyPositionOf, loadYamlFile, positionOf, positionsFrom, problem, rememberPosition, uniqueProblems, type Problem, type SourcePos } from '../source/index.js';
import { inherited, inheritedNames, stringList, taskKeywordsOf } from './keywords.js';
import { parseKeyValue } from './kv.js';
import { checkIncludeVars, checkLocalFile, checkNotify } from './references.js';
import { checkModuleArgs, resolveAliases } from './module-args.js';
import { availableRoles, findRole, roleFile, roleSearch, type RoleSearch } from './roles.js';
import { handlerKeywords, includeNames, playKeywords, taskKeywords, type SchemaKind } from './schema.js';
import type { ArgumentOption, ArgumentSpec, Block, IncludeRole, IncludeTasks, InheritedKeywords, Play, PlayKeywords, Playbook, RoleInstance, Task, TaskItem, TaskKeywords, Vars, VarsFile } from './types.js';
import { validateDocument } from './validate.js';
import { checkRoleArguments } from './argument-specs.js';
import { unsupportedModule, unsupportedModuleMessage } from '../modules/ansible-modules.js';

export interface LoadOptions {
  /** extra role directories (--roles-path) */
  rolesPath?: readonly string[];
}

export interface LoadResult {
  playbook: Playbook;
  problems: Problem[];
}

type Raw = Record<string, unknown>;

/** paths as people read them in messages: relative to the working directory when below it */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

class Loader {
  readonly problems: Problem[] = [];
  private readonly loading = new Set<string>();

  constructor(
    private readonly search: RoleSearch,
    private readonly playbookDir: string,
  ) {}

  private report(pos: SourcePos | undefined, message: string, extra: { expected?: string; hint?: string } = {}): void {
    this.problems.push(problem(pos, message, extra));
  }

  /** a YAML file validated against its kind; undefined (with problems recorded) when unusable */
  private async document(file: string, kind: SchemaKind, options: { guarded?: boolean } = {}): Promise<unknown> {
    const loaded = await loadYamlFile(file);
    this.problems.push(...loaded.problems);
    if (loaded.problems.some((p) => p.severity === 'error')) return undefined;
    const problems = validateDocument(kind, loaded.value ?? (kind === 'vars' || kind === 'roleMeta' ? null : []), options);
    this.problems.push(...problems);
    return loaded.value;
  }

  async playbook(file: string, from?: SourcePos): Promise<Play[]> {
    const path = resolve(file);
    if (this.loading.has(path)) {
      this.report(from, `import_playbook cycle: ${file} imports itself`);
      return [];
    }
    if (!existsSync(path)) {
      this.report(from ?? { file, line: 0, col: 0 }, `playbook not found: ${file}`);
      return [];
    }
    this.loading.add(path);
    try {
      const before = this.problems.length;
      const doc = await this.document(file, 'playbook');
      if ((doc === undefined || doc === null) && this.problems.length === before) this.report({ file, line: 1, col: 1 }, 'the playbook is empty', { expected: 'a list of plays' });
      // a document that is not a list was reported by its schema
      if (!Array.isArray(doc)) return [];
      const plays: Play[] = [];
      for (const [i, item] of doc.entries()) {
        if (!isPlainObject(item)) continue;
        const importName = item.import_playbook ?? item['ansible.builtin.import_playbook'];
        if (importName !== undefined) {
          const pos = positionOf(doc, i)!;
          if (typeof importName !== 'string') continue;
          const imported = await this.playbook(join(dirname(file), importName), pos);
          const extra = inherited(item);
          for (const play of imported) {
            play.vars = { ...((item.vars as Vars | undefined) ?? {}), ...play.vars };
            play.keywords.when = [...(extra.when ?? []), ...(play.keywords.when ?? [])];
            play.keywords.tags = [...(extra.tags ?? []), ...(play.keywords.tags ?? [])];
          }
          plays.push(...imported);
        } else {
          plays.push(await this.play(item, file, positionOf(doc, i)!));
        }
      }
      return plays;
    } finally {
      this.loading.delete(path);
    }
  }

  private async play(raw: Raw, file: string, pos: SourcePos): Promise<Play> {
    const hostsValue = raw.hosts;
    if (hostsValue === undefined) this.report(pos, "a play needs 'hosts': the pattern of the hosts it runs on");
    const hosts = Array.isArray(hostsValue) ? hostsValue.map(String).join(',') : String(hostsValue ?? '');
    const keywords: PlayKeywords = inherited(raw);
    for (const name of Object.keys(playKeywords)) {
      if (['name', 'hosts', 'vars', 'vars_files', 'roles', 'pre_tasks', 'tasks', 'post_tasks', 'handlers', 'when', 'tags'].includes(name)) continue;
      if (raw[name] !== undefined) (keywords as Record<string, unknown>)[name] = raw[name];
    }
    if (raw.gather_subset !== undefined) keywords.gather_subset = stringList(raw.gather_subset, true);
    const play: Play = {
      name: typeof raw.name === 'string' ? raw.name : hosts,
      hosts,
      pos,
      file,
      vars: isPlainObject(raw.vars) ? raw.vars : {},
      varsFiles: await this.varsFiles(raw.vars_files, file),
      keywords,
      roles: [],
      preTasks: [],
      tasks: [],
      postTasks: [],
      handlers: [],
    };
    const handlers: TaskItem[] = [];
    const roleBlocks: TaskItem[] = [];
    const seenRoles = new Map<string, RoleInstance>();
    if (Array.isArray(raw.roles)) {
      for (const [i, entry] of raw.roles.entries()) {
        const loaded = await this.roleEntry(entry, positionOf(raw.roles, i)!, undefined, seenRoles, []);
        for (const l of loaded) {
          play.roles.push(l.instance);
          roleBlocks.push(l.block);
          handlers.push(...l.handlers);
        }
      }
    }
    const context = { file, handlers };
    play.preTasks = await this.taskList(raw.pre_tasks, context);
    play.tasks = [...roleBlocks, ...(await this.taskList(raw.tasks, context))];
    play.postTasks = await this.taskList(raw.post_tasks, context);
    play.handlers = [...(await this.taskList(raw.handlers, { file, handlers, isHandler: true })), ...handlers];
    checkNotify(play, (pos, message, extra) => this.report(pos, message, extra));
    return play;
  }

  private async varsFiles(value: unknown, file: string): Promise<VarsFile[]> {
    if (!Array.isArray(value)) return [];
    const out: VarsFile[] = [];
    for (const [i, entry] of value.entries()) {
      const pos = positionOf(value, i)!;
      const alternatives = Array.isArray(entry) ? entry.map(String) : [String(entry)];
      const vf: VarsFile = { path: alternatives[0]!, pos, ...(alternatives.length > 1 ? { alternatives } : {}) };
      if (!alternatives.some(isTemplate)) {
        const found = alternatives.map((a) => displayPath(resolve(dirname(file), a))).find((p) => existsSync(p));
        if (!found) this.report(pos, `vars file not found: ${alternatives.join(' or ')}`, { expected: `a file relative to ${dirname(file)}` });
        else {
          const doc = await this.document(found, 'vars');
          vf.vars = isPlainObject(doc) ? doc : {};
        }
      }
      out.push(vf);
    }
    return out;
  }

  async includedTasks(file: string, include: IncludeTasks): Promise<TaskItem[]> {
    const context: TaskContext = { file: include.file, handlers: [], ...(include.role ? { role: include.role } : {}), ...(include.keywords.when !== undefined ? { guarded: true } : {}) };
    const path = this.taskFilePath(file, context);
    if (!path) {
      this.report(include.pos, `tasks file not found: ${file}`);
      return [];
    }
    return this.taskFile(path, { ...context, file: path });
  }

  async includedRole(name: string, include: IncludeRole): Promise<{ instance: RoleInstance; tasks: TaskItem[]; handlers: TaskItem[] } | undefined> {
    const from: FromOptions = {};
    if (include.tasksFrom) from.tasksFrom = include.tasksFrom;
    if (include.defaultsFrom) from.defaultsFrom = include.defaultsFrom;
    if (include.varsFrom) from.varsFrom = include.varsFrom;
    if (include.handlersFrom) from.handlersFrom = include.handlersFrom;
    return this.roleWithDependencies(name, include.pos, include.role?.path, from, include.keywords.when !== undefined);
  }

  /** the tasks of a list (a play section, a task file, a block) */
  private async taskList(value: unknown, context: TaskContext): Promise<TaskItem[]> {
    if (!Array.isArray(value)) return [];
    const items: TaskItem[] = [];
    for (const [i, raw] of value.entries()) {
      // the schema reported an item that is not a mapping
      if (!isPlainObject(raw)) continue;
      const item = await this.taskItem(raw, positionOf(value, i)!, context);
      if (item) items.push(item);
    }
    return items;
  }

  private async taskItem(raw: Raw, pos: SourcePos, context: TaskContext): Promise<TaskItem | undefined> {
    const common = { pos, file: context.file, vars: isPlainObject(raw.vars) ? raw.vars : {}, ...(typeof raw.name === 'string' ? { name: raw.name } : {}), ...(context.role ? { role: context.role } : {}) };
    if ('block' in raw) {
      const block: Block = {
        kind: 'block',
        ...common,
        block: await this.taskList(raw.block, guardedBy(raw, context)),
        rescue: await this.taskList(raw.rescue, guardedBy(raw, context)),
        always: await this.taskList(raw.always, guardedBy(raw, context)),
        keywords: { ...inherited(raw), ...(raw.notify !== undefined ? { notify: stringList(raw.notify) } : {}) },
      };
      return block;
    }
    const known = context.isHandler ? handlerKeywords : taskKeywords;
    const actionKeys = Object.keys(raw).filter((k) => !(k in known) || k === 'action' || k === 'local_action');
    const unknownKeys = actionKeys.filter((k) => !findModule(k) && !includeNames.has(k.replace(/^ansible\.builtin\./, '')) && k !== 'action' && k !== 'local_action');
    const actions = actionKeys.filter((k) => !unknownKeys.includes(k));
    if (actions.length > 1) {
      this.report(keyPositionOf(raw, actions[1]!), `a task has one module, this one has ${actions.length}: ${actions.map((a) => `'${a}'`).join(', ')}`, { hint: 'split it into separate tasks' });
      return undefined;
    }
    const guardedUnsupported = actions.length === 0 && unknownKeys.length === 1 && (raw.when !== undefined || context.guarded) ? unsupportedModule(unknownKeys[0]!) : undefined;
    if (guardedUnsupported) {
      // validation warned about it; the task fails only where its condition holds
      const args = isPlainObject(raw[unknownKeys[0]!]) ? (raw[unknownKeys[0]!] as Vars) : {};
      return { kind: 'task', ...common, module: guardedUnsupported, action: unknownKeys[0]!, args, keywords: taskKeywordsOf(raw, pos, (at, message) => this.report(at, message)) };
    }
    if (actions.length === 0) {
      // an unknown key was already reported by the schema (with "did you mean"); say more only when there was none
      if (unknownKeys.length === 0) this.report(pos, 'a task needs a module (for example command, debug, template)');
      else for (const key of unknownKeys) this.unknownModule(key, raw);
      return undefined;
    }
    const keywords = taskKeywordsOf(raw, pos, (at, message) => this.report(at, message));
    const key = actions[0]!;
    const include = key.replace(/^ansible\.builtin\./, '');
    if (includeNames.has(include)) return this.include(include, raw[key], raw, { ...common, keywords }, context);

    let moduleName = key;
    let value: unknown = raw[key];
    if (key === 'action' || key === 'local_action') {
      const parsed = this.oldStyleAction(raw[key], keyPositionOf(raw, key)!);
      if (!parsed) return undefined;
      [moduleName, value] = parsed;
      if (key === 'local_action') keywords.delegate_to = 'localhost';
    }
    const module = findModule(moduleName);
    if (!module) {
      this.unknownModule(moduleName, raw, keyPositionOf(raw, key));
      return undefined;
    }
    const args = this.moduleArgs(module, value, raw.args, positionOf(raw, key)!);
    if (!args) return undefined;
    const task: Task = { kind: 'task', ...common, module, action: moduleName, args, keywords };
    for (const { arg, kind } of module.localFiles ?? []) checkLocalFile(task, arg, kind, this.playbookDir, (pos, message, extra) => this.report(pos, message, extra));
    checkIncludeVars(task, this.playbookDir, (pos, message, extra) => this.report(pos, message, extra));
    return task;
  }

  private unknownModule(name: string, raw: Raw, at?: SourcePos): void {
    // the schema already said "unknown key" for a key that is no module; only an old-style action lands here
    const unsupported = unsupportedModuleMessage(name);
    if (at && unsupported) this.report(at, unsupported);
    else if (at) this.report(at, `unknown module '${name}'`, { ...(didYouMean(name, moduleNames()) ? { hint: didYouMean(name, moduleNames())! } : {}) });
    void raw;
  }

  /** `action: shell echo hi`, `action: {module: shell, cmd: ...}` */
  private oldStyleAction(value: unknown, pos: SourcePos): [string, unknown] | undefined {
    if (typeof value === 'string') {
      const match = /^\s*(\S+)\s*([\s\S]*)$/.exec(value);
      if (!match) {
        this.report(pos, 'an action needs a module name');
        return undefined;
      }
      return [match[1]!, match[2]!];
    }
    if (isPlainObject(value) && typeof value.module === 'string') {
      const { module, ...rest } = value;
      return [module as string, rest];
    }
    this.report(pos, "an action must be 'module args' or a mapping with 'module'");
    return undefined;
  }

  /** free-form and key=value strings, `args:`, aliases; then checked against the module's schema */
  private moduleArgs(module: ModuleDefinition, value: unknown, extra: unknown, pos: SourcePos): Vars | undefined {
    let inline: Vars;
    const valuePos = positionOf(value) ?? pos;

    if (value === null || value === undefined) inline = {};
    else if (typeof value === 'string') {
      const known = new Set(Object.keys((module.args as unknown as { properties: Record<string, unknown> }).properties));
      try {
        if (module.freeForm) {
          known.delete(module.freeForm);
          const parsed = parseKeyValue(value, known);
          inline = { ...parsed.args, ...(parsed.rest !== '' ? { [module.freeForm]: parsed.rest } : {}) };
        } else {
          const parsed = parseKeyValue(value);
          if (parsed.rest !== '') {
            this.report(pos, `${module.name} takes key=value arguments, found '${parsed.rest}'`, { expected: 'a mapping of arguments, or key=value words' });
            return undefined;
          }
          inline = parsed.args;
        }
      } catch (err) {
        this.report(pos, `cannot read the arguments of ${module.name}: ${(err as Error).message}`);
        return undefined;
      }
      rememberPosition(inline, valuePos);
    } else if (isPlainObject(value)) inline = value;
    else {
      this.report(pos, `the arguments of ${module.name} are ${Array.isArray(value) ? 'a list' : String(value)}`, { expected: 'a mapping of arguments' });
      return undefined;
    }
    // inline arguments win over `args:`, as in Ansible
    let args: Vars = isPlainObject(extra) ? { ...extra, ...inline } : inline;
    const aliased = resolveAliases(module, args, pos);
    this.problems.push(...aliased.problems);
    args = aliased.args;
    if (args !== value) positionsFrom(args, extra, inline);
    const problems = checkModuleArgs(module, args, pos).map((p) =>
      module.freeForm ? { ...p, message: p.message.replace(`'${module.freeForm}' is`, `${module.name} is`) } : p,
    );
    // errors on merged copies point at the task; where the key came from a loaded mapping, at the key
    this.problems.push(...problems.map((p) => (p.line > 0 ? p : { ...p, file: pos.file, line: pos.line, col: pos.col })));
    return problems.some((p) => p.severity === 'error') ? undefined : args;
  }

  private async include(kind: string, value: unknown, raw: Raw, common: IncludeCommon, context: TaskContext): Promise<TaskItem | undefined> {
    const pos = keyPositionOf(raw, Object.keys(raw).find((k) => k.endsWith(kind))!) ?? common.pos;
    if (kind === 'import_tasks' || kind === 'include_tasks') {
      const file = typeof value === 'string' ? value : isPlainObject(value) && typeof value.file === 'string' ? value.file : undefined;
      if (file === undefined) {
        this.report(pos, `${kind} needs a file name`);
        return undefined;
      }
      if (isTemplate(file)) {
        if (kind === 'import_tasks') {
          this.report(pos, `import_tasks is static: its file name cannot be a template ('${file}')`, { hint: 'use include_tasks for a name known only when the task runs' });
          return undefined;
        }
        return { kind: 'include_tasks', ...common, path: file } satisfies IncludeTasks;
      }
      const path = this.taskFilePath(file, context);
      if (!path) {
        this.report(pos, `tasks file not found: ${file}`, { expected: `a file relative to ${dirname(context.file)}${context.role ? ` or ${join(context.role.path, 'tasks')}` : ''}` });
        return undefined;
      }
      const tasks = await this.taskFile(path, { ...guardedBy(raw, context), file: path });
      if (kind === 'include_tasks') return { kind: 'include_tasks', ...common, path, loaded: tasks } satisfies IncludeTasks;
      return { kind: 'block', ...common, block: tasks, rescue: [], always: [], keywords: common.keywords, origin: 'import_tasks' } satisfies Block;
    }
    // import_role / include_role
    if (!isPlainObject(value) || typeof value.name !== 'string') return undefined; // the schema reported it
    if (isTemplate(value.name)) {
      if (kind === 'import_role') {
        this.report(pos, `import_role is static: its role name cannot be a template ('${value.name}')`, { hint: 'use include_role' });
        return undefined;
      }
      return { kind: 'include_role', ...common, roleName: value.name, public: value.public === true, ...fromOptions(value) } satisfies IncludeRole;
    }
    const loaded = await this.roleWithDependencies(value.name, pos, context.role?.path, fromOptions(value), raw.when !== undefined || context.guarded === true);
    if (!loaded) return undefined;
    context.handlers.push(...loaded.handlers);
    if (kind === 'include_role') {
      return { kind: 'include_role', ...common, roleName: value.name, public: value.public === true, ...fromOptions(value), loaded } satisfies IncludeRole;
    }
    return { kind: 'block', ...common, block: loaded.tasks, rescue: [], always: [], keywords: common.keywords, origin: 'import_role' } satisfies Block;
  }

  /**
   * A role imported or included by a task: its meta dependencies (each a role block), then the role's own
   * block, where its argument_specs are checked before its first task.
   */
  private async roleWithDependencies(name: string, pos: SourcePos, parentRole: string | undefined, from: FromOptions, guarded: boolean): Promise<{ instance: RoleInstance; tasks: TaskItem[]; handlers: TaskItem[] } | undefined> {
    const loaded = await this.role(name, pos, parentRole, {}, {}, from, [], guarded);
    if (!loaded) return undefined;
    const tasks: TaskItem[] = [];
    const handlers = [...loaded.handlers];
    for (const [i, dep] of loaded.meta.dependencies.entries()) {
      for (const d of await this.roleEntry(dep, positionOf(loaded.meta.dependenciesRaw, i) ?? pos, loaded.instance.path, new Map(), [name], guarded)) {
        tasks.push(d.block);
        handlers.push(...d.handlers);
      }
    }
    tasks.push({ kind: 'block', pos, file: pos.file, vars: {}, name, role: loaded.instance, block: loaded.tasks, rescue: [], always: [], keywords: {}, origin: 'role' });
    return { instance: loaded.instance, tasks, handlers };
  }

  /** Ansible looks for an included file next to the including file, then in the role's tasks/ */
  private taskFilePath(file: string, context: TaskContext): string | undefined {
    const candidates = [resolve(dirname(context.file), file)];
    if (context.role) candidates.push(resolve(context.role.path, 'tasks', file));
    candidates.push(resolve(this.playbookDir, file));
    const found = candidates.find((c) => existsSync(c));
    return found === undefined ? undefined : displayPath(found);
  }

  private async taskFile(path: string, context: TaskContext): Promise<TaskItem[]> {
    if (this.loading.has(path)) {
      this.report({ file: path, line: 1, col: 1 }, `tasks file includes itself: ${path}`);
      return [];
    }
    this.loading.add(path);
    try {
      const doc = await this.document(path, context.isHandler ? 'handlers' : 'tasks', { guarded: context.guarded === true });
      if (doc === undefined || doc === null) return [];
      if (!Array.isArray(doc)) {
        this.report(positionOf(doc) ?? { file: path, line: 1, col: 1 }, 'a tasks file must be a list of tasks');
        return [];
      }
      return await this.taskList(doc, context);
    } finally {
      this.loading.delete(path);
    }
  }

  /** one entry of a play's `roles:` (or a dependency), its dependencies first */
  /** `parentRole`: the directory of the role whose meta lists this one as a dependency */
  private async roleEntry(entry: unknown, pos: SourcePos, parentRole: string | undefined, seen: Map<string, RoleInstance>, chain: string[], guardedAbove = false): Promise<{ instance: RoleInstance; block: Block; handlers: TaskItem[] }[]> {
    let name: string | undefined;
    let rest: Raw = {};
    if (typeof entry === 'string') name = entry;
    else if (isPlainObject(entry)) {
      const { role, name: alt, ...others } = entry;
      name = typeof role === 'string' ? role : typeof alt === 'string' ? alt : undefined;
      rest = others;
    }
    if (!name) {
      this.report(pos, 'a role entry needs a role name', { expected: "a string, or a mapping with 'role'" });
      return [];
    }
    if (chain.includes(name)) {
      this.report(pos, `role dependency cycle: ${[...chain, name].join(' -> ')}`);
      return [];
    }
    const keywords = inherited(rest);
    const params: Vars = {};
    const keywordNames = new Set(['when', 'tags', 'vars', ...inheritedNames]);
    for (const [k, v] of Object.entries(rest)) if (!keywordNames.has(k)) params[k] = v;
    const roleVars = isPlainObject(rest.vars) ? rest.vars : {};
    const roleParams = { ...roleVars, ...params };
    positionsFrom(roleParams, roleVars, entry);
    const identity = `${name}\u0000${JSON.stringify({ ...params, ...roleVars })}`;
    const previous = seen.get(identity);
    if (previous && !previous.allowDuplicates) return [];
    const guarded = guardedAbove || keywords.when !== undefined;
    const loaded = await this.role(name, pos, parentRole, roleParams, keywords, {}, chain, guarded);
    if (!loaded) return [];
    seen.set(identity, loaded.instance);
    const out: { instance: RoleInstance; block: Block; handlers: TaskItem[] }[] = [];
    // dependencies (meta/main.yml) run first, each once per play
    for (const [i, dep] of loaded.meta.dependencies.entries()) {
      out.push(...(await this.roleEntry(dep, positionOf(loaded.meta.dependenciesRaw, i) ?? pos, loaded.instance.path, seen, [...chain, name], guarded)));
    }
    const block: Block = { kind: 'block', pos, file: pos.file, vars: {}, name, role: loaded.instance, block: loaded.tasks, rescue: [], always: [], keywords, origin: 'role' };
    out.push({ instance: loaded.instance, block, handlers: loaded.handlers });
    return out;
  }

  private async role(
    name: string,
    pos: SourcePos,
    parentRole: string | undefined,
    params: Vars,
    keywords: InheritedKeywords,
    from: FromOptions,
    chain: string[],
    guarded: boolean,
  ): Promise<LoadedRole | undefined> {
    if (chain.includes(name)) {
      this.report(pos, `role dependency cycle: ${[...chain, name].join(' -> ')}`);
      return undefined;
    }
    const found = findRole(name, this.search, this.playbookDir, parentRole);
    if (found.ambiguous) {
      this.report(pos, `role '${name}' is shipped by more than one npm package: ${found.ambiguous.map(displayPath).join(' and ')}; keep one, or name the role by its path`);
      return undefined;
    }
    if (!found.path) {
      const hint = didYouMean(name, availableRoles(this.search));
      this.report(pos, `role '${name}' not found; searched: ${found.searched.map(displayPath).join(', ')}`, hint ? { hint } : {});
      return undefined;
    }
    const path = displayPath(found.path);
    const defaultsFile = roleFile(path, 'defaults', from.defaultsFrom ?? 'main');
    const varsFile = roleFile(path, 'vars', from.varsFrom ?? 'main');
    const metaFile = roleFile(path, 'meta', 'main');
    const specsFile = roleFile(path, 'meta', 'argument_specs');
    const entryPoint = from.tasksFrom ?? 'main';
    const tasksFile = roleFile(path, 'tasks', entryPoint);
    const handlersFile = roleFile(path, 'handlers', from.handlersFrom ?? 'main');
    if (from.tasksFrom && !tasksFile) this.report(pos, `role '${name}' has no tasks file '${from.tasksFrom}' in ${join(path, 'tasks')}`);
    for (const [option, value, part, file] of [['defaults_from', from.defaultsFrom, 'defaults', defaultsFile], ['vars_from', from.varsFrom, 'vars', varsFile], ['handlers_from', from.handlersFrom, 'handlers', handlersFile]] as const) {
      if (value && !file) this.report(pos, `role '${name}' has no ${part} file '${value}' (${option})`);
    }
    const defaults = defaultsFile ? await this.document(defaultsFile, 'vars') : undefined;
    const vars = varsFile ? await this.document(varsFile, 'vars') : undefined;
    const meta = metaFile ? await this.document(metaFile, 'roleMeta') : undefined;
    const specsDoc = specsFile ? await this.document(specsFile, 'argumentSpecs') : undefined;
    const specsSource = isPlainObject(specsDoc) ? specsDoc.argument_specs : isPlainObject(meta) ? meta.argument_specs : undefined;
    const specEntry = isPlainObject(specsSource) ? specsSource[entryPoint] : undefined;
    const argumentSpecs: ArgumentSpec | undefined = isPlainObject(specEntry)
      ? { options: (isPlainObject(specEntry.options) ? specEntry.options : {}) as Record<string, ArgumentOption>, pos: positionOf(specsSource, entryPoint)! }
      : undefined;
    const instance: RoleInstance = {
      name,
      path,
      params,
      keywords,
      defaults: isPlainObject(defaults) ? defaults : {},
      vars: isPlainObject(vars) ? vars : {},
      entryPoint,
      pos,
      ...(argumentSpecs ? { argumentSpecs } : {}),
    };
    if (isPlainObject(meta) && meta.allow_duplicates === true) instance.allowDuplicates = true;
    if (argumentSpecs) this.problems.push(...checkRoleArguments(instance, argumentSpecs, pos));
    const context: TaskContext = { file: tasksFile ?? join(path, 'tasks', 'main.yml'), role: instance, handlers: [], ...(guarded ? { guarded } : {}) };
    const tasks = tasksFile ? await this.taskFile(tasksFile, context) : [];
    const handlers = handlersFile ? await this.taskFile(handlersFile, { file: handlersFile, role: instance, handlers: [], isHandler: true, ...(guarded ? { guarded } : {}) }) : [];
    const dependenciesRaw = isPlainObject(meta) && Array.isArray(meta.dependencies) ? meta.dependencies : [];
    return {
      instance,
      tasks,
      handlers: [...handlers, ...context.handlers],
      meta: { dependencies: dependenciesRaw, dependenciesRaw, ...(metaFile ? { file: metaFile } : {}) },
    };
  }
}

interface TaskContext {
  file: string;
  role?: RoleInstance;
  /** handlers that imported roles bring into the play */
  handlers: TaskItem[];
  isHandler?: boolean;
  /** under a `when` (of a block, an include or import, a role): a module for other systems is then only a warning */
  guarded?: boolean;
}

/** the context of the tasks under `raw`: guarded once `raw` has a `when` */
function guardedBy(raw: Raw, context: TaskContext): TaskContext {
  return raw.when === undefined || context.guarded ? context : { ...context, guarded: true };
}

interface IncludeCommon {
  pos: SourcePos;
  file: string;
  vars: Vars;
  name?: string;
  role?: RoleInstance;
  keywords: TaskKeywords;
}

interface FromOptions {
  tasksFrom?: string;
  defaultsFrom?: string;
  varsFrom?: string;
  handlersFrom?: string;
}

function fromOptions(value: Raw): FromOptions {
  const out: FromOptions = {};
  if (typeof value.tasks_from === 'string') out.tasksFrom = value.tasks_from;
  if (typeof value.defaults_from === 'string') out.defaultsFrom = value.defaults_from;
  if (typeof value.vars_from === 'string') out.varsFrom = value.vars_from;
  if (typeof value.handlers_from === 'string') out.handlersFrom = value.handlers_from;
  return out;
}

interface LoadedRole {
  instance: RoleInstance;
  tasks: TaskItem[];
  handlers: TaskItem[];
  meta: { dependencies: unknown[]; dependenciesRaw: unknown[]; file?: string };
}

/** include_tasks whose file is known only when the task runs: the file, relative to the including one */
export async function loadIncludedTasks(path: string, include: IncludeTasks, playbookDir: string, options: LoadOptions = {}): Promise<{ tasks: TaskItem[]; problems: Problem[] }> {
  const loader = new Loader(roleSearch(playbookDir, options.rolesPath), playbookDir);
  const tasks = await loader.includedTasks(path, include);
  return { tasks, problems: loader.problems };
}

/** include_role whose name is known only when the task runs */
export async function loadIncludedRole(name: string, include: IncludeRole, playbookDir: string, options: LoadOptions = {}): Promise<{ role?: { instance: RoleInstance; tasks: TaskItem[]; handlers: TaskItem[] }; problems: Problem[] }> {
  const loader = new Loader(roleSearch(playbookDir, options.rolesPath), playbookDir);
  const role = await loader.includedRole(name, include);
  return { ...(role ? { role } : {}), problems: loader.problems };
}

/** Loads a playbook and all it pulls in. Never throws for a user mistake: see `problems`. */
export async function loadPlaybook(file: string, options: LoadOptions = {}): Promise<LoadResult> {
  const dir = dirname(resolve(file));
  const loader = new Loader(roleSearch(dir, options.rolesPath), dir);
  const plays = await loader.playbook(file);
  return { playbook: { file, dir, plays }, problems: uniqueProblems(loader.problems) };
}

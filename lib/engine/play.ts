/**
 * A play: its hosts in batches (serial), each batch through pre_tasks, roles and tasks, post_tasks, with
 * handlers flushed after each section, Ansible's linear strategy (each task on every host of the batch at
 * once, up to --forks), blocks with rescue/always, and the play's failure rules.
 */
import { isTemplate } from '../modules/coerce.js';
import { findModule } from '../modules/index.js';
import { metaActions, type MetaAction } from '../modules/meta.js';
import { validateRoleArguments } from '../playbook/argument-specs.js';
import type { Block, IncludeRole, IncludeTasks, InheritedKeywords, Play, RoleInstance, Task, TaskItem, Vars } from '../playbook/types.js';
import { formatProblem, type Problem, type SourcePos } from '../source/index.js';
import type { Templar } from '../template/index.js';
import type { Scope, VariableStore } from '../vars/store.js';
import { serialBatches, orderHosts } from './batches.js';
import type { EventListener, HostStats, HostStatus } from './events.js';
import { Handlers } from './handlers.js';
import { HostStates, hostResult } from './host-state.js';
import { shouldRun, type TagFilter } from './tags.js';
import { foldKeywords, isFlagSet, TaskRunner, type Outcome, type TaskEnvironment } from './task.js';
import type { ModuleResult } from '../modules/module.js';
import { fnmatch } from '../ansible/index.js';
import { mapLimit } from '../connection/semaphore.js';

/** Where a task stands in the tree: what it inherits. Outer first. */
interface Context {
  keywords: InheritedKeywords[];
  roles: RoleInstance[];
  blocks: Vars[];
  includeParams?: Vars;
  /** role argument values after argument_specs, per host */
  roleArguments?: Map<string, Vars>;
  handler?: boolean;
  /** inside a block with a rescue: a failure here is not fatal (any_errors_fatal, max_fail_percentage) before the rescue ran */
  rescuable?: boolean;
  /** the play's fact gathering: it runs whatever --start-at-task says, as in Ansible */
  gathering?: boolean;
}

export interface PlayOptions {
  tags: TagFilter;
  forks: number;
  forceHandlers: boolean;
  startAtTask?: string;
  /** keywords from the command line (-b, -u, -c...): under the play's own, as ansible-playbook's flags are */
  defaults?: InheritedKeywords;
}

/** Per run: shared by every play. */
export interface RunState {
  stats: Map<string, HostStats>;
  /** hosts that failed or were unreachable in an earlier play: Ansible leaves them out of later plays */
  failedHosts: Set<string>;
  unreachableHosts: Set<string>;
  nextTaskId: number;
  tasksRun: number;
  /** --start-at-task: still looking for the task */
  startAtPending: boolean;
  interrupted: () => boolean;
}

class PlayEnded extends Error {}

export class PlayRunner {
  private readonly hosts: HostStates;
  private readonly handlers: Handlers;
  private batch: string[] = [];
  private allHosts: string[] = [];
  private readonly runner: TaskRunner;
  private playFailures = 0;
  private endPlay = false;
  private endBatch = false;

  constructor(
    private readonly play: Play,
    private readonly store: VariableStore,
    private readonly templar: Templar,
    private readonly env: TaskEnvironment,
    private readonly options: PlayOptions,
    private readonly run: RunState,
    private readonly emit: EventListener,
  ) {
    this.runner = new TaskRunner(env);
    this.hosts = new HostStates(run.stats, emit);
    this.handlers = new Handlers(play.handlers);
  }

  /** the play's keywords over the command line's */
  private playKeywords(): InheritedKeywords[] {
    return this.options.defaults ? [this.options.defaults, this.play.keywords] : [this.play.keywords];
  }

  /** hosts of the batch still in the play */
  activeHosts(hosts: readonly string[] = this.batch): string[] {
    return this.hosts.active(hosts);
  }

  playHosts(): string[] {
    return this.activeHosts(this.allHosts);
  }

  batchHosts(): string[] {
    return this.activeHosts(this.batch);
  }

  allPlayHosts(): string[] {
    return [...this.allHosts];
  }

  /**
   * Runs the play on `hosts`; true when the playbook ends with it, as in Ansible: every host of a batch failed,
   * or any_errors_fatal / max_fail_percentage stopped the play.
   */
  async runPlay(hosts: string[]): Promise<boolean> {
    const playVars = this.store.view(hosts[0] ?? 'localhost', { play: this.play });
    const serialRaw = this.play.keywords.serial !== undefined ? this.templar.renderData(this.play.keywords.serial, playVars, this.play.pos) : undefined;
    const serial = serialRaw === undefined ? undefined : (Array.isArray(serialRaw) ? serialRaw : [serialRaw]).map((v) => (typeof v === 'number' ? v : String(v)));
    this.allHosts = orderHosts(hosts, this.play.keywords.order);
    const batches = serialBatches(this.allHosts, serial);
    this.hosts.start(this.allHosts);
    await this.loadVarsFiles();
    this.emit({ type: 'play_start', play: this.play.name, hosts: this.allHosts, batches });
    if (this.allHosts.length === 0) {
      this.emit({ type: 'play_end', play: this.play.name });
      return false;
    }
    const maxFailPct = this.play.keywords.max_fail_percentage !== undefined ? Number(this.templar.renderData(this.play.keywords.max_fail_percentage, playVars, this.play.pos)) : undefined;
    const maxFail = this.play.keywords.max_fail !== undefined ? Number(this.templar.renderData(this.play.keywords.max_fail, playVars, this.play.pos)) : undefined;
    let endsPlaybook = false;
    for (const batch of batches) {
      if (this.endPlay || this.run.interrupted()) break;
      this.batch = batch;
      this.endBatch = false;
      try {
        await this.runBatch(maxFailPct, maxFail);
      } catch (err) {
        if (!(err instanceof PlayEnded)) throw err;
        endsPlaybook = true;
        break;
      }
      // a batch where every host failed ends the play, and the playbook, as in Ansible
      const failedInBatch = batch.filter((h) => this.hosts.of(h).failed || this.hosts.of(h).unreachable).length;
      if (failedInBatch === batch.length) {
        endsPlaybook = true;
        break;
      }
    }
    for (const h of this.allHosts) {
      const s = this.hosts.of(h);
      if (s.failed) this.run.failedHosts.add(h);
      if (s.unreachable) this.run.unreachableHosts.add(h);
    }
    this.emit({ type: 'play_end', play: this.play.name });
    return endsPlaybook;
  }

  private async runBatch(maxFailPct: number | undefined, maxFail: number | undefined): Promise<void> {
    this.failureRules = { maxFailPct, maxFail, batchSize: this.batch.length, failedAtStart: this.batch.filter((h) => !this.activeHosts([h]).length).length };
    const playCtx: Context = { keywords: this.playKeywords(), roles: [], blocks: [] };
    const gather = this.play.keywords.gather_facts === undefined || isFlagSet(this.templar, this.play.keywords.gather_facts, this.playVars(), this.play.pos);
    if (gather) await this.gatherFacts(playCtx);
    for (const section of [this.play.preTasks, this.play.tasks, this.play.postTasks]) {
      await this.runItems(section, playCtx);
      await this.flushHandlers();
      if (this.endPlay || this.endBatch || this.run.interrupted()) return;
    }
  }

  private failureRules = { maxFailPct: undefined as number | undefined, maxFail: undefined as number | undefined, batchSize: 0, failedAtStart: 0 };

  private async gatherFacts(ctx: Context): Promise<void> {
    const setup = findModule('setup');
    if (!setup) return;
    const task: Task = { kind: 'task', name: 'Gathering Facts', pos: this.play.pos, file: this.play.file, vars: {}, module: setup, action: 'setup', args: this.play.keywords.gather_subset ? { gather_subset: this.play.keywords.gather_subset } : {}, keywords: {} };
    await this.runTask(task, { ...ctx, gathering: true, keywords: [...ctx.keywords, { tags: ['always'], check_mode: false }] });
  }

  private async runItems(items: readonly TaskItem[], ctx: Context): Promise<void> {
    for (const item of items) {
      if (this.endPlay || this.endBatch || this.run.interrupted()) return;
      if (this.activeHosts().length === 0) return;
      switch (item.kind) {
        case 'task':
          await this.runTask(item, ctx);
          break;
        case 'block':
          await this.runBlock(item, ctx);
          break;
        case 'include_tasks':
        case 'include_role':
          await this.runInclude(item, ctx);
          break;
      }
    }
  }

  private async runBlock(block: Block, ctx: Context): Promise<void> {
    let inner: Context = { ...ctx, keywords: [...ctx.keywords, block.keywords], blocks: [...ctx.blocks, block.vars] };
    if (block.origin === 'role') {
      const role = block.role!;
      inner = { ...inner, roles: [...ctx.roles, role], blocks: ctx.blocks, keywords: [...ctx.keywords, role.keywords, block.keywords] };
      if (role.argumentSpecs) inner.roleArguments = await this.validateRole(role, inner);
    }
    if (block.rescue.length === 0 && block.always.length === 0) {
      await this.runItems(block.block, inner);
      return;
    }
    const hosts = this.activeHosts();
    const before = new Set(this.failedHosts(hosts));
    await this.runItems(block.block, block.rescue.length > 0 ? { ...inner, rescuable: true } : inner);
    const failedHere = hosts.filter((h) => !before.has(h) && this.hosts.of(h).failed);
    if (block.rescue.length > 0 && failedHere.length > 0) {
      // rescue: the failure is forgiven and the host runs the rescue tasks
      for (const h of failedHere) {
        this.hosts.of(h).failed = false;
        this.hosts.stats(h).failed--;
        this.hosts.stats(h).rescued++;
        const failure = this.lastFailure.get(h);
        if (failure) {
          const t = failure.task;
          this.store.setHostVars(h, {
            ansible_failed_task: { name: t.name ?? t.action, action: t.action, args: t.args, ...(t.role ? { role: t.role.name } : {}), where: where(t.pos) },
            ansible_failed_result: failure.result,
          });
        }
      }
      await this.onlyFor(failedHere, () => this.runItems(block.rescue, inner));
    }
    if (block.always.length > 0) {
      const failedInBlock = hosts.filter((h) => this.hosts.of(h).failed && !before.has(h));
      // always runs on every host that entered the block, failed or not
      for (const h of failedInBlock) this.hosts.of(h).failed = false;
      await this.runItems(block.always, inner);
      for (const h of failedInBlock) if (!this.hosts.of(h).unreachable) this.hosts.of(h).failed = true;
    }
  }

  private failedHosts(hosts: readonly string[]): string[] {
    return hosts.filter((h) => this.hosts.of(h).failed);
  }

  /** runs `body` with only `hosts` of the batch active: the others sit it out and come back as they were */
  private async onlyFor(hosts: readonly string[], body: () => Promise<void>): Promise<void> {
    const parked = this.activeHosts().filter((h) => !hosts.includes(h));
    for (const h of parked) this.hosts.of(h).ended = true;
    try {
      await body();
    } finally {
      for (const h of parked) this.hosts.of(h).ended = false;
    }
  }

  /**
   * include_tasks / include_role: decided per host when the task is reached (its `when`, its file or role
   * name may differ by host); hosts that include the same thing run it together. As in Ansible, the
   * include's keywords do not pass to the included tasks; its `vars` do.
   */
  private async runInclude(item: IncludeTasks | IncludeRole, ctx: Context): Promise<void> {
    const keywords = foldKeywords([...ctx.keywords, item.keywords]);
    if (!shouldRun(keywords.tags, this.options.tags)) return;
    const id = this.run.nextTaskId++;
    const label = item.kind === 'include_tasks' ? `include_tasks` : `include_role : ${item.roleName}`;
    const name = item.name ?? label;
    const hosts = this.activeHosts();
    this.emit({ type: 'task_start', play: this.play.name, task: name, id, hosts, handler: false, where: where(item.pos) });
    const groups = new Map<string, string[]>();
    for (const host of hosts) {
      const started = performance.now();
      const vars = this.store.view(host, this.scope(ctx, host, item));
      try {
        if (!keywords.when.every((c) => this.templar.condition(c, vars, item.pos))) {
          this.hosts.record(host, { status: 'skipped', changed: false, ignored: false, result: { changed: false, skipped: true, skip_reason: 'Conditional result was False' }, durationMs: 0 }, id, name);
          continue;
        }
        const target = item.kind === 'include_tasks' ? item.path : item.roleName;
        const resolved = isTemplate(target) ? String(this.templar.renderString(target, vars, item.pos)) : target;
        groups.set(resolved, [...(groups.get(resolved) ?? []), host]);
        this.hosts.record(host, { status: 'ok', changed: false, ignored: false, result: { changed: false, include: resolved }, durationMs: performance.now() - started }, id, name, false);
      } catch (err) {
        this.hosts.record(host, { status: 'failed', changed: false, ignored: isFlagSet(this.templar, keywords.ignore_errors, this.playVars(), item.pos), result: { changed: false, failed: true, msg: (err as Error).message }, durationMs: performance.now() - started }, id, name);
      }
    }
    this.emit({ type: 'task_end', id, task: name });
    if (!ctx.rescuable) await this.checkFailureRules(keywords);
    const inner: Context = { ...ctx, includeParams: { ...(ctx.includeParams ?? {}), ...item.vars } };
    for (const [target, group] of groups) {
      const members = this.activeHosts(group);
      if (members.length === 0) continue;
      try {
        if (item.kind === 'include_tasks') {
          const tasks = item.loaded && target === item.path ? item.loaded : await this.env.loadTasks(target, item);
          await this.onlyFor(members, () => this.runItems(tasks, inner));
        } else {
          const loaded = item.loaded && target === item.roleName ? item.loaded : await this.env.loadRole(target, item);
          for (const handler of loaded.handlers) if (!this.play.handlers.includes(handler)) this.play.handlers.push(handler);
          // loaded.tasks holds the role's dependencies and the role's own block
          const block: Block = { kind: 'block', pos: item.pos, file: item.file, vars: {}, block: loaded.tasks, rescue: [], always: [], keywords: {}, origin: 'import_role', ...(item.name ? { name: item.name } : {}) };
          await this.onlyFor(members, () => this.runBlock(block, inner));
        }
      } catch (err) {
        if (err instanceof PlayEnded) throw err;
        // the included file could not be loaded: those hosts fail, with every problem in the message
        for (const host of members) {
          this.hosts.record(host, { status: 'failed', changed: false, ignored: false, result: { changed: false, failed: true, msg: (err as Error).message }, durationMs: 0 }, id, name);
        }
        if (!ctx.rescuable) await this.checkFailureRules(keywords);
      }
    }
  }

  /** Ansible checks a role's argument_specs in a task before the role's first: the same here, per host */
  private async validateRole(role: RoleInstance, ctx: Context): Promise<Map<string, Vars>> {
    const values = new Map<string, Vars>();
    const id = this.run.nextTaskId++;
    const name = `${role.name} : Validating arguments against arg spec '${role.entryPoint}'`;
    const hosts = this.activeHosts();
    this.emit({ type: 'task_start', play: this.play.name, task: name, id, hosts, handler: false, where: where(role.argumentSpecs!.pos) });
    for (const host of hosts) {
      const started = performance.now();
      const vars = this.store.view(host, this.scope(ctx, host, { vars: {} }));
      const given: Vars = {};
      let failure: string | undefined;
      for (const option of Object.keys(role.argumentSpecs!.options)) {
        try {
          if (option in vars) given[option] = vars[option];
        } catch (err) {
          failure = `${option}: ${(err as Error).message}`;
        }
      }
      const checked = failure ? { problems: [] as Problem[] } : validateRoleArguments(role, role.argumentSpecs!, given, role.pos, { groups: [...this.store.inventory.groups.keys()], hosts: [...this.store.inventory.hosts.keys()] });
      const ok = !failure && checked.problems.length === 0 && 'values' in checked && checked.values !== undefined;
      const result: ModuleResult = ok
        ? { changed: false, failed: false, msg: 'The arg spec validation passed', validate_args_context: { name: role.name, type: 'role', path: role.path, argument_spec_name: role.entryPoint } }
        : { changed: false, failed: true, msg: failure ?? checked.problems.map(formatProblem).join('\n'), argument_errors: checked.problems.map((p) => p.message) };
      if (ok) values.set(host, (checked as { values: Vars }).values);
      this.hosts.record(host, { status: ok ? 'ok' : 'failed', changed: false, ignored: false, result, durationMs: performance.now() - started }, id, name);
    }
    this.emit({ type: 'task_end', id, task: name });
    await this.checkFailureRules();
    return values;
  }

  /** vars_files whose names are templates, read per host at the start of the play (as Ansible does) */
  private readonly varsFiles = new Map<string, Vars[]>();

  private async loadVarsFiles(): Promise<void> {
    if (!this.play.varsFiles.some((f) => f.vars === undefined)) return;
    for (const host of this.allHosts) {
      const loaded: Vars[] = [];
      for (const file of this.play.varsFiles) {
        if (file.vars) {
          loaded.push(file.vars);
          continue;
        }
        const vars = this.store.view(host, { play: this.play, varsFiles: loaded });
        const candidates = (file.alternatives ?? [file.path]).map((p) => String(this.templar.renderString(p, vars, file.pos)));
        loaded.push(await this.env.loadVarsFile(candidates, file.pos));
      }
      this.varsFiles.set(host, loaded);
    }
  }

  /**
   * Variables for play-wide keywords (force_handlers, throttle, any_errors_fatal...): the play's, seen from
   * the batch's first host, as Ansible templates them with the play's variables.
   */
  private playVars(): Vars {
    return this.store.view(this.batch[0] ?? this.allHosts[0] ?? 'localhost', { play: this.play });
  }

  /** the variable scope of a task for a host */
  private scope(ctx: Context, host: string, task: { vars: Vars; file?: string }): Scope {
    return {
      ...(task.file !== undefined ? { file: task.file } : {}),
      play: this.play,
      ...(this.varsFiles.has(host) ? { varsFiles: this.varsFiles.get(host)! } : {}),
      roles: ctx.roles,
      blocks: ctx.blocks,
      task: task.vars,
      ...(ctx.includeParams ? { includeParams: ctx.includeParams } : {}),
      ...(ctx.roleArguments?.get(host) ? { roleArguments: ctx.roleArguments.get(host)! } : {}),
    };
  }

  private taskName(task: Task): string {
    const base = task.name ?? task.action;
    return task.role ? `${task.role.name} : ${base}` : base;
  }

  /** A templated name, as Ansible shows it: rendered with the first host's variables (as written if that fails). */
  private shownName(task: Task, name: string, ctx: Context, host: string): string {
    if (task.name === undefined || !task.name.includes('{{')) return name;
    try {
      const rendered = String(this.templar.renderString(task.name, this.store.view(host, this.scope(ctx, host, task)), task.pos));
      return task.role ? `${task.role.name} : ${rendered}` : rendered;
    } catch {
      return name;
    }
  }

  private async runTask(task: Task, ctx: Context, onlyHosts?: readonly string[]): Promise<void> {
    const keywords = foldKeywords([...ctx.keywords, task.keywords]);
    let name = this.taskName(task);
    if (!ctx.handler) {
      if (!shouldRun(keywords.tags, this.options.tags)) return;
      if (this.run.startAtPending && !ctx.gathering) {
        if (!matchesStartAt(this.options.startAtTask!, task, name)) return;
        this.run.startAtPending = false;
      }
    }
    const hosts = onlyHosts ? this.activeHostsOrForced(onlyHosts) : this.activeHosts();
    if (hosts.length === 0) return;
    const id = this.run.nextTaskId++;
    this.run.tasksRun++;
    name = this.shownName(task, name, ctx, hosts[0]!);
    this.emit({ type: 'task_start', play: this.play.name, task: name, id, hosts, handler: Boolean(ctx.handler), where: where(task.pos) });

    const runOnce = (host: string) => {
      const vars = this.store.view(host, this.scope(ctx, host, task));
      return isFlagSet(this.templar, keywords.run_once, vars, task.pos) || Boolean(task.module.oncePerBatch);
    };
    const first = hosts[0]!;
    const outcomes = new Map<string, Outcome>();
    if (runOnce(first)) {
      // run_once: the first host runs it; every host of the batch gets its result (registered, notified, counted)
      const outcome = await this.runner.run(task, first, this.store.view(first, this.scope(ctx, first, task)), keywords, this.itemReporter(first, id, name));
      for (const h of hosts) {
        outcomes.set(h, outcome);
        this.applyOutcome(task, ctx, h, outcome, id, name);
      }
    } else {
      const throttle = keywords.throttle !== undefined ? Number(this.templar.renderData(keywords.throttle, this.playVars(), task.pos)) : 0;
      const limit = Math.max(1, Math.min(this.options.forks, throttle > 0 ? throttle : Infinity));
      await mapLimit(hosts, limit, async (host) => {
        const outcome = await this.runner.run(task, host, this.store.view(host, this.scope(ctx, host, task)), keywords, this.itemReporter(host, id, name));
        outcomes.set(host, outcome);
        this.applyOutcome(task, ctx, host, outcome, id, name);
      });
    }
    this.emit({ type: 'task_end', id, task: name });

    // meta directives act on the play once the task has run everywhere
    const metas = new Set<MetaAction>();
    for (const [host, outcome] of outcomes) {
      const action = outcome.result.meta;
      if (typeof action === 'string' && (metaActions as readonly string[]).includes(action) && outcome.status !== 'skipped') {
        metas.add(action as MetaAction);
        if (action === 'end_host') this.hosts.of(host).ended = true;
      }
    }
    for (const action of metas) await this.meta(action, hosts);
    if (!ctx.handler && !ctx.rescuable) await this.checkFailureRules(keywords, outcomes);
  }

  private activeHostsOrForced(hosts: readonly string[]): string[] {
    const forced = this.options.forceHandlers || isFlagSet(this.templar, this.play.keywords.force_handlers, this.playVars(), this.play.pos);
    return hosts.filter((h) => {
      const s = this.hosts.of(h);
      if (s.unreachable || s.ended) return false;
      return !s.failed || forced;
    });
  }

  /** reports each loop item as it comes; items are shown, the task's summary is what counts in the recap */
  private itemReporter(host: string, id: number, task: string): (label: unknown, outcome: Outcome) => void {
    return (label, outcome) => this.emit({ ...hostResult(host, outcome, id, task), item: label });
  }

  /** what a task's outcome does to the host: register, facts, notifications, the recap and the events */
  private applyOutcome(task: Task, ctx: Context, host: string, outcome: Outcome, id: number, name: string): void {
    if (task.keywords.register) this.store.setHostVars(host, { [task.keywords.register]: outcome.result });
    // a looped task's facts come with each item's result, in order, as Ansible's strategy applies them
    const items = Array.isArray(outcome.result.results) ? (outcome.result.results as ModuleResult[]) : [outcome.result];
    for (const item of outcome.status !== 'failed' ? items : []) {
      const facts = item.ansible_facts;
      if (!facts || typeof facts !== 'object') continue;
      if (task.module.name === 'set_fact') this.store.setHostVars(host, facts as Vars);
      else if (task.module.name === 'include_vars') this.store.includeVars(host, facts as Vars);
      else this.store.addFacts(host, facts as Vars);
    }
    if (outcome.changed && outcome.status !== 'failed') this.notify(task, ctx, host);
    if (outcome.status === 'failed' && !outcome.ignored) this.lastFailure.set(host, { task, result: outcome.result });
    this.hosts.record(host, outcome, id, name);
  }

  /** the failed task and result of each host, for a rescue's ansible_failed_task and ansible_failed_result */
  private readonly lastFailure = new Map<string, { task: Task; result: ModuleResult }>();

  private notify(task: Task, ctx: Context, host: string): void {
    const names = [...(task.keywords.notify ?? []), ...ctx.keywords.flatMap((k) => ((k as { notify?: string[] }).notify ?? []))];
    for (const raw of names) {
      const name = isTemplate(raw) ? String(this.templar.renderString(raw, this.store.view(host, this.scope(ctx, host, task)), task.pos)) : raw;
      this.handlers.notify(name, host);
    }
  }

  /** runs every notified handler once, in the order the handlers are written, on the hosts of the batch that notified it */
  async flushHandlers(): Promise<void> {
    await this.handlers.flush({ keywords: this.playKeywords(), blocks: [] }, async (handler, scope, notified) => {
      const ctx: Context = { ...scope, handler: true, roles: handler.role ? [handler.role] : [] };
      await this.runTask(handler, ctx, this.batch.filter((h) => notified.has(h)));
    });
  }

  private async meta(action: MetaAction, hosts: readonly string[]): Promise<void> {
    switch (action) {
      case 'flush_handlers':
        await this.flushHandlers();
        break;
      case 'end_play':
        this.endPlay = true;
        break;
      case 'end_batch':
        this.endBatch = true;
        break;
      case 'clear_host_errors':
        for (const h of this.batch) {
          const s = this.hosts.of(h);
          if (s.failed) s.failed = false;
        }
        break;
      case 'clear_facts':
        for (const h of hosts) this.store.clearFacts(h);
        break;
      case 'reset_connection':
        await this.env.resetConnections(hosts);
        break;
      default:
        break;
    }
  }

  /** any_errors_fatal, max_fail_percentage (per batch, must be exceeded), max_fail (whole play) */
  private async checkFailureRules(keywords?: ReturnType<typeof foldKeywords>, outcomes?: Map<string, Outcome>): Promise<void> {
    const failedNow = [...(outcomes ?? [])].filter(([, o]) => (o.status === 'failed' || o.status === 'unreachable') && !o.ignored).map(([h]) => h);
    const anyFatal = keywords?.any_errors_fatal !== undefined ? isFlagSet(this.templar, keywords.any_errors_fatal, this.playVars(), this.play.pos) : false;
    const failedInBatch = this.batch.filter((h) => this.hosts.of(h).failed || this.hosts.of(h).unreachable).length - this.failureRules.failedAtStart;
    const newFailures = failedNow.length;
    this.playFailures += newFailures;
    const { maxFailPct, maxFail, batchSize } = this.failureRules;
    const breach = (anyFatal && failedNow.some((h) => this.hosts.of(h).failed || this.hosts.of(h).unreachable))
      || (maxFailPct !== undefined && batchSize > 0 && (failedInBatch / batchSize) * 100 > maxFailPct)
      || (maxFail !== undefined && this.playFailures > maxFail);
    if (!breach) return;
    for (const h of this.batch) {
      const s = this.hosts.of(h);
      if (!s.failed && !s.unreachable && !s.ended) s.failed = true;
    }
    this.endPlay = true;
    throw new PlayEnded();
  }
}

function where(pos: SourcePos): string {
  return `${pos.file}:${pos.line}:${pos.col}`;
}

/** --start-at-task: the task's name or "role : name", with shell-style wildcards as Ansible's fnmatch */
function matchesStartAt(pattern: string, task: Task, fullName: string): boolean {
  if (task.name === pattern || fullName === pattern) return true;
  return (task.name !== undefined && fnmatch(task.name, pattern)) || fnmatch(fullName, pattern);
}

export type { HostStatus };

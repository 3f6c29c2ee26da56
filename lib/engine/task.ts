/**
 * One task on one host: conditions, loop, arguments rendered and checked, the module run through the host's
 * connection (the delegate's for delegate_to), until/retries, changed_when/failed_when, register.
 * Failures are results, not exceptions: an unreachable host is a result too.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync } from 'node:fs';
import { CommandStoppedError, ConnectionError, type Become, type CommandSpec, type Connection, type RunOptions } from '../connection/types.js';
import { isPlainObject, isTemplate } from '../modules/coerce.js';
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../modules/module.js';
import { finalizeModuleArgs } from '../playbook/module-args.js';
import { localFileCandidates } from '../playbook/references.js';
import type { Condition, IncludeRole, IncludeTasks, InheritedKeywords, RoleInstance, Task, TaskItem, Vars } from '../playbook/types.js';
import { formatProblem, positionOf, type SourcePos } from '../source/index.js';
import { TemplateError, type Templar } from '../template/index.js';
import type { HostStatus } from './events.js';
import { ansibleBoolean, taskSearchPath, templateSearchPath } from '../ansible/index.js';
import { becomeFromSettings, settingsFromVars, type ConnectionSettings } from '../connection/index.js';
import { hostname } from 'node:os';
import { resolve as resolvePath } from 'node:path';

/** The keywords that apply to a task once its play's, roles' and blocks' are folded in (task wins). */
export interface EffectiveKeywords extends InheritedKeywords {
  when: Condition[];
  tags: string[];
  environment?: unknown;
}

/** Folds inherited keywords: `when` and `tags` add up, environment merges per variable, the rest the innermost wins. */
export function foldKeywords(chain: readonly InheritedKeywords[]): EffectiveKeywords {
  const out: EffectiveKeywords = { when: [], tags: [] };
  const environments: unknown[] = [];
  for (const k of chain) {
    for (const [key, value] of Object.entries(k)) {
      if (value === undefined) continue;
      if (key === 'when') out.when.push(...(value as Condition[]));
      else if (key === 'tags') out.tags.push(...(value as string[]));
      else if (key === 'environment') environments.push(value);
      else if (key === 'module_defaults') out.module_defaults = { ...(out.module_defaults ?? {}), ...(value as Record<string, Vars>) };
      else (out as unknown as Record<string, unknown>)[key] = value;
    }
  }
  if (environments.length === 1) out.environment = environments[0];
  else if (environments.length > 1) out.environment = environments;
  out.tags = [...new Set(out.tags)];
  return out;
}

export interface Outcome {
  status: HostStatus;
  changed: boolean;
  /** a failure that ignore_errors let pass */
  ignored: boolean;
  /** what `register` stores */
  result: ModuleResult;
  /** what the output and the events show, when it differs from `result`: the censored result under no_log */
  shown?: ModuleResult;
  /** the host the module ran on, when delegated */
  delegatedTo?: string;
  durationMs: number;
}

/** What a task needs from the play to run on a host. */
export interface TaskEnvironment {
  templar: Templar;
  check: boolean;
  diff: boolean;
  verbosity: number;
  signal: AbortSignal;
  /** when aborted (a second Ctrl-C), the commands in flight are killed and their tasks fail */
  killSignal?: AbortSignal;
  playbookDir: string;
  omit: string;
  /** --ask-become-pass, for hosts whose variables give no become password */
  becomePassword?: string;
  /** the connection of a host (created on first use, kept for the run) and its become settings */
  /**
   * The connection of the host that runs a task (the delegate's for delegate_to) and its become settings.
   * The play's and task's `connection`, `remote_user` keywords apply where the host's variables do not say
   * otherwise (in Ansible, connection variables win over keywords).
   */
  /** `vars`: the task's variables, when the task runs on its own host (a delegate's connection comes from the delegate's) */
  connect(host: string, keywords: { connection?: string; remote_user?: string }, vars?: Vars): { connection: Connection; become?: Become };
  /** meta: reset_connection */
  resetConnections(hosts: readonly string[]): Promise<void>;
  /** a vars_files entry whose name is known only now: the first of the candidates that exists (throws a ProblemError) */
  loadVarsFile(candidates: readonly string[], at: SourcePos): Promise<Vars>;
  /** include_tasks with a name known only now: the file loaded and checked (throws a ProblemError) */
  loadTasks(path: string, include: IncludeTasks): Promise<TaskItem[]>;
  /** include_role with a name known only now */
  loadRole(name: string, include: IncludeRole): Promise<{ instance: RoleInstance; tasks: TaskItem[]; handlers: TaskItem[] }>;
}

const NO_LOG_MESSAGE = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

/** What Ansible's template action adds to a template's variables (ansible_managed: 2.14's default string). */
function templateVars(path: string): Vars {
  return { ansible_managed: 'Ansible managed', template_path: path, template_fullpath: resolvePath(path), template_host: hostname() };
}

/** A connection made only when first used. */
function deferredConnection(host: string, open: () => Connection): Connection {
  let made: Connection | undefined;
  const get = (): Connection => (made ??= open());
  return {
    host,
    connect: () => get().connect(),
    run: (command, options) => get().run(command, options),
    openUnixSocket: (path) => get().openUnixSocket(path),
    close: async () => made?.close(),
  };
}

/** Python truthiness of a rendered keyword value (`ignore_errors: "{{ x }}"`) */
function flag(templar: Templar, value: unknown, vars: Vars, where: SourcePos): boolean {
  if (value === undefined || value === null) return false;
  const rendered = typeof value === 'string' ? templar.renderString(value, vars, where) : value;
  // Ansible's boolean(strict=False): a word it does not know is false
  if (typeof rendered === 'string') return ansibleBoolean(rendered) ?? false;
  return Boolean(rendered);
}

export function isFlagSet(templar: Templar, value: unknown, vars: Vars, where: SourcePos): boolean {
  return flag(templar, value, vars, where);
}

/**
 * A copy of `value` with each string rendered, one that reads an undefined variable left as written: how the
 * task executor renders a with_first_found loop (fail_on_undefined=False), so that a file named after a fact a
 * host lacks is passed over rather than failing the task.
 */
function renderLeniently(templar: Templar, value: unknown, vars: Vars, where: SourcePos): unknown {
  if (typeof value === 'string') {
    try {
      return templar.renderString(value, vars, where);
    } catch (err) {
      if (err instanceof TemplateError && err.variable !== undefined) return value;
      throw err;
    }
  }
  if (Array.isArray(value)) return value.map((v, i) => renderLeniently(templar, v, vars, positionOf(value, i) ?? where));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderLeniently(templar, v, vars, positionOf(value, k) ?? where)]));
  return value;
}

/** Loop items as Ansible builds them: `loop` takes a list as is; `with_<lookup>` gives its value to the lookup. */
function loopItems(templar: Templar, task: Task, vars: Vars): unknown[] {
  const kind = task.keywords.loopKind ?? 'loop';
  if (kind === 'loop') {
    const value = templar.renderData(task.keywords.loop, vars, task.pos);
    if (!Array.isArray(value)) throw new TemplateError(`Invalid data passed to 'loop', it requires a list, got this instead: ${JSON.stringify(value)}`, task.pos);
    return value;
  }
  const lookup = kind.slice('with_'.length);
  const where = positionOf(task.keywords, kind) ?? task.pos;
  const raw = typeof task.keywords.loop === 'string' ? task.keywords.loop.trim() : task.keywords.loop;
  let value: unknown;
  if (lookup === 'first_found') {
    value = renderLeniently(templar, raw, vars, where);
    // a term that stayed a template could not be rendered: it is dropped
    if (Array.isArray(value)) value = value.filter((t) => !(typeof t === 'string' && isTemplate(t)));
  } else value = templar.renderData(raw, vars, where);
  // the task executor's subdir for first_found: the first of template, var, file in the action's name
  const subdir = ['template', 'var', 'file'].find((s) => task.action.includes(s)) ?? 'file';
  return templar.loopItems(lookup, value, vars, where, `${subdir}s`);
}

/** The view with a few variables on top (the loop variable, a registered result), as Ansible adds them last. */
function withOverlay(base: Vars, overlay: Vars): Vars {
  return new Proxy(base, {
    get: (target, key) => (typeof key === 'string' && Object.prototype.hasOwnProperty.call(overlay, key) ? overlay[key] : Reflect.get(target, key)),
    has: (target, key) => (typeof key === 'string' && Object.prototype.hasOwnProperty.call(overlay, key)) || Reflect.has(target, key),
  });
}

/** The connection with `signal` given to every command it runs: aborting it kills them. */
function stoppable(connection: Connection, signal: AbortSignal): Connection {
  return new Proxy(connection, {
    get(target, property, receiver) {
      if (property !== 'run') return Reflect.get(target, property, receiver) as unknown;
      return (command: CommandSpec, options: RunOptions = {}) => target.run(command, { ...options, signal });
    },
  });
}

/** Removes arguments whose value is the `omit` placeholder, at any depth (Ansible removes top-level ones; nested ones are our kindness). */
function stripOmitted(value: unknown, omit: string): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== omit).map((v) => stripOmitted(v, omit));
  if (isPlainObject(value)) {
    const out: Vars = {};
    for (const [k, v] of Object.entries(value)) if (v !== omit) out[k] = stripOmitted(v, omit);
    return out;
  }
  return value;
}

function censor(result: ModuleResult): ModuleResult {
  return { changed: result.changed, ...(result.failed ? { failed: true } : {}), ...(result.skipped ? { skipped: true } : {}), censored: NO_LOG_MESSAGE };
}

export class TaskRunner {
  constructor(private readonly env: TaskEnvironment) {}

  /**
   * Runs `task` for `host`; `vars` is the host's view in the task's scope; `keywords` are folded.
   * `onItem` hears each loop item's outcome as it comes (for live output).
   */
  async run(task: Task, host: string, vars: Vars, keywords: EffectiveKeywords, onItem?: (label: unknown, outcome: Outcome) => void): Promise<Outcome> {
    const started = performance.now();
    const { templar } = this.env;
    const noLog = flag(templar, keywords.no_log, vars, task.pos);
    try {
      // a looped task's own `when` is judged per item; what it inherits, once
      const own = task.keywords.loop !== undefined ? (task.keywords.when ?? []).length : 0;
      const conditions = keywords.when.slice(0, keywords.when.length - own);
      if (!this.holds(conditions, vars, task.pos)) {
        return this.finish(started, { status: 'skipped', changed: false, ignored: false, result: { changed: false, skipped: true, skip_reason: 'Conditional result was False', false_condition: conditions.find((c) => !this.holds([c], vars, task.pos)) } }, noLog);
      }
      if (task.keywords.loop === undefined) return this.finish(started, await this.attempt(task, host, vars, keywords), noLog);

      const items = loopItems(templar, task, vars);
      const control = task.keywords.loop_control ?? {};
      const loopVar = control.loop_var ?? 'item';
      const results: ModuleResult[] = [];
      let changed = false;
      let failed = false;
      let ran = false;
      let unreachable: Outcome | undefined;
      for (const [index, item] of items.entries()) {
        const overlay: Vars = { [loopVar]: item, ansible_loop_var: loopVar };
        if (control.index_var) overlay[control.index_var] = index;
        if (flag(templar, control.extended, vars, task.pos)) {
          overlay.ansible_loop = { index: index + 1, index0: index, first: index === 0, last: index === items.length - 1, length: items.length, revindex: items.length - index, revindex0: items.length - index - 1, allitems: items, ...(index > 0 ? { previtem: items[index - 1] } : {}), ...(index < items.length - 1 ? { nextitem: items[index + 1] } : {}) };
        }
        const itemVars = withOverlay(vars, overlay);
        const itemStarted = performance.now();
        let outcome: Outcome;
        if (!this.holds(task.keywords.when ?? [], itemVars, task.pos)) {
          outcome = { status: 'skipped', changed: false, ignored: false, result: { changed: false, skipped: true, skip_reason: 'Conditional result was False' }, durationMs: 0 };
        } else {
          outcome = { ...(await this.attempt(task, host, itemVars, keywords)), durationMs: 0 };
          ran = true;
        }
        outcome.durationMs = performance.now() - itemStarted;
        const label = control.label !== undefined ? templar.renderString(control.label, itemVars, task.pos) : item;
        const itemResult: ModuleResult = { ...outcome.result, item, ansible_loop_var: loopVar, ...(control.index_var ? { [control.index_var]: index } : {}) };
        results.push(itemResult);
        onItem?.(noLog ? '(censored due to no_log)' : label, noLog ? { ...outcome, shown: censor(outcome.result) } : outcome);
        if (outcome.status === 'unreachable') {
          unreachable = outcome;
          break;
        }
        changed ||= outcome.changed;
        failed ||= outcome.status === 'failed';
        if (control.pause !== undefined && index < items.length - 1) await sleep(Number(templar.renderData(control.pause, itemVars, task.pos)) * 1000, undefined, { signal: this.env.signal }).catch(() => undefined);
      }
      if (unreachable) return this.finish(started, unreachable, noLog);
      const result: ModuleResult = { changed, results, ...(failed ? { failed: true, msg: 'One or more items failed' } : { msg: 'All items completed' }), ...(!ran ? { skipped: true } : {}) };
      const ignored = failed && flag(templar, keywords.ignore_errors, vars, task.pos);
      const status: HostStatus = failed ? 'failed' : !ran ? 'skipped' : changed ? 'changed' : 'ok';
      return this.finish(started, { status, changed, ignored, result }, noLog);
    } catch (err) {
      if (err instanceof ConnectionError) {
        return this.finish(started, { status: 'unreachable', changed: false, ignored: flag(templar, keywords.ignore_unreachable, vars, task.pos), result: { changed: false, unreachable: true, msg: err.message } }, noLog);
      }
      const message = err instanceof TemplateError ? (err.pos ? formatProblem(err.toProblem()) : err.message) : err instanceof Error ? err.message : String(err);
      return this.finish(started, { status: 'failed', changed: false, ignored: flag(templar, keywords.ignore_errors, vars, task.pos), result: { changed: false, failed: true, msg: message } }, noLog);
    }
  }

  private finish(started: number, outcome: Omit<Outcome, 'durationMs'> & { durationMs?: number }, noLog: boolean): Outcome {
    const result = outcome.result;
    if (!('failed' in result)) result.failed = false;
    // Ansible registers the real result under no_log and censors only what it prints
    return { ...outcome, result, ...(noLog ? { shown: censor(result) } : {}), durationMs: performance.now() - started };
  }

  private holds(conditions: readonly Condition[], vars: Vars, where: SourcePos): boolean {
    return conditions.every((c) => this.env.templar.condition(c, vars, where));
  }

  /** one run of the module, retried while `until` does not hold */
  private async attempt(task: Task, host: string, vars: Vars, keywords: EffectiveKeywords): Promise<Omit<Outcome, 'durationMs'>> {
    const { templar } = this.env;
    const until = task.keywords.until;
    const retries = until ? Math.max(Number(templar.renderData(task.keywords.retries ?? 3, vars, task.pos)), 0) + 1 : 1;
    const delay = Number(templar.renderData(task.keywords.delay ?? 5, vars, task.pos));
    let outcome: Omit<Outcome, 'durationMs'> | undefined;
    for (let attempt = 1; attempt <= retries; attempt++) {
      outcome = await this.once(task, host, vars, keywords);
      if (outcome.status === 'unreachable') return outcome;
      if (!until) return outcome;
      outcome.result.attempts = attempt;
      const withResult = task.keywords.register ? withOverlay(vars, { [task.keywords.register]: outcome.result }) : vars;
      if (this.holds(until, withResult, task.pos)) return outcome;
      if (attempt < retries) {
        if (this.env.signal.aborted) break;
        await sleep(delay * 1000, undefined, { signal: this.env.signal }).catch(() => undefined);
      }
    }
    if (until) {
      outcome!.result.failed = true;
      outcome!.status = 'failed';
      outcome!.result.msg ??= 'Retried until the condition held, and it never did';
    }
    return outcome!;
  }

  private async once(task: Task, host: string, vars: Vars, keywords: EffectiveKeywords): Promise<Omit<Outcome, 'durationMs'>> {
    const { templar } = this.env;
    const module = task.module;
    const raw: Vars = {};
    const defaults = keywords.module_defaults ? { ...(keywords.module_defaults[module.name] ?? {}), ...Object.fromEntries(module.aliases.flatMap((a) => Object.entries(keywords.module_defaults![a] ?? {}))) } : {};
    for (const [written, value] of Object.entries({ ...defaults, ...task.args })) {
      const at = positionOf(task.args, written) ?? task.pos;
      const name = module.templatedNames && isTemplate(written) ? String(templar.renderString(written, vars, at)) : written;
      raw[name] = module.expressionArgs?.includes(written) ? value : templar.renderData(value, vars, at);
    }
    const rendered = stripOmitted(raw, this.env.omit) as Vars;
    const final = finalizeModuleArgs(module, rendered, task.pos);
    if (!final.args) {
      return { status: 'failed', changed: false, ignored: flag(templar, keywords.ignore_errors, vars, task.pos), result: { changed: false, failed: true, msg: final.problems.map(formatProblem).join('\n') } };
    }
    const delegate = keywords.delegate_to !== undefined ? String(templar.renderData(keywords.delegate_to, vars, task.pos)) : undefined;
    const target = delegate ?? host;
    const open = () =>
      this.env.connect(target, {
        ...(keywords.connection !== undefined ? { connection: keywords.connection } : {}),
        ...(keywords.remote_user !== undefined ? { remote_user: String(templar.renderData(keywords.remote_user, vars, task.pos)) } : {}),
      }, delegate === undefined ? vars : undefined);
    // a module that runs on the controller (debug, set_fact...) never reaches the host, as in Ansible: a host
    // whose connection cannot be made still runs it
    const { connection, become: hostBecome } = module.onController ? { connection: deferredConnection(target, () => open().connection), become: undefined } : open();
    // a delegate becomes as its own variables say; the task's host as its variables, then the keywords, say
    const become = delegate !== undefined ? (hostBecome ?? this.become(keywords, {}, vars, task.pos)) : this.become(keywords, vars, vars, task.pos);
    const check = keywords.check_mode !== undefined ? flag(templar, keywords.check_mode, vars, task.pos) : this.env.check;
    const diff = keywords.diff !== undefined ? flag(templar, keywords.diff, vars, task.pos) : this.env.diff;
    const environment = this.environment(keywords.environment, vars, task.pos);
    const searchPath = Array.isArray(vars.ansible_search_path) ? vars.ansible_search_path.map(String) : taskSearchPath(task.role ? [task.role.path] : [], task.file, this.env.playbookDir);
    const ctx: ModuleContext = {
      host,
      connection,
      check,
      diff,
      ...(become ? { become } : {}),
      environment,
      vars,
      verbosity: this.env.verbosity,
      signal: this.env.signal,
      renderTemplateFile: async (path) => templar.renderTemplate(await readFile(path, 'utf8'), path, withOverlay(vars, templateVars(path)), templateSearchPath(searchPath, this.env.playbookDir, path)),
      findFile: (kind, src) => {
        const candidates = localFileCandidates(src, kind, task.file, task.role?.path, this.env.playbookDir);
        return candidates.find((c) => existsSync(c)) ?? candidates[0]!;
      },
      evaluate: (expression) => templar.evaluate(expression, vars, task.pos),
      source: {
        file: task.file,
        ...(task.role ? { rolePath: task.role.path } : {}),
        searchPath,
        playbookDir: this.env.playbookDir,
      },
    };
    const result = await this.bounded(module, final.args, ctx, keywords, vars, task.pos);
    let changed = Boolean(result.changed);
    let failed = Boolean(result.failed);
    const withResult = task.keywords.register ? withOverlay(vars, { [task.keywords.register]: result }) : vars;
    if (task.keywords.changed_when) {
      changed = this.holds(task.keywords.changed_when, withResult, task.pos);
      result.changed = changed;
    }
    if (task.keywords.failed_when) {
      failed = this.holds(task.keywords.failed_when, withResult, task.pos);
      result.failed = failed;
      result.failed_when_result = failed;
    }
    const ignored = failed && flag(templar, keywords.ignore_errors, vars, task.pos);
    const status: HostStatus = failed ? 'failed' : result.skipped ? 'skipped' : changed ? 'changed' : 'ok';
    return { status, changed, ignored, result, ...(delegate !== undefined ? { delegatedTo: delegate } : {}) };
  }

  /**
   * Runs the module, stopped by the task's `timeout` (seconds) or a second Ctrl-C: its commands are killed
   * (their connection passes the stop on to each run) and the task fails with the reason.
   */
  private async bounded(module: ModuleDefinition, args: Vars, ctx: ModuleContext, keywords: EffectiveKeywords, vars: Vars, where: SourcePos): Promise<ModuleResult> {
    const seconds = keywords.timeout === undefined ? 0 : Number(this.env.templar.renderData(keywords.timeout, vars, where));
    if (seconds <= 0 && this.env.killSignal === undefined) return module.run(args as never, ctx);
    const stop = new AbortController();
    const timer = seconds > 0
      ? setTimeout(() => stop.abort(new Error(`The ${module.name} action failed to execute in the expected time frame (${seconds}) and was terminated`)), seconds * 1000)
      : undefined;
    const onKill = (): void => stop.abort(new Error('interrupted (Ctrl-C twice)'));
    if (this.env.killSignal?.aborted) onKill();
    this.env.killSignal?.addEventListener('abort', onKill, { once: true });
    const connection = stoppable(ctx.connection, stop.signal);
    try {
      return await new Promise<ModuleResult>((resolve, reject) => {
        const onStop = (): void => reject(new CommandStoppedError(ctx.host, (stop.signal.reason as Error).message));
        if (stop.signal.aborted) return onStop();
        stop.signal.addEventListener('abort', onStop, { once: true });
        module.run(args as never, { ...ctx, connection }).then(resolve, reject);
      });
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      this.env.killSignal?.removeEventListener('abort', onKill);
    }
  }

  /**
   * become as Ansible decides it: the host's variables (ansible_become, _user, _method, _password) over the
   * keywords (task, block, play, then the command line's -b...). `hostVars`: whose ansible_become* count.
   */
  private become(keywords: EffectiveKeywords, hostVars: Vars, vars: Vars, where: SourcePos): Become | undefined {
    const fromKeywords: ConnectionSettings = {
      ansible_become: keywords.become !== undefined && flag(this.env.templar, keywords.become, vars, where),
      ...(keywords.become_user !== undefined ? { ansible_become_user: String(this.env.templar.renderData(keywords.become_user, vars, where)) } : {}),
      ...(keywords.become_method !== undefined ? { ansible_become_method: keywords.become_method } : {}),
      ...(this.env.becomePassword !== undefined ? { ansible_become_password: this.env.becomePassword } : {}),
    };
    return becomeFromSettings(String(vars.inventory_hostname ?? 'localhost'), { ...fromKeywords, ...settingsFromVars(hostVars) });
  }

  private environment(value: unknown, vars: Vars, where: SourcePos): Record<string, string> {
    if (value === undefined) return {};
    const layers = Array.isArray(value) ? value : [value];
    const out: Record<string, string> = {};
    for (const layer of layers) {
      const rendered = this.env.templar.renderData(layer, vars, where);
      if (!isPlainObject(rendered)) throw new TemplateError(`environment must be a mapping, got ${JSON.stringify(rendered)}`, where);
      for (const [k, v] of Object.entries(rendered)) out[k] = typeof v === 'string' ? v : v === true ? 'True' : v === false ? 'False' : String(v);
    }
    return out;
  }
}


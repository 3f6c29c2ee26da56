/**
 * What a module is: one definition (names, argument schema, run) in one file under lib/modules/.
 * The argument schema is a TypeBox object, so the TypeScript type of `args` in `run` and the JSON Schema
 * that validates playbooks come from the same definition.
 */
import type { Static, TObject } from '@sinclair/typebox';
import type { Become, Connection } from '../connection/types.js';
import type { ArgumentRules } from './rules.js';

/** A change to one file or object, for `--diff`. */
export interface Diff {
  before: string;
  after: string;
  beforeHeader?: string;
  afterHeader?: string;
}

/**
 * A change of values, as some Ansible modules return their `diff` (timezone: `{before: {name: 'UTC'}, after:
 * {name: 'Europe/Paris'}}`): registered as it is, shown by `--diff` as each side's JSON, as Ansible's callback does.
 */
export interface ValueDiff {
  before: Readonly<Record<string, unknown>>;
  after: Readonly<Record<string, unknown>>;
}

export interface ModuleResult {
  changed: boolean;
  failed?: boolean;
  skipped?: boolean;
  /** usually a string; debug and fail take any value */
  msg?: unknown;
  diff?: Diff[] | ValueDiff;
  /** module-specific fields, registered with `register` as in Ansible */
  [field: string]: unknown;
}

/** Where a task was written, for what reads the controller's files as Ansible's actions do (include_vars). */
export interface TaskSource {
  /** the task's file */
  readonly file: string;
  /** the role the task is in */
  readonly rolePath?: string;
  /** ansible_search_path: the roles' directories, innermost first, the task file's, the playbook's */
  readonly searchPath: readonly string[];
  readonly playbookDir: string;
}

/** What a module may use while it runs: the host's connection and the task's settings. */
export interface ModuleContext {
  /** the inventory name of the host the task runs for */
  readonly host: string;
  /** the connection of the host the task runs on (the delegate's for delegate_to) */
  readonly connection: Connection;
  readonly check: boolean;
  readonly diff: boolean;
  readonly become?: Become;
  /** the task's environment (`environment:`), for modules that run commands */
  readonly environment: Readonly<Record<string, string>>;
  /** the task's variables, templated on access */
  readonly vars: Readonly<Record<string, unknown>>;
  /** renders a Jinja2 template file (template module) with the task's variables, its includes found as Ansible's template action finds them */
  renderTemplateFile(path: string): Promise<string>;
  /** a local path for a role/playbook relative `src` (files/ or templates/ searched as Ansible does) */
  findFile(kind: 'files' | 'templates', src: string): string;
  /** where the task was written */
  readonly source: TaskSource;
  /** evaluates a bare Jinja expression with the task's variables (assert's `that`) */
  evaluate(expression: string): unknown;
  /** -v count, for debug's `verbosity` */
  readonly verbosity: number;
  /** aborted on Ctrl-C/SIGTERM: long waits (pause, wait_for) stop early */
  readonly signal: AbortSignal;
}

export interface ModuleDefinition<S extends TObject = TObject> {
  /** short name, e.g. 'sysctl' */
  readonly name: string;
  /** other names it answers to, e.g. 'ansible.posix.sysctl' */
  readonly aliases: readonly string[];
  readonly description: string;
  readonly args: S;
  /** argument aliases as in Ansible's module (alias -> canonical name) */
  readonly argAliases?: Readonly<Record<string, string>>;
  /**
   * The module takes a free-form string (`command: ls -l`, `shell: ...`): the string goes into this argument,
   * after `key=value` words naming other arguments are taken out, as Ansible does.
   */
  readonly freeForm?: string;
  /** runs on the controller without touching the host (debug, set_fact, assert, fail, meta, pause) */
  readonly onController?: boolean;
  /** runs once for the whole batch, not per host, as Ansible's pause */
  readonly oncePerBatch?: boolean;
  /** arguments naming a local file the module sends (template's and copy's `src`): checked to exist before running */
  readonly localFiles?: readonly { readonly arg: string; readonly kind: 'files' | 'templates' }[];
  /** arguments that are Jinja expressions evaluated by the module itself, so the engine must not template them (assert's `that`, debug's `var`) */
  readonly expressionArgs?: readonly string[];
  /** argument names may be templates, rendered with the values (set_fact's `"{{ item.key }}": ...`, as Ansible's action renders them) */
  readonly templatedNames?: boolean;
  /** variables its ansible_facts define besides ansible_* (service_facts' `services`): known to validation's check of undefined names */
  readonly facts?: readonly string[];
  /** rules between the arguments, as in the Ansible module's argument_spec: checked before connecting and after rendering, never in run() */
  readonly rules?: ArgumentRules<keyof Static<S> & string>;
  run(args: Static<S>, ctx: ModuleContext): Promise<ModuleResult>;
}

/** Declares a module; the identity function, there for the type inference of `args` in `run`. */
export function defineModule<S extends TObject>(definition: ModuleDefinition<S>): ModuleDefinition<S> {
  return definition;
}

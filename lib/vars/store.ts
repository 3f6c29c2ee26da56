/**
 * The variables a task sees on a host, by Ansible's precedence (lowest first):
 *   role defaults < inventory and group_vars/host_vars (inventory's, then the playbook's, interleaved as
 *   Ansible does; see Inventory.hostVarLayers) < gathered facts < play vars < vars_files < role vars
 *   < block vars < task vars < include_vars < set_fact/register < role params < include params < extra vars,
 * plus the magic variables (inventory_hostname, groups, hostvars, ...).
 *
 * Values stay raw until read: a view renders a string that holds a template when a template reads it
 * (as Ansible's lazy variables do), so `a: "{{ b }}"` follows `b` wherever `b` is set.
 *
 * What came back from hosts (gathered facts, registered results, set_fact values, which were rendered when
 * set) is never rendered again, as Ansible marks it unsafe: a host that prints `{{ db_password }}` must get
 * that text back, not the controller's password.
 */
import { dirname } from 'node:path';
import { taskSearchPath } from '../ansible/index.js';
import type { Inventory, VarsDir } from '../inventory/index.js';
import { combineVars } from '../inventory/index.js';
import type { Play, RoleInstance, Vars } from '../playbook/types.js';

/** What renders raw values in a view: the templating engine (lib/template). */
export interface Renderer {
  /** a copy of `value` with every template string rendered with `vars` (a string that is one expression keeps its type) */
  renderData(value: unknown, vars: Vars): unknown;
}

/** Where a task stands: its play, role chain, blocks and own vars. Outer first in every list. */
export interface Scope {
  play?: Play;
  /** vars_files of the play as loaded for this host (templated names resolved) */
  varsFiles?: Vars[];
  /** the roles the task is in, outermost first (a role included by a role's task comes after it) */
  roles?: readonly RoleInstance[];
  blocks?: readonly Vars[];
  task?: Vars;
  /** include_tasks / include_role parameters (`vars:` on the include) */
  includeParams?: Vars;
  /** the loop variable and its companions: above everything but extra vars, as Ansible adds them last */
  loop?: Vars;
  /** role argument values coerced by argument_specs: they replace the raw ones */
  roleArguments?: Vars;
  /** the file the task was written in: with the roles, its ansible_search_path */
  file?: string;
}

/** Run-wide facts the magic variables come from. */
export interface RunContext {
  playbookDir?: string;
  /** hosts of the play that have not failed (ansible_play_hosts) */
  playHosts: () => readonly string[];
  /** hosts of the current batch that have not failed (ansible_play_batch) */
  playBatch: () => readonly string[];
  /** every host of the play (ansible_play_hosts_all) */
  playHostsAll: () => readonly string[];
  check: boolean;
  diff: boolean;
  verbosity: number;
  /** the placeholder `omit` stands for: an argument whose value is this is left out */
  omit: string;
}

export const OMIT_PREFIX = '__omit_place_holder__';

export class VariableStore {
  private readonly facts = new Map<string, Vars>();
  /** each host's facts as ansible_facts shows them, made once per change rather than per task */
  private readonly namespaced = new Map<string, Vars>();
  private readonly hostFacts = new Map<string, Vars>();
  private readonly includedVars = new Map<string, Vars>();
  private readonly inventoryCache = new Map<string, Vars>();

  constructor(
    readonly inventory: Inventory,
    private readonly renderer: Renderer,
    private readonly extraVars: Vars,
    private readonly playDirs: readonly VarsDir[],
    private readonly run: RunContext,
  ) {}

  /**
   * A module's ansible_facts, kept under the names it returned them (setup's are ansible_NAME, service_facts'
   * `services`): they are variables under those names (Ansible's inject_facts_as_vars), and under ansible_facts
   * without the ansible_ prefix (its namespace_facts).
   */
  addFacts(host: string, facts: Vars): void {
    const all = { ...(this.facts.get(host) ?? {}), ...facts };
    this.facts.set(host, all);
    this.namespaced.set(host, namespaceFacts(all));
  }

  /** set_fact and register: level 19, for the rest of the run */
  setHostVars(host: string, vars: Vars): void {
    this.hostFacts.set(host, { ...(this.hostFacts.get(host) ?? {}), ...vars });
  }

  /**
   * include_vars: level 18, below set_fact and register, for the rest of the run. Its values are the
   * controller's files, templates rendered when read (unlike what hosts return).
   */
  includeVars(host: string, vars: Vars): void {
    this.includedVars.set(host, { ...(this.includedVars.get(host) ?? {}), ...vars });
  }

  /** meta: clear_facts (gathered facts; set_fact and register stay, as in Ansible) */
  clearFacts(host: string): void {
    this.facts.delete(host);
    this.namespaced.delete(host);
  }

  factsOf(host: string): Vars {
    return this.facts.get(host) ?? {};
  }

  private inventoryVars(host: string): Vars {
    let vars = this.inventoryCache.get(host);
    if (!vars) {
      vars = this.inventory.hostVars(host, this.playDirs);
      this.inventoryCache.set(host, vars);
    }
    return vars;
  }

  /** The raw (unrendered) variables of a host in a scope, merged by precedence. */
  raw(host: string, scope: Scope = {}): Vars {
    return this.merged(host, scope).vars;
  }

  /** The merged variables, and the names whose winning value came from hosts (never rendered). */
  private merged(host: string, scope: Scope): { vars: Vars; unsafe: Set<string> } {
    const play = scope.play;
    const taskRoles = scope.roles ?? [];
    const playRoles = play?.roles ?? [];
    const layers: Vars[] = [];
    for (const role of [...playRoles, ...taskRoles]) layers.push(role.defaults);
    layers.push(this.inventoryVars(host));
    const fromHosts = new Set<Vars>();
    const facts = this.facts.get(host);
    if (facts) {
      layers.push(facts);
      fromHosts.add(layers.at(-1)!);
    }
    if (play) layers.push(play.vars);
    for (const vf of scope.varsFiles ?? play?.varsFiles.map((f) => f.vars ?? {}) ?? []) layers.push(vf);
    for (const role of [...playRoles, ...taskRoles]) layers.push(role.vars);
    for (const block of scope.blocks ?? []) layers.push(block);
    if (scope.task) layers.push(scope.task);
    const included = this.includedVars.get(host);
    if (included) layers.push(included);
    const hostFacts = this.hostFacts.get(host);
    if (hostFacts) {
      layers.push(hostFacts);
      fromHosts.add(hostFacts);
    }
    for (const role of taskRoles) layers.push(role.params);
    if (scope.roleArguments) layers.push(scope.roleArguments);
    if (scope.includeParams) layers.push(scope.includeParams);
    if (scope.loop) layers.push(scope.loop);
    layers.push(this.extraVars);
    const unsafe = new Set<string>();
    for (const layer of layers) {
      for (const key of Object.keys(layer)) {
        if (fromHosts.has(layer)) unsafe.add(key);
        else unsafe.delete(key);
      }
    }
    return { vars: combineVars(layers), unsafe };
  }

  /** Magic variables of a host (they cannot be overridden, as in Ansible). */
  magic(host: string, scope: Scope = {}): Vars {
    const inventoryHost = this.inventory.getHost(host);
    const role = scope.roles?.at(-1);
    const groupNames = this.inventory
      .hostGroups(host)
      .map((g) => g.name)
      .filter((g) => g !== 'all' && g !== 'ungrouped')
      .sort();
    const file = inventoryHost?.inventoryFile;
    return {
      inventory_hostname: host,
      inventory_hostname_short: host.split('.')[0],
      group_names: groupNames,
      groups: this.inventory.groupsDict(),
      hostvars: this.hostvars(scope),
      ansible_play_hosts: [...this.run.playHosts()],
      play_hosts: [...this.run.playHosts()],
      ansible_play_batch: [...this.run.playBatch()],
      ansible_play_hosts_all: [...this.run.playHostsAll()],
      ansible_check_mode: this.run.check,
      ansible_diff_mode: this.run.diff,
      ansible_verbosity: this.run.verbosity,
      ansible_facts: this.namespaced.get(host) ?? {},
      omit: this.run.omit,
      ...(this.run.playbookDir !== undefined ? { playbook_dir: this.run.playbookDir } : {}),
      ...(file !== undefined ? { inventory_file: file, inventory_dir: dirname(file) } : {}),
      ...(role ? { role_path: role.path, role_name: role.name, ansible_role_name: role.name } : {}),
      ...(scope.file !== undefined && this.run.playbookDir !== undefined ? { ansible_search_path: taskSearchPath((scope.roles ?? []).map((r) => r.path), scope.file, this.run.playbookDir) } : {}),
      ...(scope.play ? { ansible_play_name: scope.play.name } : {}),
      ansible_parent_role_names: (scope.roles ?? []).slice(0, -1).map((r) => r.name).reverse(),
      ansible_config_file: null,
      ansible_inventory_sources: this.inventory.sources,
      ansible_playbook_python: process.execPath,
      ansible_version: { full: '2.14.0', major: 2, minor: 14, revision: 0, string: '2.14.0' },
    };
  }

  /** hostvars: every inventory host's variables at play level, rendered when read */
  private hostvars(scope: Scope): Vars {
    const store = this;
    const playScope: Scope = scope.play ? { play: scope.play } : {};
    const cache = new Map<string, Vars>();
    const viewOf = (host: string): Vars => {
      let view = cache.get(host);
      if (!view) {
        view = store.view(host, playScope);
        cache.set(host, view);
      }
      return view;
    };
    return new Proxy({} as Vars, {
      get: (_target, key) => (typeof key === 'string' && store.inventory.getHost(key) ? viewOf(key) : undefined),
      has: (_target, key) => typeof key === 'string' && store.inventory.getHost(key) !== undefined,
      ownKeys: () => [...store.inventory.hosts.keys()],
      getOwnPropertyDescriptor: (_target, key) =>
        typeof key === 'string' && store.inventory.getHost(key) ? { enumerable: true, configurable: true, value: viewOf(key) } : undefined,
    });
  }

  /**
   * The variables as templates read them: magic variables over the merged ones, each value rendered when
   * first read (a value referring to itself, directly or not, is an error rather than a hang).
   */
  view(host: string, scope: Scope = {}): Vars {
    const { vars, unsafe } = this.merged(host, scope);
    return lazyView(vars, this.renderer, this.magic(host, scope), unsafe);
  }
}

/** Ansible's namespace_facts: the facts without their ansible_ prefix (but ansible_local), for ansible_facts */
function namespaceFacts(facts: Vars): Vars {
  return Object.fromEntries(Object.entries(facts).map(([k, v]) => [k.startsWith('ansible_') && k !== 'ansible_local' ? k.slice('ansible_'.length) : k, v]));
}

/**
 * A read-only object over `raw` whose values are rendered on first read, with the view itself as their
 * variables. `fixed` values (the magic variables: hostvars, groups...) win and are never rendered, nor are the
 * `unsafe` ones of `raw` (data from hosts).
 */
export function lazyView(raw: Vars, renderer: Renderer, fixed: Vars = {}, unsafe: ReadonlySet<string> = new Set()): Vars {
  const rendered = new Map<string, unknown>(Object.entries(fixed));
  for (const key of unsafe) if (!rendered.has(key) && Object.prototype.hasOwnProperty.call(raw, key)) rendered.set(key, raw[key]);
  const all: Vars = { ...raw, ...fixed };
  const inProgress = new Set<string>();
  const view: Vars = new Proxy(all, {
    get(target, key) {
      if (typeof key !== 'string') return undefined;
      if (rendered.has(key)) return rendered.get(key);
      if (!Object.prototype.hasOwnProperty.call(target, key)) return undefined;
      if (inProgress.has(key)) throw new Error(`recursive loop detected in template: the variable '${key}' refers to itself`);
      inProgress.add(key);
      try {
        const value = renderer.renderData(target[key], view);
        rendered.set(key, value);
        return value;
      } finally {
        inProgress.delete(key);
      }
    },
    has: (target, key) => typeof key === 'string' && Object.prototype.hasOwnProperty.call(target, key),
    set: () => false,
    deleteProperty: () => false,
  });
  return view;
}

/**
 * A loaded playbook as plain typed objects. Values that may hold Jinja templates stay raw (`unknown` or
 * string): they are rendered per host when the task runs. Every node keeps the position it came from.
 */
import type { ModuleDefinition } from '../modules/module.js';
import type { SourcePos } from '../source/index.js';

export type Vars = Record<string, unknown>;
/** a bare Jinja expression, or a boolean */
export type Condition = string | boolean;

/** Keywords that plays, roles, blocks and tasks share, and that inherit downwards (raw: may be templates). */
export interface InheritedKeywords {
  when?: Condition[];
  tags?: string[];
  become?: unknown;
  become_user?: string;
  become_method?: 'sudo' | 'su';
  environment?: unknown;
  ignore_errors?: unknown;
  ignore_unreachable?: unknown;
  any_errors_fatal?: unknown;
  check_mode?: unknown;
  diff?: unknown;
  no_log?: unknown;
  throttle?: unknown;
  timeout?: unknown;
  run_once?: unknown;
  delegate_to?: string;
  delegate_facts?: unknown;
  connection?: 'ssh' | 'local';
  remote_user?: string;
  module_defaults?: Record<string, Vars>;
}

export interface LoopControl {
  loop_var?: string;
  index_var?: string;
  label?: string;
  pause?: unknown;
  extended?: unknown;
}

export interface TaskKeywords extends InheritedKeywords {
  loop?: unknown;
  /** the keyword the loop came from: `loop`, or `with_<lookup>` whose lookup builds the items (with_items flattens one level...) */
  loopKind?: 'loop' | `with_${string}`;
  loop_control?: LoopControl;
  register?: string;
  notify?: string[];
  changed_when?: Condition[];
  failed_when?: Condition[];
  until?: Condition[];
  retries?: unknown;
  delay?: unknown;
  listen?: string[];
}

/** Where a task came from: its role (for role_path, files/ and templates/ lookups, role variables). */
export interface RoleInstance {
  name: string;
  /** the role's directory */
  path: string;
  /** role parameters (`- role: x` with other keys), highest precedence but extra vars */
  params: Vars;
  /** keywords on the role entry, inherited by its tasks */
  keywords: InheritedKeywords;
  defaults: Vars;
  vars: Vars;
  argumentSpecs?: ArgumentSpec;
  /** the entry point: tasks/main.yml unless tasks_from */
  entryPoint: string;
  /** meta/main.yml's allow_duplicates: the role may run twice in a play with the same parameters */
  allowDuplicates?: boolean;
  pos: SourcePos;
}

/** One entry point of meta/argument_specs.yml */
export interface ArgumentSpec {
  options: Record<string, ArgumentOption>;
  pos: SourcePos;
}

export interface ArgumentOption {
  type?: 'str' | 'list' | 'dict' | 'bool' | 'int' | 'float' | 'path' | 'raw' | 'jsonarg' | 'json' | 'bytes' | 'bits';
  required?: boolean;
  default?: unknown;
  choices?: unknown[];
  elements?: ArgumentOption['type'];
  options?: Record<string, ArgumentOption>;
  aliases?: string[];
  no_log?: boolean;
  /** typebook's addition (Ansible ignores it): what a string must be, checked before any host is touched */
  format?: ArgumentFormat;
  /** typebook's additions: bounds of an int or float */
  minimum?: number;
  maximum?: number;
}

/** What a string argument must be: an address, a host name, a HAProxy name, or a group or host of the inventory. */
export type ArgumentFormat = 'ipv4' | 'ipv6' | 'ip' | 'hostname' | 'haproxy_name' | 'inventory_group' | 'inventory_host';
export const argumentFormats: readonly ArgumentFormat[] = ['ipv4', 'ipv6', 'ip', 'hostname', 'haproxy_name', 'inventory_group', 'inventory_host'];

interface Node {
  name?: string;
  pos: SourcePos;
  /** the file the node is in: relative paths in it are found from there */
  file: string;
  role?: RoleInstance;
  vars: Vars;
}

export interface Task extends Node {
  kind: 'task';
  module: ModuleDefinition;
  /** the module key as written (`ansible.posix.sysctl`) */
  action: string;
  /** arguments after free-form and `args:` merging, aliases resolved; raw (may hold templates) */
  args: Vars;
  keywords: TaskKeywords;
}

export interface Block extends Node {
  kind: 'block';
  block: TaskItem[];
  rescue: TaskItem[];
  always: TaskItem[];
  keywords: InheritedKeywords & { notify?: string[] };
  /** set where the block stands for an import (import_tasks, import_role, a role of the play) rather than a written block */
  origin?: 'import_tasks' | 'import_role' | 'role';
}

/** include_tasks: the file is read when the task runs (its name may be a template); checked at load when static */
export interface IncludeTasks extends Node {
  kind: 'include_tasks';
  path: string;
  keywords: TaskKeywords;
  /** the included tasks, loaded ahead when the path has no template */
  loaded?: TaskItem[];
}

export interface IncludeRole extends Node {
  kind: 'include_role';
  roleName: string;
  tasksFrom?: string;
  defaultsFrom?: string;
  varsFrom?: string;
  handlersFrom?: string;
  public: boolean;
  keywords: TaskKeywords;
  /** loaded ahead so that mistakes are found before running: `tasks` are its dependencies' blocks, then its own */
  loaded?: { instance: RoleInstance; tasks: TaskItem[]; handlers: TaskItem[] };
}

export type TaskItem = Task | Block | IncludeTasks | IncludeRole;

export interface PlayKeywords extends InheritedKeywords {
  serial?: unknown;
  max_fail_percentage?: unknown;
  max_fail?: unknown;
  force_handlers?: unknown;
  gather_facts?: unknown;
  gather_subset?: string[];
  order?: 'inventory' | 'reverse_inventory' | 'sorted' | 'reverse_sorted' | 'shuffle';
  strategy?: 'linear';
  port?: unknown;
}

export interface VarsFile {
  /** as written; may be a template, then loaded per host at run time */
  path: string;
  /** for a list entry: the first file that exists is used */
  alternatives?: string[];
  /** loaded when the path has no template */
  vars?: Vars;
  pos: SourcePos;
}

export interface Play {
  name: string;
  hosts: string;
  pos: SourcePos;
  file: string;
  vars: Vars;
  varsFiles: VarsFile[];
  keywords: PlayKeywords;
  roles: RoleInstance[];
  preTasks: TaskItem[];
  /** the play's roles (each as a Block of origin 'role'), then its tasks */
  tasks: TaskItem[];
  postTasks: TaskItem[];
  /** the play's handlers, then its roles' handlers */
  handlers: TaskItem[];
}

export interface Playbook {
  /** the playbook file given */
  file: string;
  /** its directory: playbook_dir, and where group_vars/host_vars next to the playbook are found */
  dir: string;
  plays: Play[];
}

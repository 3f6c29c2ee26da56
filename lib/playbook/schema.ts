/**
 * The JSON Schemas of playbooks, task files, handlers, vars files and role metadata, assembled from the
 * keyword definitions here and from the module registry. `typebook schema playbook` prints them for editors;
 * validate.ts checks every loaded file against them.
 *
 * Where a value is typed (a number, a boolean, an enum), a Jinja template string is allowed as well
 * ("{{ retries }}"); it is checked again after rendering.
 */
import { allModules } from '../modules/index.js';
import type { JsonSchema } from '../modules/coerce.js';
import { argumentFormats } from './types.js';
import { lookups } from '../template/lookups.js';

export const JINJA_PATTERN = '\\{\\{|\\{%';
const template: JsonSchema = { type: 'string', pattern: JINJA_PATTERN, description: 'a Jinja2 template' };

/** `schema`, or a Jinja template string standing for a value of that schema */
export function templatable(schema: JsonSchema): JsonSchema {
  return makeTemplatable(toPlain(schema));
}

function makeTemplatable(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...schema };
  if (out.properties) out.properties = Object.fromEntries(Object.entries(out.properties).map(([k, v]) => [k, makeTemplatable(v)]));
  if (out.patternProperties) out.patternProperties = Object.fromEntries(Object.entries(out.patternProperties).map(([k, v]) => [k, makeTemplatable(v)]));
  if (out.items) out.items = makeTemplatable(out.items);
  if (out.anyOf) {
    const alternatives = out.anyOf.map((alt) => stripTemplate(makeTemplatable(alt)));
    const plainString = alternatives.some((alt) => alt.type === 'string' && !alt.enum && !alt.pattern);
    return { ...out, anyOf: plainString ? alternatives : [...alternatives, template] };
  }
  const isPlainString = out.type === 'string' && !out.enum && !out.pattern && out.const === undefined;
  if (isPlainString || out.type === undefined) return out;
  return { anyOf: [out, template], ...(out.description ? { description: out.description } : {}) };
}

function stripTemplate(schema: JsonSchema): JsonSchema {
  return schema.anyOf && schema.anyOf.at(-1) === template ? schema.anyOf[0]! : schema;
}

/** a deep copy without TypeBox's symbol keys */
export function toPlain(schema: unknown): JsonSchema {
  return JSON.parse(JSON.stringify(schema)) as JsonSchema;
}

const str = (description?: string): JsonSchema => ({ type: 'string', ...(description ? { description } : {}) });
const bool = (description?: string): JsonSchema => templatable({ type: 'boolean', ...(description ? { description } : {}) });
const int = (description?: string, minimum = 0): JsonSchema => templatable({ type: 'integer', minimum, ...(description ? { description } : {}) });
const strOrList = (description: string): JsonSchema => ({ anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description });
const condition = (description: string): JsonSchema => ({
  anyOf: [{ type: 'string' }, { type: 'boolean' }, { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'boolean' }] } }],
  description,
});
const varsMap: JsonSchema = { type: 'object', propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }, description: 'variables' };
const environment: JsonSchema = {
  anyOf: [{ type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } }, template],
  description: 'environment variables for the commands the task runs',
};
const moduleDefaults: JsonSchema = { type: 'object', additionalProperties: { type: 'object' }, description: 'default arguments per module name' };

/** Keywords shared by plays, blocks, roles and tasks (Ansible's Base/Conditional/Taggable/Become). */
const common: Record<string, JsonSchema> = {
  name: str('shown in the output'),
  when: condition('bare Jinja expressions; a list means all of them'),
  tags: strOrList('tags, for --tags and --skip-tags'),
  vars: varsMap,
  become: bool('run as another user (become_user, root by default)'),
  become_user: str('the user to become'),
  become_method: { type: 'string', enum: ['sudo', 'su'] },
  environment,
  ignore_errors: bool('a failure does not stop the host'),
  ignore_unreachable: bool('an unreachable host does not stop'),
  any_errors_fatal: bool('a failure on any host ends the play for all'),
  check_mode: bool('run in check mode (true) or for real (false) whatever --check says'),
  diff: bool('show diffs whatever --diff says'),
  no_log: bool('hide the values and results of this task'),
  throttle: int('at most this many hosts at once', 1),
  timeout: int('seconds the task may take: past them its commands are killed and it fails (0: no limit)'),
  run_once: bool('run on the first host of the batch only, sharing the result'),
  delegate_to: str('run on this host instead, with the original host\'s variables'),
  delegate_facts: bool('facts set by a delegated task go to the delegate'),
  module_defaults: moduleDefaults,
};

/** Keywords of Ansible that typebook does not support yet: named so that the error says so, rather than "unknown". */
export const unsupportedKeywords: ReadonlySet<string> = new Set([
  'async', 'poll', 'debugger', 'collections', 'become_exe', 'become_flags', 'vars_prompt', 'fact_path',
  'strategy_plugins', 'with_inventory_hostnames', 'with_flattened', 'with_cartesian',
]);

/** with_<lookup> for every lookup: the loop's value is the lookup's terms (with_items, with_dict, with_first_found...) */
const withLoops: Record<string, JsonSchema> = Object.fromEntries(
  Object.keys(lookups).map((name) => [`with_${name}`, { anyOf: [{ type: 'array' }, { type: 'object' }, { type: 'string' }], description: `loop over what the ${name} lookup gives` }]),
);

const loopControl: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    loop_var: str('name of the loop variable (default item)'),
    index_var: str('name of a variable holding the index'),
    label: str('what the output shows for each item'),
    pause: templatable({ type: 'number', minimum: 0, description: 'seconds between items' }),
    extended: bool('set ansible_loop'),
  },
};

export const taskKeywords: Record<string, JsonSchema> = {
  ...common,
  args: { type: 'object', description: 'the module arguments, merged with those under the module key' },
  loop: { anyOf: [{ type: 'array' }, template], description: 'run the task once per item' },
  ...withLoops,
  with_items: { anyOf: [{ type: 'array' }, { type: 'object' }, { type: 'string' }], description: 'like loop, flattening one level' },
  with_list: { anyOf: [{ type: 'array' }, { type: 'string' }], description: 'like loop' },
  with_dict: { anyOf: [{ type: 'object' }, { type: 'string' }], description: 'loop over a mapping (item.key, item.value)' },
  loop_control: loopControl,
  register: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'store the result in this variable', 'x-expected': 'a variable name: letters, digits and underscores, not starting with a digit' },
  notify: strOrList('handlers to run (by name or listen topic) when the task changed something'),
  changed_when: condition('when the task counts as changed'),
  failed_when: condition('when the task counts as failed'),
  until: condition('retry until this holds'),
  retries: int('how many times to retry with until (default 3)'),
  delay: templatable({ type: 'number', minimum: 0, description: 'seconds between retries (default 5)' }),
  local_action: { anyOf: [{ type: 'string' }, { type: 'object' }], description: 'module to run on the controller (old style)' },
  action: { anyOf: [{ type: 'string' }, { type: 'object' }], description: 'module to run (old style)' },
  connection: { type: 'string', enum: ['ssh', 'local'] },
  remote_user: str('user to log in as'),
};

export const handlerKeywords: Record<string, JsonSchema> = { ...taskKeywords, listen: strOrList('topics this handler answers to') };

export const blockKeywords: Record<string, JsonSchema> = {
  ...common,
  block: { type: 'array', items: { $ref: '#/$defs/taskOrBlock' } },
  rescue: { type: 'array', items: { $ref: '#/$defs/taskOrBlock' } },
  always: { type: 'array', items: { $ref: '#/$defs/taskOrBlock' } },
  notify: strOrList('handlers notified when a task of the block changed something'),
  connection: { type: 'string', enum: ['ssh', 'local'] },
  remote_user: str('user to log in as'),
};

/** Task-level keys that pull in other files; handled by the loader (import) or the engine (include). */
const fileOrArgs = (extra: Record<string, JsonSchema>): JsonSchema => ({
  anyOf: [{ type: 'string' }, { type: 'object', additionalProperties: false, properties: { file: str(), ...extra } }],
});
const roleInclude = (dynamic: boolean): JsonSchema => ({
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: str('the role'),
    tasks_from: str('tasks file of the role (default main)'),
    defaults_from: str(),
    vars_from: str(),
    handlers_from: str(),
    allow_duplicates: bool(),
    rolespec_validate: bool('check the role\'s argument_specs (default true)'),
    ...(dynamic ? { public: bool('expose the role\'s vars and defaults to later tasks'), apply: { type: 'object' } } : {}),
  },
});
export const includeKeywords: Record<string, JsonSchema> = {
  import_tasks: fileOrArgs({}),
  include_tasks: fileOrArgs({ apply: { type: 'object' } }),
  import_role: roleInclude(false),
  include_role: roleInclude(true),
  'ansible.builtin.import_tasks': fileOrArgs({}),
  'ansible.builtin.include_tasks': fileOrArgs({ apply: { type: 'object' } }),
  'ansible.builtin.import_role': roleInclude(false),
  'ansible.builtin.include_role': roleInclude(true),
};
export const includeNames = new Set(Object.keys(includeKeywords).map((k) => k.replace(/^ansible\.builtin\./, '')));

/** The templatable argument schema of a module, under each name it answers to. */
function moduleProperties(): Record<string, JsonSchema> {
  const props: Record<string, JsonSchema> = {};
  for (const module of allModules) {
    const args = templatable(module.args as unknown as JsonSchema);
    if (module.argAliases && args.properties) {
      for (const [alias, target] of Object.entries(module.argAliases)) args.properties[alias] = args.properties[target]!;
    }
    const required = args.required ?? [];
    // with a free-form string the required argument may come from the string itself; a required
    // argument may also come from `args:`, so requiredness is checked after merging (validate.ts)
    const schema: JsonSchema = { ...args, required: undefined, description: module.description };
    delete schema.required;
    if (required.length > 0) schema['x-required'] = required;
    const value: JsonSchema = module.freeForm ? { anyOf: [{ type: 'string' }, schema], description: module.description } : { anyOf: [schema, { type: 'null' }], description: module.description };
    for (const name of [module.name, ...module.aliases]) props[name] = value;
  }
  return props;
}

function looseModuleProperties(): Record<string, JsonSchema> {
  const value: JsonSchema = { type: ['object', 'string', 'null'] };
  return Object.fromEntries(allModules.flatMap((m) => [m.name, ...m.aliases].map((name) => [name, { ...value, description: m.description }])));
}

const role: JsonSchema = {
  anyOf: [
    { type: 'string' },
    {
      title: 'role',
      type: 'object',
      properties: { role: str('the role'), ...common },
      description: 'a role, with keywords and role parameters (any other key)',
    },
  ],
};

export const playKeywords: Record<string, JsonSchema> = {
  ...common,
  hosts: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: 'host pattern' },
  vars_files: { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] } },
  roles: { type: 'array', items: role },
  pre_tasks: { type: 'array', items: { $ref: '#/$defs/taskOrBlock' } },
  tasks: { type: 'array', items: { $ref: '#/$defs/taskOrBlock' } },
  post_tasks: { type: 'array', items: { $ref: '#/$defs/taskOrBlock' } },
  handlers: { type: 'array', items: { $ref: '#/$defs/handlerOrBlock' } },
  serial: {
    anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*%\\s*$', 'x-expected': 'a percentage such as "30%"' }, { type: 'array', items: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*%\\s*$', 'x-expected': 'a percentage such as "30%"' }] } }, template],
    description: 'hosts per batch: a number, a percentage, or a list of them (the last repeats)',
  },
  max_fail_percentage: templatable({ type: 'number', minimum: 0, maximum: 100, description: 'the batch fails when more than this percentage of its hosts failed' }),
  max_fail: int('the play stops when more than this many hosts failed in all its batches (typebook; not in Ansible)'),
  force_handlers: bool('run notified handlers on failed hosts too'),
  gather_facts: bool('gather facts before the first task (default true)'),
  gather_subset: strOrList('fact subsets to gather'),
  order: { type: 'string', enum: ['inventory', 'reverse_inventory', 'sorted', 'reverse_sorted', 'shuffle'] },
  strategy: { type: 'string', enum: ['linear'], description: 'only linear is supported' },
  connection: { type: 'string', enum: ['ssh', 'local'] },
  remote_user: str('user to log in as'),
  port: int('SSH port', 1),
};

const importPlaybook: JsonSchema = {
  title: 'importPlaybook',
  type: 'object',
  additionalProperties: false,
  properties: { import_playbook: str('the playbook to import'), 'ansible.builtin.import_playbook': str('the playbook to import'), name: str(), vars: varsMap, when: condition(''), tags: strOrList('') },
};

/**
 * All schemas, as one document with $defs, so editors and ajv share one source. With `detailedModules`
 * (for editors) each module key carries its argument schema; without (for validation) a module's arguments
 * are checked on their own after free-form and `args:` merging (module-args.ts), giving one precise error.
 */
export function buildSchemas(detailedModules = true): JsonSchema {
  const modules = detailedModules ? moduleProperties() : looseModuleProperties();
  const task: JsonSchema = { title: 'task', type: 'object', additionalProperties: false, properties: { ...taskKeywords, ...includeKeywords, ...modules } };
  const handler: JsonSchema = { title: 'handler', type: 'object', additionalProperties: false, properties: { ...handlerKeywords, ...modules } };
  const block: JsonSchema = { title: 'block', type: 'object', additionalProperties: false, required: ['block'], properties: blockKeywords };
  const isBlock: JsonSchema = { type: 'object', required: ['block'] };
  const playOrImport: JsonSchema = {
    if: { anyOf: [{ type: 'object', required: ['import_playbook'] }, { type: 'object', required: ['ansible.builtin.import_playbook'] }] },
    then: { $ref: '#/$defs/importPlaybook' },
    else: { $ref: '#/$defs/play' },
  };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $defs: {
      task,
      handler,
      block,
      taskOrBlock: { if: isBlock, then: { $ref: '#/$defs/block' }, else: { $ref: '#/$defs/task' } },
      handlerOrBlock: { if: isBlock, then: { $ref: '#/$defs/block' }, else: { $ref: '#/$defs/handler' } },
      play: { title: 'play', type: 'object', additionalProperties: false, properties: playKeywords },
      importPlaybook,
      playbook: { type: 'array', items: playOrImport },
      tasks: { type: 'array', items: { $ref: '#/$defs/taskOrBlock' } },
      handlers: { type: 'array', items: { $ref: '#/$defs/handlerOrBlock' } },
      vars: { anyOf: [varsMap, { type: 'null' }] },
      roleMeta: roleMetaSchema,
      argumentSpecs: argumentSpecsSchema,
      argumentOption: optionSpec,
    },
  };
}

/** meta/main.yml */
const roleMetaSchema: JsonSchema = {
  anyOf: [
    {
      title: 'roleMeta',
      type: 'object',
      properties: {
        dependencies: { type: 'array', items: role },
        galaxy_info: { type: 'object' },
        allow_duplicates: { type: 'boolean' },
        argument_specs: { $ref: '#/$defs/argumentSpecs/properties/argument_specs' },
      },
      additionalProperties: false,
    },
    { type: 'null' },
  ],
};

const optionSpec: JsonSchema = {
  title: 'argumentOption',
  type: 'object',
  additionalProperties: false,
  properties: {
    type: { type: 'string', enum: ['str', 'list', 'dict', 'bool', 'int', 'float', 'path', 'raw', 'jsonarg', 'json', 'bytes', 'bits'] },
    required: { type: 'boolean' },
    default: {},
    choices: { type: 'array' },
    elements: { type: 'string', enum: ['str', 'list', 'dict', 'bool', 'int', 'float', 'path', 'raw', 'jsonarg', 'json', 'bytes', 'bits'] },
    options: { type: 'object', additionalProperties: { $ref: '#/$defs/argumentOption' } },
    description: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    short_description: { type: 'string' },
    version_added: { type: 'string' },
    aliases: { type: 'array', items: { type: 'string' } },
    no_log: { type: 'boolean' },
    format: { type: 'string', enum: [...argumentFormats] },
    minimum: { type: 'number' },
    maximum: { type: 'number' },
    apply_defaults: { type: 'boolean' },
    mutually_exclusive: { type: 'array' },
    required_together: { type: 'array' },
    required_one_of: { type: 'array' },
    required_if: { type: 'array' },
    required_by: { type: 'object' },
  },
};

/** meta/argument_specs.yml, in Ansible's format */
const argumentSpecsSchema: JsonSchema = {
  title: 'argumentSpecs',
  type: 'object',
  additionalProperties: false,
  required: ['argument_specs'],
  properties: {
    argument_specs: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          short_description: { type: 'string' },
          description: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
          author: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
          version_added: { type: 'string' },
          options: { type: 'object', additionalProperties: { $ref: '#/$defs/argumentOption' } },
          mutually_exclusive: { type: 'array' },
          required_together: { type: 'array' },
          required_one_of: { type: 'array' },
          required_if: { type: 'array' },
        },
      },
    },
  },
};

export type SchemaKind = 'playbook' | 'tasks' | 'handlers' | 'vars' | 'roleMeta' | 'argumentSpecs';
export const schemaKinds: readonly SchemaKind[] = ['playbook', 'tasks', 'handlers', 'vars', 'roleMeta', 'argumentSpecs'];

/** A standalone schema document for one kind of file, for `typebook schema` and yaml-language-server. */
export function schemaFor(kind: SchemaKind): JsonSchema {
  const all = buildSchemas();
  return { ...all, $ref: `#/$defs/${kind}` };
}

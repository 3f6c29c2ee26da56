/**
 * Roles' meta/argument_specs.yml, in Ansible's format, turned into a JSON Schema so that role arguments
 * are coerced and checked by the same machinery as module arguments. Unlike Ansible, the coerced values
 * (not the raw ones) are what the role then sees.
 */
import type { ValidateFunction } from 'ajv';
import { coerce, isTemplate, type JsonSchema } from '../modules/coerce.js';
import { positionOf, problem, type Problem, type SourcePos } from '../source/index.js';
import { templatable } from './schema.js';
import type { ArgumentOption, ArgumentSpec, RoleInstance } from './types.js';
import { explainErrors, schemaValidator } from './validate.js';

const typeSchemas: Record<NonNullable<ArgumentOption['type']>, JsonSchema> = {
  str: { type: 'string' },
  path: { type: 'string' },
  list: { type: 'array' },
  dict: { type: 'object' },
  bool: { type: 'boolean' },
  int: { type: 'integer' },
  float: { type: 'number' },
  raw: {},
  json: {},
  jsonarg: {},
  bytes: { anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*[KMGTPEZYkmgtpezy]?i?[Bb]?\\s*$' }] },
  bits: { anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*[KMGTPEZYkmgtpezy]?i?b?\\s*$' }] },
};

function optionSchema(option: ArgumentOption): JsonSchema {
  const schema: JsonSchema = { ...typeSchemas[option.type ?? 'str'] };
  if (option.choices) {
    if (option.type === 'list') schema.items = { enum: option.choices };
    else schema.enum = option.choices;
  }
  if (option.type === 'list' && option.elements) {
    schema.items = option.elements === 'dict' && option.options ? objectSchema(option.options, 'option') : { ...typeSchemas[option.elements], ...(option.choices ? { enum: option.choices } : {}) };
  }
  if (option.type === 'dict' && option.options) Object.assign(schema, objectSchema(option.options, 'option'));
  return schema;
}

function objectSchema(options: Record<string, ArgumentOption>, title: string): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [name, option] of Object.entries(options)) {
    properties[name] = optionSchema(option);
    for (const alias of option.aliases ?? []) properties[alias] = properties[name]!;
    if (option.required) required.push(name);
  }
  return { title, type: 'object', properties, ...(required.length ? { required } : {}) };
}

/** The JSON Schema of a role entry point's arguments (unknown variables are allowed, as in Ansible). */
export function argumentSpecSchema(spec: ArgumentSpec): JsonSchema {
  return objectSchema(spec.options, 'role arguments');
}

const compiled = new WeakMap<ArgumentSpec, { strict: JsonSchema; exact: ValidateFunction; loose: ValidateFunction }>();
function compile(spec: ArgumentSpec) {
  let c = compiled.get(spec);
  if (!c) {
    const strict = argumentSpecSchema(spec);
    const { required: _required, ...withoutRequired } = strict;
    c = { strict, exact: schemaValidator().compile(strict), loose: schemaValidator().compile(templatable(withoutRequired)) };
    compiled.set(spec, c);
  }
  return c;
}

/**
 * Load-time check of the parameters written on the role entry (`- role: haproxy` with `haproxy_port: x`).
 * Requiredness waits for run time: a required value may come from the inventory.
 */
export function checkRoleArguments(role: RoleInstance, spec: ArgumentSpec, at: SourcePos): Problem[] {
  const c = compile(spec);
  const given: Record<string, unknown> = {};
  for (const name of Object.keys(c.strict.properties ?? {})) if (name in role.params) given[name] = role.params[name];
  const coerced = coerce(c.strict, given);
  if (c.loose(coerced)) return [];
  return explainErrors(c.loose.errors ?? [], role.params).map((p) => ({
    ...(p.line > 0 ? p : { ...p, ...at }),
    message: `role '${role.name}' argument_specs: ${p.message}`,
  }));
}

/**
 * Run-time check, before the role's first task: the role's options as the variables give them (rendered),
 * with defaults from the spec applied. Returns the coerced values, which the role's tasks then see.
 */
export function validateRoleArguments(role: RoleInstance, spec: ArgumentSpec, values: Record<string, unknown>, at: SourcePos): { values?: Record<string, unknown>; problems: Problem[] } {
  const c = compile(spec);
  const subject: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(spec.options)) {
    if (values[name] !== undefined) subject[name] = values[name];
    else if (option.default !== undefined) subject[name] = option.default;
  }
  const unrendered = Object.entries(subject).find(([, v]) => isTemplate(v));
  if (unrendered) return { problems: [problem(positionOf(spec.options, unrendered[0]) ?? at, `role '${role.name}': argument '${unrendered[0]}' was not rendered`)] };
  const coerced = coerce(c.strict, subject) as Record<string, unknown>;
  if (c.exact(coerced)) return { values: coerced, problems: [] };
  const problems = explainErrors(c.exact.errors ?? [], coerced).map((p) => ({ ...(p.line > 0 ? p : { ...p, ...at }), message: `role '${role.name}' argument_specs: ${p.message}` }));
  return { problems };
}

/**
 * Roles' meta/argument_specs.yml, in Ansible's format, turned into a JSON Schema so that role arguments
 * are coerced and checked by the same machinery as module arguments. Unlike Ansible, the coerced values
 * (not the raw ones) are what the role then sees.
 */
import type { ValidateFunction } from 'ajv';
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { coerce, isPlainObject, isTemplate, type JsonSchema } from '../modules/coerce.js';
import { HAPROXY_NAME } from '../modules/haproxy-runtime.js';
import { didYouMean, positionAt, positionOf, problem, rememberKeyPositions, type Problem, type SourcePos } from '../source/index.js';
import { templatable } from './schema.js';
import type { ArgumentFormat, ArgumentOption, ArgumentSpec, RoleInstance } from './types.js';
import { describeValue, explainErrors, schemaValidator } from './validate.js';

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
  if (option.type === 'int' || option.type === 'float') {
    if (option.minimum !== undefined) schema.minimum = option.minimum;
    if (option.maximum !== undefined) schema.maximum = option.maximum;
  }
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
  const label = (p: Problem): Problem => ({ ...(p.file !== '<unknown>' ? p : { ...p, ...at }), message: `role '${role.name}' argument_specs: ${p.message}` });
  const typeProblems = c.loose(coerced) ? [] : explainErrors(c.loose.errors ?? [], role.params);
  return [...typeProblems, ...formatProblems(spec.options, coerced as Record<string, unknown>, role.params, undefined)].map(label);
}

/** The inventory, for the formats that name its groups and hosts. */
export interface InventoryNames {
  groups: readonly string[];
  hosts: readonly string[];
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const haproxyName = new RegExp(HAPROXY_NAME);

/** Why `value` is not of `format` (undefined when it is, or when the inventory that would tell is not known). */
function formatMismatch(format: ArgumentFormat, value: string, names: InventoryNames | undefined): { expected: string; hint?: string } | undefined {
  switch (format) {
    case 'ipv4':
      return isIPv4(value) ? undefined : { expected: 'an IPv4 address (four numbers 0-255 separated by dots)' };
    case 'ipv6':
      return isIPv6(value) ? undefined : { expected: 'an IPv6 address' };
    case 'ip':
      return isIP(value) !== 0 ? undefined : { expected: 'an IPv4 or IPv6 address' };
    case 'hostname':
      return HOSTNAME.test(value) ? undefined : { expected: 'a host name (letters, digits and -, parts separated by dots)' };
    case 'haproxy_name':
      return haproxyName.test(value) ? undefined : { expected: 'a HAProxy name: letters, digits and . _ : -' };
    case 'inventory_group':
    case 'inventory_host': {
      const known = names ? (format === 'inventory_group' ? names.groups : names.hosts) : undefined;
      if (!known || known.includes(value)) return undefined;
      const hint = didYouMean(value, known);
      return { expected: `a ${format === 'inventory_group' ? 'group' : 'host'} of the inventory`, ...(hint ? { hint } : {}) };
    }
  }
}

/** The `format` checks of coerced values (which ajv has already found well typed); positions from `root`. */
function formatProblems(options: Record<string, ArgumentOption>, values: Record<string, unknown>, root: unknown, names: InventoryNames | undefined, path: (string | number)[] = []): Problem[] {
  const problems: Problem[] = [];
  const check = (option: ArgumentOption, value: unknown, at: (string | number)[]): void => {
    if (option.format !== undefined && typeof value === 'string' && !isTemplate(value)) {
      const mismatch = formatMismatch(option.format, value, names);
      const last = at[at.length - 1];
      const where = typeof last === 'number' ? `item ${last + 1} of '${at[at.length - 2]}'` : `'${last}'`;
      if (mismatch) problems.push(problem(positionAt(root, at), `${where} is ${describeValue(value)}`, mismatch));
    }
    if (isPlainObject(value) && option.options) problems.push(...formatProblems(option.options, value, root, names, at));
  };
  for (const [name, option] of Object.entries(options)) {
    const value = values[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      const element: ArgumentOption = { ...option, ...(option.elements ? { type: option.elements } : {}) };
      value.forEach((item, i) => check(element, item, [...path, name, i]));
    } else check(option, value, [...path, name]);
  }
  return problems;
}

/**
 * Run-time check, before the role's first task, and the same check before connecting (with the values the
 * inventory gives): the role's options as the variables give them (rendered), with defaults from the spec
 * applied. Returns the coerced values, which the role's tasks then see. `positions` says where each given
 * value was written, for the problems about it; `names` lets the inventory formats be checked.
 */
export function validateRoleArguments(role: RoleInstance, spec: ArgumentSpec, values: Record<string, unknown>, at: SourcePos, names?: InventoryNames, positions?: Readonly<Record<string, SourcePos>>): { values?: Record<string, unknown>; problems: Problem[] } {
  const c = compile(spec);
  const subject: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(spec.options)) {
    if (values[name] !== undefined) subject[name] = values[name];
    else if (option.default !== undefined) subject[name] = option.default;
  }
  const unrendered = Object.entries(subject).find(([, v]) => isTemplate(v));
  if (unrendered) return { problems: [problem(positionOf(spec.options, unrendered[0]) ?? at, `role '${role.name}': argument '${unrendered[0]}' was not rendered`)] };
  const coerced = coerce(c.strict, subject) as Record<string, unknown>;
  if (positions) rememberKeyPositions(coerced, at, positions);
  const label = (p: Problem): Problem => ({ ...(p.file !== '<unknown>' ? p : { ...p, ...at }), message: `role '${role.name}' argument_specs: ${p.message}` });
  const problems = [...(c.exact(coerced) ? [] : explainErrors(c.exact.errors ?? [], coerced)), ...formatProblems(spec.options, coerced, coerced, names)];
  return problems.length === 0 ? { values: coerced, problems: [] } : { problems: problems.map(label) };
}

/**
 * Schema validation of loaded YAML with ajv, turned into one precise Problem per mistake, each at the
 * file:line:col of the value (or key) it is about.
 *
 * ajv reports every failed branch of an `anyOf`; a person wants the one error of the branch they meant.
 * So errors are pruned: where the value's type matches a branch, only that branch's errors are kept;
 * where it matches none, one "found X, expected A or B" replaces them all.
 */
import type { ErrorObject } from 'ajv';
import type { JsonSchema } from '../modules/coerce.js';
import { findModule } from '../modules/index.js';
import { didYouMean, keyPositionOf, positionAt, problem, type Problem } from '../source/index.js';
import { includeKeywords, unsupportedKeywords, type SchemaKind } from './schema.js';
import { documentValidator } from './validators.js';
import { unsupportedModuleMessage } from '../modules/ansible-modules.js';
import { isPlainObject } from '../modules/coerce.js';

export { schemaValidator } from './validators.js';

const documentNames: Record<SchemaKind, string> = {
  playbook: 'a playbook is a list of plays',
  tasks: 'a tasks file is a list of tasks',
  handlers: 'a handlers file is a list of handlers',
  vars: 'a vars file is a mapping of variables',
  roleMeta: 'meta/main.yml is a mapping',
  argumentSpecs: 'meta/argument_specs.yml is a mapping with argument_specs',
};

/** `guarded`: the document's tasks run under a `when` (of the include, import or role that brings them in) */
export function validateDocument(kind: SchemaKind, data: unknown, options: { guarded?: boolean } = {}): Problem[] {
  const validate = documentValidator(kind);
  if (validate(data)) return [];
  return explainErrors(validate.errors ?? [], data, [], options.guarded === true).map((p) =>
    p.message.startsWith('the document is ') ? { ...p, message: `${documentNames[kind]}, this is ${p.message.slice('the document is '.length)}`, expected: undefined } : p,
  ).map((p) => (p.expected === undefined ? (({ expected: _e, ...rest }) => rest)(p) : p));
}

export function pathOf(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let current = root;
  for (const step of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[step];
  }
  return current;
}

/** 'abc' | 12 | true | a mapping | a list | null, as a person reads it */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'null (no value)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `'${value.length > 60 ? value.slice(0, 57) + '...' : value}'`;
  return String(value);
}

const typeNames: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
  array: 'a list',
  object: 'a mapping',
  null: 'nothing',
};

/** what a schema accepts, in words */
export function describeSchema(schema: JsonSchema): string {
  if (schema.anyOf) return [...new Set(schema.anyOf.map(describeSchema))].join(' or ');
  if (schema.enum) return `one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.pattern === '\\{\\{|\\{%') return 'a Jinja template';
  if (typeof schema['x-expected'] === 'string') return schema['x-expected'];
  if (schema.$ref === '#/$defs/taskOrBlock' || schema.$ref === '#/$defs/task') return 'a task';
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.length === 0) return 'a value';
  return types.map((t) => typeNames[t] ?? t).join(' or ');
}

function matchesType(schema: JsonSchema, value: unknown): boolean {
  if (schema.anyOf) return schema.anyOf.some((alt) => matchesType(alt, value));
  if (schema.$ref) return typeof value === 'object' && value !== null && !Array.isArray(value);
  if (schema.pattern !== undefined && typeof value === 'string') return new RegExp(schema.pattern, 'u').test(value);
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.length === 0) return true;
  return types.some((t) => {
    switch (t) {
      case 'array':
        return Array.isArray(value);
      case 'object':
        return typeof value === 'object' && value !== null && !Array.isArray(value);
      case 'integer':
        return Number.isInteger(value);
      case 'null':
        return value === null;
      default:
        return typeof value === t;
    }
  });
}

/** `sysctl` when the schema path is inside the arguments of a module, for "unknown argument ... for sysctl" */
function moduleOf(schemaPath: string): string | undefined {
  const match = /\/\$defs\/(?:task|handler)\/properties\/([^/]+)\//.exec(schemaPath);
  if (!match) return undefined;
  const name = match[1]!.replace(/~1/g, '/').replace(/~0/g, '~');
  return findModule(name) ? name : includeKeywords[name] ? name : undefined;
}

const contexts: Record<string, string> = {
  task: 'a task',
  handler: 'a handler',
  block: 'a block',
  play: 'a play',
  importPlaybook: 'an import_playbook',
  roleMeta: 'role metadata (meta/main.yml)',
  argumentSpecs: 'argument_specs',
  argumentOption: 'an argument_specs option',
  role: 'a role entry',
};

/** what the mapping is ('a task', 'module sysctl'): from the schema's title, set on each definition */
function contextOf(error: ErrorObject): string {
  const module = moduleOf(error.schemaPath);
  if (module) return `module ${module}`;
  const title = (error.parentSchema as JsonSchema | undefined)?.title;
  if (typeof title !== 'string') return 'this mapping';
  if (title.startsWith('module ')) return title;
  return contexts[title] ?? 'this mapping';
}

export function explainErrors(errors: ErrorObject[], root: unknown, prefix: (string | number)[] = [], guarded = false): Problem[] {
  // a propertyNames failure comes with a pattern error that names the key: keep that one
  let kept = errors.filter((e) => e.keyword !== 'if' && e.keyword !== '$ref' && e.keyword !== 'propertyNames');
  // inner anyOfs first, so that an outer one sees their summaries
  const anyOfs = kept.filter((e) => e.keyword === 'anyOf').sort((a, b) => b.schemaPath.length - a.schemaPath.length);
  for (const anyOf of anyOfs) {
    if (!kept.includes(anyOf)) continue;
    const alternatives = (anyOf.schema as JsonSchema[]) ?? [];
    const inside = (e: ErrorObject, i?: number) => e !== anyOf && e.schemaPath.startsWith(`${anyOf.schemaPath}/${i ?? ''}`);
    const branch = alternatives.findIndex((alt) => matchesType(alt, anyOf.data) && !(alt.pattern !== undefined && typeof anyOf.data !== 'string'));
    const specific = (e: ErrorObject) => inside(e, branch) && (e.instancePath !== anyOf.instancePath || e.keyword !== 'type');
    if (branch >= 0 && kept.some(specific)) {
      kept = kept.filter((e) => e !== anyOf && (!inside(e) || inside(e, branch)));
    } else {
      const summary: ErrorObject = { ...anyOf, keyword: 'type', params: { anyOf: true }, schema: undefined, parentSchema: anyOf.parentSchema };
      kept = kept.filter((e) => e !== anyOf && !inside(e)).concat(summary);
    }
  }
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const error of kept) {
    const path = [...prefix, ...pathOf(error.instancePath)];
    const p = explainOne(error, root, path, guarded);
    const key = `${p.file}:${p.line}:${p.col}:${p.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(p);
    }
  }
  return problems;
}

/** whether the mapping at `path`, or a block holding it, has a `when` */
function underWhen(root: unknown, path: readonly (string | number)[]): boolean {
  for (let depth = path.length; depth >= 0; depth--) {
    const value = valueAt(root, path.slice(0, depth));
    if (isPlainObject(value) && value.when !== undefined) return true;
  }
  return false;
}

function explainOne(error: ErrorObject, root: unknown, path: (string | number)[], guarded: boolean): Problem {
  const data = error.data;
  const at = positionAt(root, path);
  const last = path[path.length - 1];
  const where = last === undefined ? 'the document' : /^\d+$/.test(String(last)) ? `item ${Number(last) + 1} of ${path.length > 1 ? `'${path[path.length - 2]}'` : 'the list'}` : `'${last}'`;
  const parent = (error.parentSchema ?? {}) as JsonSchema;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String((error.params as { additionalProperty: string }).additionalProperty);
      const container = valueAt(root, path);
      const pos = keyPositionOf(container, key) ?? at;
      const context = contextOf(error);
      if (unsupportedKeywords.has(key)) return problem(pos, `'${key}' is an Ansible keyword that typebook does not support yet`);
      const known = Object.keys(parent.properties ?? {});
      const hint = didYouMean(key, known);
      if (context === 'a task' || context === 'a handler') {
        const unsupported = unsupportedModuleMessage(key);
        // under a `when` (its own, a block's, an include's or a role's), as Ansible would skip it where the condition
        // is false: a warning, and the task fails where it holds
        if (unsupported && (guarded || underWhen(root, path))) return problem(pos, `${unsupported}: the task fails where its condition holds`, { severity: 'warning' });
        if (unsupported) return problem(pos, unsupported);
        return problem(pos, `unknown key '${key}' in ${context}: neither a task keyword nor a module typebook has`, hint ? { hint } : {});
      }
      const noun = context.startsWith('module ') ? `argument '${key}' for ${context}` : `key '${key}' in ${context}`;
      return problem(pos, `unknown ${noun}`, { ...(hint ? { hint } : {}), ...(known.length <= 12 && known.length > 0 ? { expected: `one of ${known.join(', ')}` } : {}) });
    }
    case 'required': {
      const key = String((error.params as { missingProperty: string }).missingProperty);
      const context = contextOf(error);
      return problem(at, context.startsWith('module ') ? `missing required argument '${key}' for ${context}` : `missing required key '${key}' in ${context}`);
    }
    case 'enum': {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
      const hint = typeof data === 'string' ? didYouMean(data, allowed.map(String)) : undefined;
      return problem(at, `${where} is ${describeValue(data)}`, { expected: `one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`, ...(hint ? { hint } : {}) });
    }
    case 'type':
      return problem(at, `${where} is ${describeValue(data)}`, { expected: describeSchema(parent) });
    case 'pattern': {
      const propertyName = (error as ErrorObject & { propertyName?: string }).propertyName;
      if (propertyName !== undefined) {
        const container = valueAt(root, path);
        return problem(keyPositionOf(container, propertyName) ?? at, `invalid variable name '${propertyName}'`, { expected: 'letters, digits and underscores, not starting with a digit' });
      }
      return problem(at, `${where} is ${describeValue(data)}`, { expected: describeSchema(parent) === 'a string' ? `a string matching ${parent.pattern}` : describeSchema(parent) });
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return problem(at, `${where} is ${describeValue(data)}`, { expected: `a number ${error.message ?? ''}`.trim() });
    case 'minProperties':
      return problem(at, `${where} is empty`, { expected: 'at least one key' });
    case 'minItems':
      return problem(at, `${where} has too few items`, { expected: error.message });
    default:
      return problem(at, `${where}: ${error.message ?? error.keyword}`);
  }
}

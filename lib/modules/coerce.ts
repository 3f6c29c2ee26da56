/**
 * Ansible's argument type conversions (module_utils' check_type_*), applied before schema validation so
 * that what Ansible accepts we accept: `enabled: "yes"`, `port: "8080"`, `value: 1` for a string, `name: a,b`
 * for a list. Template strings are left alone: they are converted after rendering.
 */
import { ansibleBoolean } from '../ansible/index.js';

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  patternProperties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  description?: string;
  [keyword: string]: unknown;
}

export function isTemplate(value: unknown): value is string {
  return typeof value === 'string' && (value.includes('{{') || value.includes('{%'));
}

/** Python's str() of a scalar, as Ansible's check_type_str converts. */
function pyStr(value: unknown): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null) return 'None';
  return String(value);
}

function types(schema: JsonSchema): string[] {
  if (schema.type === undefined) return [];
  return Array.isArray(schema.type) ? schema.type : [schema.type];
}

/** Returns the value converted to what the schema wants where Ansible would convert it; otherwise unchanged. */
export function coerce(schema: JsonSchema, value: unknown): unknown {
  if (isTemplate(value)) return value;
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) {
    // a value that already has one branch's type keeps it; otherwise the first branch that converts it
    const direct = alternatives.find((alt) => matchesType(alt, value));
    if (direct) return coerce(direct, value);
    for (const alt of alternatives) {
      const converted = coerce(alt, value);
      if (converted !== value && matchesType(alt, converted)) return converted;
    }
    return value;
  }
  const wanted = types(schema);
  if (wanted.length === 0 || wanted.includes(jsonType(value))) return coerceInside(schema, value);
  if (wanted.includes('number') && typeof value === 'number') return value;
  for (const type of wanted) {
    const converted = convertTo(type, value, schema);
    if (converted !== undefined) return coerceInside(schema, converted);
  }
  return value;
}

function coerceInside(schema: JsonSchema, value: unknown): unknown {
  if (Array.isArray(value) && schema.items) {
    const items = schema.items;
    return value.map((item) => coerce(items, item));
  }
  if (isPlainObject(value) && (schema.properties || schema.patternProperties)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const sub = schema.properties?.[key] ?? Object.values(schema.patternProperties ?? {})[0];
      out[key] = sub ? coerce(sub, item) : item;
    }
    return out;
  }
  return value;
}

function convertTo(type: string, value: unknown, schema: JsonSchema): unknown {
  switch (type) {
    case 'string':
      if (typeof value === 'number' || typeof value === 'boolean') return pyStr(value);
      return undefined;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : ansibleBoolean(value);
    case 'integer':
      if (typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value)) return Number.parseInt(value, 10);
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      return undefined;
    case 'number':
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
      return undefined;
    case 'array':
      // check_type_list: a string is split on commas, a number becomes a one-item list
      if (typeof value === 'string') return value.split(',').map((s) => (schema.items && types(schema.items).includes('string') ? s.trim() : s));
      if (typeof value === 'number' || typeof value === 'boolean') return [pyStr(value)];
      return undefined;
    default:
      return undefined;
  }
}

function matchesType(schema: JsonSchema, value: unknown): boolean {
  if (schema.anyOf || schema.oneOf) return (schema.anyOf ?? schema.oneOf)!.some((alt) => matchesType(alt, value));
  if (schema.enum) return schema.enum.includes(value);
  if (schema.const !== undefined) return schema.const === value;
  const wanted = types(schema);
  if (wanted.length === 0) return true;
  const actual = jsonType(value);
  return wanted.includes(actual) || (actual === 'number' && wanted.includes('integer') && Number.isInteger(value));
}

export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

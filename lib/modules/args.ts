/**
 * Builders for module arguments in Ansible's types. Each yields a TypeBox schema, so one definition gives
 * both the TypeScript type (Static<>) and the JSON Schema: they cannot drift.
 */
import { Type, type SchemaOptions, type TSchema, type TUnsafe } from '@sinclair/typebox';

/** A string out of a fixed set, as a JSON Schema `enum` (one clear error, unlike a union of literals). */
export function StringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] });
}

/** Ansible's `raw`: any value. */
export function Raw(options: SchemaOptions = {}): TUnsafe<unknown> {
  return Type.Unsafe<unknown>({ ...options });
}

/** Ansible's `list` of a type: a bare value or a comma-separated string is coerced to a list (see coerce.ts). */
export function List<T extends TSchema>(items: T, options: SchemaOptions = {}) {
  return Type.Array(items, options);
}

/** A free-form mapping (environment, headers, vars). */
export function Dict(options: SchemaOptions = {}) {
  return Type.Record(Type.String(), Type.Unknown(), options);
}

/** The `validate` command of the file-writing modules: Ansible refuses one without `%s` (the new file's path). */
export const ValidateCommand = Type.String({ pattern: '%s', 'x-expected': 'a command containing %s (where the new file goes)', description: 'command checking the new file (%s) before it replaces the old one' });

/**
 * The ajv validators of the playbook schemas and of every module's arguments. Compiling them costs most of a
 * short run's time (a second or so), so the build generates their code once (`precompiledSource`, written to
 * dist/playbook/validators.generated.cjs); a run loads that, and compiles only what it lacks (when running
 * from the TypeScript sources, or for a role's argument_specs).
 */
import { Ajv, type ValidateFunction } from 'ajv';
import standalone from 'ajv/dist/standalone/index.js';
import { createRequire } from 'node:module';
import { allModules } from '../modules/index.js';
import type { JsonSchema } from '../modules/coerce.js';
import type { ModuleDefinition } from '../modules/module.js';
import { buildSchemas, schemaKinds, templatable, toPlain, type SchemaKind } from './schema.js';

const options = { allErrors: true, strict: false, allowUnionTypes: true, verbose: true } as const;

let ajv: Ajv | undefined;

/** The shared ajv instance, holding the assembled schemas (for validation, not for editors). */
export function schemaValidator(): Ajv {
  if (!ajv) {
    ajv = new Ajv(options);
    ajv.addSchema(buildSchemas(false), 'typebook');
  }
  return ajv;
}

const GENERATED = './validators.generated.cjs';
let generated: Record<string, ValidateFunction> | null | undefined;

function precompiled(key: string): ValidateFunction | undefined {
  if (generated === undefined) {
    try {
      generated = createRequire(import.meta.url)(GENERATED) as Record<string, ValidateFunction>;
    } catch {
      generated = null;
    }
  }
  return generated?.[key];
}

const documentKey = (kind: SchemaKind) => `doc_${kind}`;
const moduleKey = (module: ModuleDefinition, mode: 'loose' | 'exact') => `m_${module.name.replace(/\W/g, '_')}_${mode}`;

export function documentValidator(kind: SchemaKind): ValidateFunction {
  return precompiled(documentKey(kind)) ?? schemaValidator().getSchema(`typebook#/$defs/${kind}`)!;
}

/** A module's argument schema: `exact` as the module takes it, `loose` with Jinja templates allowed in typed places. */
export function moduleSchemas(module: ModuleDefinition): { exact: JsonSchema; loose: JsonSchema } {
  const exact = { ...toPlain(module.args), title: `module ${module.name}` };
  return { exact, loose: { ...templatable(exact), title: `module ${module.name}` } };
}

export function moduleValidator(module: ModuleDefinition, mode: 'loose' | 'exact', schema: JsonSchema): ValidateFunction {
  return precompiled(moduleKey(module, mode)) ?? schemaValidator().compile(schema);
}

/** The generated code of every document and module validator (CommonJS), for the build. */
export function precompiledSource(): string {
  const source = new Ajv({ ...options, code: { source: true } });
  source.addSchema(buildSchemas(false), 'typebook');
  const refs: Record<string, string> = {};
  for (const kind of schemaKinds) refs[documentKey(kind)] = `typebook#/$defs/${kind}`;
  for (const module of allModules) {
    const schemas = moduleSchemas(module);
    for (const mode of ['loose', 'exact'] as const) {
      const id = `typebook-${moduleKey(module, mode)}`;
      source.addSchema({ ...schemas[mode], $id: id });
      refs[moduleKey(module, mode)] = id;
    }
  }
  // a CommonJS module seen from ES modules: the function is its default export
  return standalone.default(source, refs);
}

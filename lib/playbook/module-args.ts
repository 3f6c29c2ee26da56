/**
 * A module's arguments checked against the module's own schema: at load time with Jinja templates allowed
 * in typed places, and again at run time, after rendering, against the strict schema. Both use the same
 * definition (the module's TypeBox schema), coerced first as Ansible coerces (`"yes"` -> true).
 */
import type { ValidateFunction } from 'ajv';
import { coerce, isPlainObject, type JsonSchema } from '../modules/coerce.js';
import type { ModuleDefinition } from '../modules/module.js';
import { checkRules } from '../modules/rules.js';
import { keyPositionOf, problem, type Problem, type SourcePos } from '../source/index.js';
import { explainErrors } from './validate.js';
import { moduleSchemas, moduleValidator } from './validators.js';

interface Compiled {
  strict: JsonSchema;
  loose: ValidateFunction;
  exact: ValidateFunction;
}
const compiled = new WeakMap<ModuleDefinition, Compiled>();

function compile(module: ModuleDefinition): Compiled {
  let c = compiled.get(module);
  if (!c) {
    const schemas = moduleSchemas(module);
    c = { strict: schemas.exact, loose: moduleValidator(module, 'loose', schemas.loose), exact: moduleValidator(module, 'exact', schemas.exact) };
    compiled.set(module, c);
  }
  return c;
}

/** Renames Ansible argument aliases (`pkg` -> `name`); both given is a mistake. */
export function resolveAliases(module: ModuleDefinition, args: Record<string, unknown>, at?: SourcePos): { args: Record<string, unknown>; problems: Problem[] } {
  if (!module.argAliases) return { args, problems: [] };
  const out: Record<string, unknown> = { ...args };
  const problems: Problem[] = [];
  for (const [alias, target] of Object.entries(module.argAliases)) {
    if (!(alias in out)) continue;
    if (target in args) problems.push(problem(keyPositionOf(args, alias) ?? at, `'${alias}' and '${target}' are the same argument of ${module.name}: give only one`));
    else out[target] = out[alias];
    delete out[alias];
  }
  return { args: out, problems };
}

/** Load-time check: templates may stand for any typed value. Positions come from `args` as loaded. */
export function checkModuleArgs(module: ModuleDefinition, args: Record<string, unknown>, at: SourcePos): Problem[] {
  const c = compile(module);
  const coerced = coerce(c.strict, args);
  if (!c.loose(coerced)) return explainErrors(c.loose.errors ?? [], args).map((p) => (p.line > 0 ? p : { ...p, ...at }));
  return ruleProblems(module, isPlainObject(coerced) ? coerced : args, args, at, false);
}

/** The schema's defaults of a module's arguments (Ansible applies them before its rules). */
function schemaDefaults(module: ModuleDefinition): Record<string, unknown> {
  const properties = (module.args as { properties?: Record<string, { default?: unknown }> }).properties ?? {};
  return Object.fromEntries(Object.entries(properties).flatMap(([k, p]) => (p.default !== undefined ? [[k, p.default]] : [])));
}

function ruleProblems(module: ModuleDefinition, values: Record<string, unknown>, positioned: Record<string, unknown>, at: SourcePos, rendered: boolean): Problem[] {
  return checkRules(module.rules, values, schemaDefaults(module), rendered).map((b) =>
    problem((b.argument !== undefined ? keyPositionOf(positioned, b.argument) : undefined) ?? at, `${rendered ? 'after templating: ' : ''}module ${module.name}: ${b.message}`));
}

/** Run-time: rendered arguments coerced and checked against the strict schema; the typed value on success. */
export function finalizeModuleArgs(module: ModuleDefinition, rendered: Record<string, unknown>, at: SourcePos): { args?: Record<string, unknown>; problems: Problem[] } {
  const c = compile(module);
  // arguments may still carry Ansible's alias names here (module_defaults, a templated `args:`)
  const aliased = resolveAliases(module, rendered, at);
  if (aliased.problems.length > 0) return { problems: aliased.problems };
  const coerced = coerce(c.strict, aliased.args);
  if (!isPlainObject(coerced)) return { problems: [problem(at, `the arguments of ${module.name} must be a mapping`)] };
  if (c.exact(coerced)) {
    const broken = ruleProblems(module, coerced, rendered, at, true);
    return broken.length === 0 ? { args: coerced, problems: [] } : { problems: broken };
  }
  const problems = explainErrors(c.exact.errors ?? [], coerced).map((p) => (p.line > 0 ? p : { ...p, file: at.file, line: at.line, col: at.col }));
  return { problems: problems.map((p) => ({ ...p, message: `after templating: ${p.message}` })) };
}

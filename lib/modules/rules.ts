/**
 * Rules between a module's arguments, as Ansible's argument_spec declares them (mutually_exclusive,
 * required_one_of, required_together, required_if, required_by), checked with Ansible's wording: before
 * connecting on the arguments as written (a templated argument counts as given, and a rule whose condition
 * is a template waits), and again after rendering.
 */
import { isTemplate } from './coerce.js';

export interface ArgumentRules<K extends string = string> {
  readonly mutually_exclusive?: readonly (readonly K[])[];
  readonly required_one_of?: readonly (readonly K[])[];
  readonly required_together?: readonly (readonly K[])[];
  /** [argument, value, requirements, any]: when argument is value, all (or with any: one) of requirements */
  readonly required_if?: readonly (readonly [K, unknown, readonly K[], boolean?])[];
  readonly required_by?: Readonly<Partial<Record<K, readonly K[]>>>;
  /**
   * typebook's addition for the checks Ansible modules make in main(): [argument, key, values, message]: when
   * argument is given (and not false), key (as given, or its default) must be one of values; message is the module's own.
   */
  readonly only_with?: readonly (readonly [K, K, readonly unknown[], string])[];
}

export interface RuleBreach {
  message: string;
  /** the argument to point at, when one is to blame */
  argument?: string;
}

/**
 * `args`: as given (rendered or not); `defaults`: the schema's defaults, which Ansible applies before every
 * rule but mutually_exclusive. A value that is only `{{ omit }}`-like templating may vanish: a templated
 * argument never breaks mutually_exclusive before rendering.
 */
export function checkRules(rules: ArgumentRules | undefined, args: Readonly<Record<string, unknown>>, defaults: Readonly<Record<string, unknown>>, rendered: boolean): RuleBreach[] {
  if (!rules) return [];
  const given = (k: string): boolean => args[k] !== undefined && args[k] !== null;
  const certain = (k: string): boolean => given(k) && (rendered || !isTemplate(args[k]));
  const present = (k: string): boolean => given(k) || (defaults[k] !== undefined && defaults[k] !== null);
  const value = (k: string): unknown => (given(k) ? args[k] : defaults[k]);
  const breaches: RuleBreach[] = [];
  for (const set of rules.mutually_exclusive ?? []) {
    const both = set.filter(certain);
    if (both.length > 1) breaches.push({ message: `parameters are mutually exclusive: ${set.join('|')}`, argument: both[1]! });
  }
  for (const set of rules.required_one_of ?? []) {
    if (!set.some(present)) breaches.push({ message: `one of the following is required: ${set.join(', ')}` });
  }
  for (const set of rules.required_together ?? []) {
    const some = set.filter(present);
    if (some.length > 0 && some.length < set.length) breaches.push({ message: `parameters are required together: ${set.join(', ')}`, argument: some[0]! });
  }
  for (const [key, when, requirements, any] of rules.required_if ?? []) {
    const v = value(key);
    if (!rendered && isTemplate(v)) continue;
    if (v !== when) continue;
    const missing = requirements.filter((r) => !present(r));
    if (any ? missing.length === requirements.length : missing.length > 0) {
      breaches.push({ message: `${key} is ${String(when)} but ${any ? 'any' : 'all'} of the following are missing: ${missing.join(', ')}`, argument: key });
    }
  }
  for (const [key, needs] of Object.entries(rules.required_by ?? {}) as [string, readonly string[]][]) {
    if (!present(key)) continue;
    const missing = needs.filter((r) => !present(r));
    if (missing.length > 0) breaches.push({ message: `missing parameter(s) required by '${key}': ${missing.join(', ')}`, argument: key });
  }
  for (const [key, other, allowed, message] of rules.only_with ?? []) {
    if (!certain(key) || args[key] === false || !present(other)) continue;
    const v = value(other);
    if (!rendered && isTemplate(v)) continue;
    if (!allowed.includes(v)) breaches.push({ message, argument: key });
  }
  return breaches;
}

/** Jinja2's built-in tests and Ansible's (`is defined`, `is version('1.2', '>=')`, `is failed`...). */
import { PyFloat, PyFunction, TemplateRuntimeError, Undefined, compare, contains, equals, isDict, isFloat, isInt, isNumeric, iterate, repr, str, toNumber, truthy, typeName, type Dict } from './python.js';
import { pythonRegex } from './regex.js';
import { filters, versionCompare, type CallContext } from './filters.js';

export interface TestDef {
  fn: (ctx: CallContext, value: unknown, args: unknown[], kwargs: Dict) => boolean;
  /** answers for an undefined value instead of failing (defined, undefined, and the type tests) */
  undefinedOk?: boolean;
}

const t: Record<string, TestDef> = {};
function def(names: string | string[], fn: TestDef['fn'], undefinedOk = false): void {
  for (const name of Array.isArray(names) ? names : [names]) t[name] = undefinedOk ? { fn, undefinedOk } : { fn };
}

function opt(args: unknown[], kwargs: Dict, i: number, name: string, dflt: unknown): unknown {
  if (i < args.length) return args[i];
  if (Object.prototype.hasOwnProperty.call(kwargs, name)) return kwargs[name];
  return dflt;
}

/** a registered task result, as the result tests need it */
function result(v: unknown, test: string): Dict {
  if (!isDict(v)) throw new TemplateRuntimeError(`the '${test}' test expects a dictionary (a registered task result), got ${typeName(v)} ${repr(v)}`);
  return v;
}

function regexTest(value: unknown, args: unknown[], kwargs: Dict, how: 'match' | 'search'): boolean {
  const flags = { ignorecase: truthy(opt(args, kwargs, 1, 'ignorecase', false)), multiline: truthy(opt(args, kwargs, 2, 'multiline', false)) };
  const re = pythonRegex(str(args[0]), flags, how === 'match');
  return re.test(str(value));
}

def('defined', (_c, v) => !(v instanceof Undefined), true);
def('undefined', (_c, v) => v instanceof Undefined, true);
def('none', (_c, v) => v === null, true);
def('string', (_c, v) => typeof v === 'string', true);
def('number', (_c, v) => isNumeric(v), true);
def('integer', (_c, v) => isInt(v), true);
def('float', (_c, v) => isFloat(v), true);
def('boolean', (_c, v) => typeof v === 'boolean', true);
def('mapping', (_c, v) => isDict(v), true);
def('sequence', (_c, v) => typeof v === 'string' || Array.isArray(v) || isDict(v), true);
def('iterable', (_c, v) => typeof v === 'string' || Array.isArray(v) || isDict(v));
def('callable', (_c, v) => v instanceof PyFunction, true);
def('true', (_c, v) => v === true, true);
def('false', (_c, v) => v === false, true);
def('sameas', (_c, v, a) => (v instanceof PyFloat || a[0] instanceof PyFloat ? false : v === a[0]));
def(['eq', 'equalto', '=='], (_c, v, a) => equals(v, a[0]));
def(['ne', '!='], (_c, v, a) => !equals(v, a[0]));
def(['lt', 'lessthan', '<'], (_c, v, a) => compare(v, a[0], '<') < 0);
def(['le', '<='], (_c, v, a) => compare(v, a[0], '<=') <= 0);
def(['gt', 'greaterthan', '>'], (_c, v, a) => compare(v, a[0], '>') > 0);
def(['ge', '>='], (_c, v, a) => compare(v, a[0], '>=') >= 0);
def('in', (_c, v, a) => contains(a[0], v));
def('even', (_c, v) => toNumber(v) % 2 === 0);
def('odd', (_c, v) => Math.abs(toNumber(v) % 2) === 1);
def('divisibleby', (_c, v, a) => toNumber(v) % toNumber(a[0]) === 0);
def('lower', (_c, v) => str(v) === str(v).toLowerCase() && /\p{Ll}/u.test(str(v)));
def('upper', (_c, v) => str(v) === str(v).toUpperCase() && /\p{Lu}/u.test(str(v)));
def('escaped', () => false);
def('filter', (_c, v) => typeof v === 'string' && Object.prototype.hasOwnProperty.call(filters, v));
def('test', (_c, v) => typeof v === 'string' && Object.prototype.hasOwnProperty.call(t, v));
def('match', (_c, v, a, k) => regexTest(v, a, k, 'match'));
def('search', (_c, v, a, k) => regexTest(v, a, k, 'search'));
def('regex', (_c, v, a, k) => regexTest(v, a, k, str(opt(a, k, 3, 'match_type', 'search')) === 'match' ? 'match' : 'search'));
def(['version', 'version_compare'], (_c, v, a, k) => versionCompare(v, opt(a, k, 0, 'version', null), opt(a, k, 1, 'operator', 'eq'), opt(a, k, 3, 'version_type', null)));
def(['failed', 'failure'], (_c, v) => truthy(result(v, 'failed').failed ?? false));
def(['success', 'succeeded'], (_c, v) => !truthy(result(v, 'success').failed ?? false));
def(['changed', 'change'], (_c, v) => {
  const r = result(v, 'changed');
  if (r.changed !== undefined) return truthy(r.changed);
  const results = r.results;
  return Array.isArray(results) && isDict(results[0]) && results.some((x) => isDict(x) && truthy(x.changed ?? false));
});
def(['skipped', 'skip'], (_c, v) => truthy(result(v, 'skipped').skipped ?? false));
def('unreachable', (_c, v) => truthy(result(v, 'unreachable').unreachable ?? false));
def('reachable', (_c, v) => !truthy(result(v, 'reachable').unreachable ?? false));
def('finished', (_c, v) => {
  const r = result(v, 'finished');
  return r.finished === undefined || toNumber(r.finished) === 1;
});
def('started', (_c, v) => {
  const r = result(v, 'started');
  return r.started !== undefined && toNumber(r.started) === 1;
});
def(['subset', 'issubset'], (_c, v, a) => iterate(v).every((x) => contains(iterate(a[0]), x)));
def(['superset', 'issuperset'], (_c, v, a) => iterate(a[0]).every((x) => contains(iterate(v), x)));
def('contains', (_c, v, a) => contains(v, a[0]));
def('any', (_c, v) => iterate(v).some(truthy));
def('all', (_c, v) => iterate(v).every(truthy));
def('truthy', (_c, v, a, k) => {
  const convert = truthy(opt(a, k, 0, 'convert_bool', false));
  if (convert && typeof v === 'string' && /^(?:yes|on|1|true|no|off|0|false)$/i.test(v)) return /^(?:yes|on|1|true)$/i.test(v);
  return truthy(v);
});
def('falsy', (c, v, a, k) => !t.truthy!.fn(c, v, a, k));
def('nan', (_c, v) => isFloat(v) && Number.isNaN(toNumber(v)));

export const tests: Readonly<Record<string, TestDef>> = t;


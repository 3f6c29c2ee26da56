/**
 * Python value semantics for Jinja2 expressions, over the plain JavaScript values that YAML loading and
 * the variable store produce: truthiness, str()/repr(), equality and ordering, `in`, arithmetic with
 * int/float distinction, and `%` string formatting. Ansible conditions depend on these (`when: items`
 * is false for an empty list, which JavaScript would call true).
 *
 * Value model: str = string, int = integral number, float = non-integral number or a `PyFloat` (which
 * only exists to remember that an integral value such as `4 / 2` is the float `2.0`), bool = boolean,
 * None = null, list = array, tuple = array marked in `tuples`, dict = any other object. An int beyond 2^53 may
 * also be a bigint (the ipaddr filters' IPv6 integers), printed and compared exactly, computed with as a number.
 */
import { pythonStringRepr } from '../ansible/index.js';

export class TemplateRuntimeError extends Error {
  override name = 'TemplateRuntimeError';
}

/** A float whose value happens to be integral (`2.0`); non-integral floats are plain numbers. */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** A missing variable or attribute; using it for anything but `default`/`is defined` is an error (StrictUndefined). */
export class Undefined {
  constructor(
    /** the expression as written, e.g. `hostvars['web1'].port` */
    readonly name: string,
    readonly message: string,
    readonly line: number,
    readonly col: number,
    /** the template file `line` and `col` are in, when not the one the Templar renders (an included one) */
    readonly file?: string,
  ) {}
}

/**
 * Jinja's default Undefined, which an inline if without else gives even under Ansible's strict one: it prints
 * as '', is false and empty; reading an attribute of it fails.
 */
export class LenientUndefined extends Undefined {}

export class UndefinedError extends TemplateRuntimeError {
  override name = 'UndefinedError';
  constructor(readonly undef: Undefined) {
    super(undef.message);
  }
}

/** A callable value: a global function, a bound method, a macro. */
export class PyFunction {
  constructor(
    readonly name: string,
    readonly call: (args: unknown[], kwargs: Record<string, unknown>) => unknown,
  ) {}
}

/**
 * What Jinja gives a template of the templates around it: an imported template (`{% import %}`: its macros and
 * top-level variables), `self` (its blocks). Read by attribute; printed as Jinja prints it.
 */
export class TemplateObject {
  constructor(
    /** Python's type name, for repr() and type_debug */
    readonly kind: string,
    /** the template's name */
    readonly name: string,
    /** what `{{ x }}` prints: an imported template's rendered body; repr() when undefined */
    readonly text: string | undefined,
    /** an attribute's value, or undefined when it has none */
    readonly attribute: (name: string) => unknown,
  ) {}
}

/** `namespace()`: the one object a template may assign attributes to across scopes. */
export class Namespace {
  readonly attrs: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
}

const tupleMarks = new WeakSet<unknown[]>();
export function tuple(items: unknown[]): unknown[] {
  tupleMarks.add(items);
  return items;
}
export function isTuple(v: unknown): v is unknown[] {
  return Array.isArray(v) && tupleMarks.has(v);
}

export function failIfUndefined(v: unknown): void {
  if (v instanceof Undefined) throw new UndefinedError(v);
}

export type Dict = Record<string, unknown>;

export function isDict(v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof PyFloat) && !(v instanceof Undefined) && !(v instanceof PyFunction) && !(v instanceof Namespace) && !(v instanceof RegExp) && !(v instanceof TemplateObject);
}
export function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}
export function isFloat(v: unknown): boolean {
  return v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v));
}
/** int, float or bool (bool is an int in Python) */
export function isNumeric(v: unknown): boolean {
  return typeof v === 'number' || typeof v === 'boolean' || v instanceof PyFloat || typeof v === 'bigint';
}
export function toNumber(v: unknown): number {
  if (v instanceof PyFloat) return v.value;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  return v as number;
}
/** an int (or bool) as an exact bigint when either side of a comparison is one */
function bigOf(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  return isInt(v) ? BigInt(v) : undefined;
}
export function makeFloat(n: number): number | PyFloat {
  return Number.isInteger(n) ? new PyFloat(n) : n;
}
/** Converts template-internal values to plain JavaScript ones (for callers and JSON). */
export function toPlain(v: unknown): unknown {
  if (v instanceof LenientUndefined) return '';
  if (v instanceof PyFloat) return v.value;
  // JSON has no exact form for it; its digits are what Ansible's (non-native) templating gives for any int
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Undefined) throw new UndefinedError(v);
  if (Array.isArray(v)) {
    return v.some((x) => x instanceof PyFloat || x instanceof Undefined || typeof x === 'bigint' || (typeof x === 'object' && x !== null)) ? v.map(toPlain) : v;
  }
  if (v instanceof Namespace) return toPlain(v.attrs);
  if (isDict(v)) {
    let changed = false;
    const out: Dict = {};
    for (const [k, x] of entries(v)) {
      const p = toPlain(x);
      if (p !== x) changed = true;
      defineKey(out, k, p);
    }
    return changed ? out : v;
  }
  return v;
}

/** Own enumerable entries; works for Proxies that implement ownKeys, and for plain objects. */
export function entries(d: Dict): [string, unknown][] {
  return Object.keys(d).map((k) => [k, d[k]]);
}
export function defineKey(d: Dict, key: string, value: unknown): void {
  // `__proto__` from data must stay data
  Object.defineProperty(d, key, { value, enumerable: true, writable: true, configurable: true });
}
export function hasKey(d: Dict, key: string): boolean {
  const proto: unknown = Object.getPrototypeOf(d);
  if (proto === Object.prototype || proto === null) return Object.prototype.hasOwnProperty.call(d, key);
  // exotic objects (the variable store's lazy views): present when they give a value
  return d[key] !== undefined && !(key in Object.prototype && d[key] === (Object.prototype as Dict)[key]);
}

export function typeName(v: unknown): string {
  if (v === null) return 'NoneType';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (isInt(v) || typeof v === 'bigint') return 'int';
  if (isFloat(v)) return 'float';
  if (isTuple(v)) return 'tuple';
  if (Array.isArray(v)) return 'list';
  if (v instanceof PyFunction) return 'function';
  if (v instanceof Namespace) return 'Namespace';
  if (v instanceof TemplateObject) return v.kind;
  if (v instanceof Undefined) return 'Undefined';
  return 'dict';
}

export function truthy(v: unknown): boolean {
  if (v instanceof LenientUndefined) return false;
  failIfUndefined(v);
  if (v === null || v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (v instanceof PyFloat) return v.value !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isDict(v)) return Object.keys(v).length > 0;
  return true;
}

// ---- str() and repr() ----

export function floatRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  // JavaScript's shortest round-trip digits, laid out as Python's repr does (exponent below -4 or from 16)
  const [mantissa, expText] = n.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const sign = mantissa.startsWith('-') ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/** Python's repr() of a string (one definition for the whole project). */
export const strRepr = pythonStringRepr;

export function repr(v: unknown): string {
  if (typeof v === 'string') return strRepr(v);
  if (Array.isArray(v)) {
    const items = v.map(repr);
    if (isTuple(v)) return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
    return `[${items.join(', ')}]`;
  }
  if (isDict(v)) return `{${entries(v).map(([k, x]) => `${strRepr(k)}: ${repr(x)}`).join(', ')}}`;
  if (v instanceof TemplateObject) return `<${v.kind} ${strRepr(v.name)}>`;
  return str(v);
}

/** Python's str() of a value, which is what `{{ x }}` prints. */
export function str(v: unknown): string {
  if (v instanceof LenientUndefined) return '';
  failIfUndefined(v);
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isInteger(v) ? intText(v) : floatRepr(v);
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof PyFloat) return floatRepr(v.value);
  if (v instanceof PyFunction) return `<function ${v.name}>`;
  if (v instanceof Namespace) return `<Namespace ${repr(v.attrs)}>`;
  if (v instanceof TemplateObject) return v.text ?? repr(v);
  if (v instanceof RegExp) return `re.compile(${strRepr(v.source)})`;
  return repr(v);
}

function intText(n: number): string {
  // integers beyond 2^53 lose precision in JavaScript; print the value they hold, all digits, as Python would
  return Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
}

// ---- equality, ordering, membership ----

export function equals(a: unknown, b: unknown): boolean {
  failIfUndefined(a);
  failIfUndefined(b);
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const [x, y] = [bigOf(a), bigOf(b)];
    if (x !== undefined && y !== undefined) return x === y;
  }
  if (isNumeric(a) && isNumeric(b)) return toNumber(a) === toNumber(b);
  if (a === null || b === null || a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (isTuple(a) !== isTuple(b) || a.length !== b.length) return false;
    return a.every((x, i) => equals(x, b[i]));
  }
  if (isDict(a) && isDict(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => hasKey(b, k) && equals(a[k], b[k]));
  }
  if (a instanceof Namespace && b instanceof Namespace) return a === b;
  return a === b;
}

/** -1, 0 or 1; a TypeError as Python's for values that do not order */
export function compare(a: unknown, b: unknown, op: string): number {
  failIfUndefined(a);
  failIfUndefined(b);
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const [x, y] = [bigOf(a), bigOf(b)];
    if (x !== undefined && y !== undefined) return x < y ? -1 : x > y ? 1 : 0;
  }
  if (isNumeric(a) && isNumeric(b)) {
    const x = toNumber(a);
    const y = toNumber(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b) && isTuple(a) === isTuple(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (!equals(a[i], b[i])) return compare(a[i], b[i], op);
    }
    return a.length - b.length === 0 ? 0 : a.length < b.length ? -1 : 1;
  }
  throw new TemplateRuntimeError(`'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

export function contains(container: unknown, item: unknown): boolean {
  failIfUndefined(container);
  failIfUndefined(item);
  if (typeof container === 'string') {
    if (typeof item !== 'string') throw new TemplateRuntimeError(`'in <string>' requires string as left operand, not ${typeName(item)}`);
    return container.includes(item);
  }
  if (Array.isArray(container)) return container.some((x) => equals(x, item));
  if (isDict(container)) return (typeof item === 'string' || isNumeric(item)) && hasKey(container, str(item));
  if (container instanceof Namespace) return false;
  throw new TemplateRuntimeError(`argument of type '${typeName(container)}' is not iterable`);
}

/** The items a `for` loop (or `list()`) sees: list items, dict keys, string characters. */
export function iterate(v: unknown): unknown[] {
  if (v instanceof LenientUndefined) return [];
  failIfUndefined(v);
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return Array.from(v);
  if (isDict(v)) return Object.keys(v);
  throw new TemplateRuntimeError(`'${typeName(v)}' object is not iterable`);
}

export function length(v: unknown): number {
  failIfUndefined(v);
  if (typeof v === 'string') return Array.from(v).length;
  if (Array.isArray(v)) return v.length;
  if (isDict(v)) return Object.keys(v).length;
  throw new TemplateRuntimeError(`object of type '${typeName(v)}' has no len()`);
}

// ---- arithmetic ----

function operandError(op: string, a: unknown, b: unknown): TemplateRuntimeError {
  return new TemplateRuntimeError(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
}

function numeric(op: string, a: unknown, b: unknown, f: (x: number, y: number) => number, alwaysFloat = false): number | PyFloat {
  if (!isNumeric(a) || !isNumeric(b)) throw operandError(op, a, b);
  const r = f(toNumber(a), toNumber(b));
  return alwaysFloat || isFloat(a) || isFloat(b) ? makeFloat(r) : r;
}

export function binary(op: string, a: unknown, b: unknown): unknown {
  failIfUndefined(a);
  failIfUndefined(b);
  switch (op) {
    case '+':
      if (typeof a === 'string' && typeof b === 'string') return a + b;
      if (Array.isArray(a) && Array.isArray(b) && isTuple(a) === isTuple(b)) return isTuple(a) ? tuple([...a, ...b]) : [...a, ...b];
      return numeric(op, a, b, (x, y) => x + y);
    case '-':
      return numeric(op, a, b, (x, y) => x - y);
    case '*':
      if ((typeof a === 'string' || Array.isArray(a)) && isInt(b)) return repeat(a, b);
      if ((typeof b === 'string' || Array.isArray(b)) && isInt(a)) return repeat(b, a);
      return numeric(op, a, b, (x, y) => x * y);
    case '/':
      return numeric(op, a, b, (x, y) => divide(x, y, 'division'), true);
    case '//':
      return numeric(op, a, b, (x, y) => Math.floor(divide(x, y, 'integer division or modulo')));
    case '%':
      if (typeof a === 'string') return percentFormat(a, b);
      return numeric(op, a, b, (x, y) => {
        divide(x, y, 'integer division or modulo');
        return x - y * Math.floor(x / y);
      });
    case '**':
      return numeric(op, a, b, (x, y) => x ** y, !isNumeric(b) || toNumber(b) < 0);
    default:
      throw new TemplateRuntimeError(`unknown operator ${op}`);
  }
}

function divide(x: number, y: number, what: string): number {
  if (y === 0) throw new TemplateRuntimeError(`${what} by zero`);
  return x / y;
}

function repeat(seq: string | unknown[], n: number): string | unknown[] {
  if (typeof seq === 'string') return n > 0 ? seq.repeat(n) : '';
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) out.push(...seq);
  return isTuple(seq) ? tuple(out) : out;
}

// ---- printf-style formatting: '%s' % x, '%s:%d' % (a, b), '%(name)s' % dict ----

const percentSpec = /%(?:\(([^)]*)\))?([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])/g;

export function percentFormat(format: string, arg: unknown): string {
  failIfUndefined(arg);
  const positional = isTuple(arg) ? arg : [arg];
  const mapping = isDict(arg) ? arg : undefined;
  let next = 0;
  let usedMapping = false;
  const take = (): unknown => {
    if (next >= positional.length) throw new TemplateRuntimeError('not enough arguments for format string');
    return positional[next++];
  };
  const out = format.replace(percentSpec, (_m, key: string | undefined, flags: string, width: string | undefined, precision: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    let value: unknown;
    const w = width === '*' ? toNumber(take()) : width === undefined ? undefined : Number(width);
    const p = precision === '*' ? toNumber(take()) : precision === undefined ? undefined : Number(precision);
    if (key !== undefined) {
      if (!mapping) throw new TemplateRuntimeError('format requires a mapping');
      if (!hasKey(mapping, key)) throw new TemplateRuntimeError(`KeyError: ${strRepr(key)}`);
      value = mapping[key];
      usedMapping = true;
    } else value = take();
    return pad(formatOne(conv, flags, p, value), flags, w, conv);
  });
  if (!usedMapping && !mapping && next < positional.length) throw new TemplateRuntimeError('not all arguments converted during string formatting');
  return out;
}

function formatOne(conv: string, flags: string, precision: number | undefined, value: unknown): string {
  failIfUndefined(value);
  switch (conv) {
    case 's':
      return precision === undefined ? str(value) : str(value).slice(0, precision);
    case 'r':
    case 'a':
      return repr(value);
    case 'c':
      return typeof value === 'string' ? value : String.fromCodePoint(toNumber(value));
  }
  if (!isNumeric(value)) throw new TemplateRuntimeError(`%${conv} format: a real number is required, not ${typeName(value)}`);
  const n = toNumber(value);
  const sign = n < 0 || Object.is(n, -0) ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
  const a = Math.abs(n);
  let body: string;
  switch (conv) {
    case 'd':
    case 'i':
    case 'u':
      body = String(Math.trunc(a));
      break;
    case 'o':
      body = (flags.includes('#') ? '0o' : '') + Math.trunc(a).toString(8);
      break;
    case 'x':
      body = (flags.includes('#') ? '0x' : '') + Math.trunc(a).toString(16);
      break;
    case 'X':
      body = (flags.includes('#') ? '0X' : '') + Math.trunc(a).toString(16).toUpperCase();
      break;
    case 'e':
    case 'E':
      body = expText(a, precision ?? 6);
      if (conv === 'E') body = body.toUpperCase();
      break;
    case 'f':
    case 'F':
      body = a.toFixed(precision ?? 6);
      break;
    default:
      body = generalText(a, precision ?? 6, flags.includes('#'));
      if (conv === 'G') body = body.toUpperCase();
  }
  return sign + body;
}

function expText(a: number, precision: number): string {
  const [m, e] = a.toExponential(precision).split('e') as [string, string];
  const exp = Number(e);
  return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

function generalText(a: number, precision: number, alt: boolean): string {
  const p = precision === 0 ? 1 : precision;
  if (a === 0) return '0';
  const exp = Math.floor(Math.log10(Number(a.toPrecision(p))));
  let text = exp < -4 || exp >= p ? expText(a, p - 1) : a.toFixed(Math.max(0, p - 1 - exp));
  if (!alt) text = text.replace(/\.?0+(?=e|$)/, (m) => (m.startsWith('.') || text.includes('.') ? '' : m));
  return text;
}

function pad(text: string, flags: string, width: number | undefined, conv: string): string {
  if (width === undefined || text.length >= width) return text;
  if (flags.includes('-')) return text.padEnd(width);
  if (flags.includes('0') && 'diouxXeEfFgG'.includes(conv)) {
    const sign = /^[-+ ]/.test(text) ? text[0]! : '';
    return sign + text.slice(sign.length).padStart(width - sign.length, '0');
  }
  return text.padStart(width);
}

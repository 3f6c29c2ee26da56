/** Jinja2's built-in filters and Ansible's, with Python's semantics. */
import { createHash } from 'node:crypto';
import { parseYaml } from '../source/yaml.js';
import { formatProblem } from '../source/problem.js';
import {
  PyFloat,
  TemplateRuntimeError,
  Undefined,
  compare,
  contains,
  defineKey,
  entries,
  equals,
  hasKey,
  isDict,
  isFloat,
  isInt,
  isNumeric,
  iterate,
  length,
  makeFloat,
  percentFormat,
  repr,
  str,
  toNumber,
  truthy,
  tuple,
  typeName,
  binary,
  type Dict,
} from './python.js';
import { pySplit, title } from './methods.js';
import { pythonRegex, regexEscape, regexReplace, type RegexFlags } from './regex.js';
import { toJson, toYaml } from './serialize.js';
import { ipaddrFilters } from './ipaddr.js';

/** What a filter may ask of the template engine. */
export interface CallContext {
  filter(name: string, value: unknown, args: unknown[], kwargs?: Dict): unknown;
  test(name: string, value: unknown, args: unknown[]): boolean;
  /** `attribute='a.b'` as Jinja's filters read it (dots go deeper, digits index lists) */
  attribute(obj: unknown, path: string): unknown;
}

export interface FilterDef {
  fn: (ctx: CallContext, value: unknown, args: unknown[], kwargs: Dict) => unknown;
  /** receives an undefined input instead of failing on it (default, mandatory) */
  undefinedOk?: boolean;
}

/** positional argument `i`, or keyword `name`, or the default */
function opt(args: unknown[], kwargs: Dict, i: number, name: string, dflt: unknown): unknown {
  if (i >= 0 && i < args.length) return args[i];
  if (Object.prototype.hasOwnProperty.call(kwargs, name)) return kwargs[name];
  return dflt;
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : str(v);
}

function list(v: unknown): unknown[] {
  return iterate(v);
}

function dict(v: unknown, what: string): Dict {
  if (!isDict(v)) throw new TemplateRuntimeError(`${what} expects a dictionary, got ${typeName(v)} ${repr(v)}`);
  return v;
}

/** Jinja's sort/unique/min/max key: case-insensitive for strings unless asked otherwise */
function keyFor(ctx: CallContext, caseSensitive: boolean, attribute: unknown): (x: unknown) => unknown {
  return (x) => {
    let v = attribute === null || attribute === undefined ? x : ctx.attribute(x, text(attribute));
    if (v instanceof Undefined) throw new TemplateRuntimeError(v.message);
    if (!caseSensitive && typeof v === 'string') v = v.toLowerCase();
    return v;
  };
}

function uniqueBy(items: unknown[], key: (x: unknown) => unknown): unknown[] {
  const seen: unknown[] = [];
  const out: unknown[] = [];
  for (const item of items) {
    const k = key(item);
    if (!seen.some((s) => equals(s, k))) {
      seen.push(k);
      out.push(item);
    }
  }
  return out;
}

function aggregate(ctx: CallContext, value: unknown, args: unknown[], kwargs: Dict, sign: 1 | -1): unknown {
  const items = list(value);
  if (items.length === 0) return new Undefined('min/max', 'No aggregated item, sequence was empty.', 0, 0);
  const key = keyFor(ctx, Boolean(opt(args, kwargs, 0, 'case_sensitive', false)), opt(args, kwargs, 1, 'attribute', null));
  return items.reduce((best, x) => (compare(key(x), key(best), sign > 0 ? '>' : '<') * sign > 0 ? x : best));
}

function filterByTest(ctx: CallContext, value: unknown, args: unknown[], keep: boolean, attribute?: string): unknown[] {
  const [testName, ...testArgs] = args;
  return list(value).filter((item) => {
    const subject = attribute === undefined ? item : ctx.attribute(item, attribute);
    const passed = testName === undefined ? truthy(subject) : ctx.test(text(testName), subject, testArgs);
    return passed === keep;
  });
}

function pyInt(value: unknown, dflt: unknown, base: number): unknown {
  if (typeof value === 'boolean') return Number(value);
  if (isNumeric(value)) return Math.trunc(toNumber(value));
  if (typeof value === 'string') {
    const s = value.trim().replace(/_/g, '');
    const prefixed = /^([-+]?)0([xob])([0-9a-f]+)$/i.exec(s);
    if (base === 16 || base === 8 || base === 2 || base === 0) {
      const digits = prefixed ? prefixed[1]! + prefixed[3]! : s;
      const b = prefixed ? { x: 16, o: 8, b: 2 }[prefixed[2]!.toLowerCase() as 'x' | 'o' | 'b'] : base || 10;
      const n = Number.parseInt(digits, b);
      if (!Number.isNaN(n) && new RegExp(`^[-+]?[${'0123456789abcdef'.slice(0, b)}]+$`, 'i').test(digits)) return n;
      return dflt;
    }
    if (/^[-+]?\d+$/.test(s)) return Number.parseInt(s, 10);
    const f = pyFloatValue(s);
    if (f !== undefined && Number.isFinite(f)) return Math.trunc(f);
  }
  return dflt;
}

function pyFloatValue(s: string): number | undefined {
  const t = s.trim().replace(/_/g, '');
  if (/^[-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?)$/i.test(t)) return Number.parseFloat(t);
  if (/^[-+]?(?:inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[-+]?nan$/i.test(t)) return NaN;
  return undefined;
}

function pyRound(n: number, precision: number, method: string): number {
  const f = 10 ** precision;
  if (method === 'ceil') return Math.ceil(n * f) / f;
  if (method === 'floor') return Math.floor(n * f) / f;
  if (method !== 'common') throw new TemplateRuntimeError("round method must be 'common', 'ceil' or 'floor'");
  if (precision === 0) {
    // Python rounds half to even
    const r = Math.round(n);
    return Math.abs(n % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  }
  return Number(n.toFixed(precision));
}

function flatten(items: unknown[], levels: number | null, skipNulls: boolean): unknown[] {
  const out: unknown[] = [];
  for (const x of items) {
    if (skipNulls && (x === null || x === 'None' || x === 'null')) continue;
    if (Array.isArray(x) && (levels === null || levels >= 1)) out.push(...flatten(x, levels === null ? null : levels - 1, skipNulls));
    else out.push(x);
  }
  return out;
}

function mergeHash(a: Dict, b: Dict, recursive: boolean, listMerge: string): Dict {
  const out: Dict = {};
  for (const [k, v] of entries(a)) defineKey(out, k, v);
  for (const [k, v] of entries(b)) {
    const old = out[k];
    if (!hasKey(out, k)) defineKey(out, k, v);
    else if (recursive && isDict(old) && isDict(v)) defineKey(out, k, mergeHash(old, v, recursive, listMerge));
    else if (Array.isArray(old) && Array.isArray(v)) defineKey(out, k, mergeLists(old, v, listMerge));
    else defineKey(out, k, v);
  }
  return out;
}

function mergeLists(old: unknown[], next: unknown[], mode: string): unknown[] {
  switch (mode) {
    case 'replace':
      return next;
    case 'keep':
      return old;
    case 'append':
      return [...old, ...next];
    case 'prepend':
      return [...next, ...old];
    case 'append_rp':
      return [...old.filter((x) => !next.some((y) => equals(x, y))), ...next];
    case 'prepend_rp':
      return [...next, ...old.filter((x) => !next.some((y) => equals(x, y)))];
    default:
      throw new TemplateRuntimeError(`combine: list_merge must be one of replace, keep, append, prepend, append_rp, prepend_rp; got ${repr(mode)}`);
  }
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

function dirname(p: string): string {
  const head = p.slice(0, p.lastIndexOf('/') + 1);
  return head && !/^\/+$/.test(head) ? head.replace(/\/+$/, '') : head;
}

function regexFlags(args: unknown[], kwargs: Dict, from: number): RegexFlags {
  return { ignorecase: truthy(opt(args, kwargs, from, 'ignorecase', false)), multiline: truthy(opt(args, kwargs, from + 1, 'multiline', false)) };
}

function b64(value: string, encoding: string, decode: boolean): string {
  const enc = encoding.toLowerCase().replace('-', '') === 'utf16' ? 'utf16le' : 'utf8';
  return decode ? Buffer.from(value, 'base64').toString(enc) : Buffer.from(value, enc).toString('base64');
}

function jsonOptions(kwargs: Dict, nice: boolean): Parameters<typeof toJson>[1] {
  const indent = opt([], kwargs, -1, 'indent', nice ? 4 : null);
  const separators = kwargs.separators;
  return {
    indent: indent === null ? undefined : toNumber(indent),
    sortKeys: truthy(opt([], kwargs, -1, 'sort_keys', nice)),
    ensureAscii: truthy(opt([], kwargs, -1, 'ensure_ascii', true)),
    separators: Array.isArray(separators) ? [text(separators[0]), text(separators[1])] : nice ? [',', ': '] : undefined,
  };
}

function fromYaml(value: unknown, all: boolean): unknown {
  if (typeof value !== 'string') return value;
  if (all) {
    return value.split(/^---(?:[ \t].*)?$/m).filter((doc, i) => i > 0 || doc.trim() !== '').map((doc) => fromYaml(doc, false));
  }
  const loaded = parseYaml(value, '<from_yaml>');
  const errors = loaded.problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) throw new TemplateRuntimeError(`from_yaml: ${errors.map(formatProblem).join('; ')}`);
  return loaded.value ?? null;
}

function versionParts(v: string): (number | string)[] {
  return (v.match(/\d+|[a-z]+/gi) ?? []).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/** Ansible's `version` test with LooseVersion (the default) or semver ordering */
export function versionCompare(value: unknown, version: unknown, operator: unknown, versionType: unknown): boolean {
  const ops: Record<string, (c: number) => boolean> = {
    '==': (c) => c === 0, '=': (c) => c === 0, eq: (c) => c === 0,
    '!=': (c) => c !== 0, '<>': (c) => c !== 0, ne: (c) => c !== 0,
    '<': (c) => c < 0, lt: (c) => c < 0, '<=': (c) => c <= 0, le: (c) => c <= 0,
    '>': (c) => c > 0, gt: (c) => c > 0, '>=': (c) => c >= 0, ge: (c) => c >= 0,
  };
  const op = ops[text(operator)];
  if (!op) throw new TemplateRuntimeError(`invalid version operator ${repr(operator)}; expected one of ${Object.keys(ops).join(', ')}`);
  if (value === null || value === '') throw new TemplateRuntimeError('version test: the value to compare is empty');
  const type = versionType === null || versionType === undefined ? 'loose' : text(versionType);
  const a = text(value);
  const b = text(version);
  let c: number;
  if (type === 'loose' || type === 'strict') c = compare(versionParts(a), versionParts(b), '<');
  else if (type === 'semver' || type === 'semantic') c = semverCompare(a, b);
  else throw new TemplateRuntimeError(`version_type must be loose, strict or semver, got ${repr(versionType)}`);
  return op(c);
}

function semverCompare(a: string, b: string): number {
  const parse = (v: string): [number[], string[]] => {
    const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(v.trim());
    if (!m) throw new TemplateRuntimeError(`invalid semantic version '${v}'`);
    return [[Number(m[1]), Number(m[2]), Number(m[3])], m[4] ? m[4].split('.') : []];
  };
  const [na, pa] = parse(a);
  const [nb, pb] = parse(b);
  for (let i = 0; i < 3; i++) if (na[i] !== nb[i]) return na[i]! < nb[i]! ? -1 : 1;
  if (pa.length === 0 || pb.length === 0) return pb.length - pa.length === 0 ? 0 : pa.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = /^\d+$/.test(pa[i]!) ? Number(pa[i]) : pa[i]!;
    const y = /^\d+$/.test(pb[i]!) ? Number(pb[i]) : pb[i]!;
    if (x === y) continue;
    if (typeof x !== typeof y) return typeof x === 'number' ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return Math.sign(pa.length - pb.length);
}

function htmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;');
}

function indent(value: string, width: unknown, first: boolean, blank: boolean): string {
  const pad = typeof width === 'string' ? width : ' '.repeat(toNumber(width));
  const newline = '\n';
  let s = value;
  if (s.endsWith(newline)) s = s.slice(0, -1);
  const lines = s.split(newline);
  const out = lines.map((line, i) => {
    if (i === 0) return first ? pad + line : line;
    return blank || line.trim() !== '' ? pad + line : line;
  });
  return out.join(newline) + (value.endsWith(newline) ? newline : '');
}

const f: Record<string, FilterDef> = {};
function def(names: string | string[], fn: FilterDef['fn'], undefinedOk = false): void {
  for (const name of Array.isArray(names) ? names : [names]) f[name] = undefinedOk ? { fn, undefinedOk } : { fn };
}

// ---- defaults and types ----
def(['default', 'd'], (_c, v, a, k) => {
  const boolean = truthy(opt(a, k, 1, 'boolean', false));
  return v instanceof Undefined || (boolean && !truthy(v)) ? opt(a, k, 0, 'default_value', '') : v;
}, true);
def('mandatory', (_c, v, a, k) => {
  if (v instanceof Undefined) throw new TemplateRuntimeError(opt(a, k, 0, 'msg', null) === null ? `Mandatory variable ${repr(v.name)} not defined.` : text(opt(a, k, 0, 'msg', '')));
  return v;
}, true);
def('bool', (_c, v) => {
  if (v === null || typeof v === 'boolean') return v;
  const s = typeof v === 'string' ? v.toLowerCase() : v;
  return s === 'yes' || s === 'on' || s === '1' || s === 'true' || (isNumeric(s) && toNumber(s) === 1);
});
def('int', (_c, v, a, k) => pyInt(v, opt(a, k, 0, 'default', 0), toNumber(opt(a, k, 1, 'base', 10))));
def('float', (_c, v, a, k) => {
  if (isNumeric(v)) return makeFloat(toNumber(v));
  const n = typeof v === 'string' ? pyFloatValue(v) : undefined;
  return n === undefined ? opt(a, k, 0, 'default', new PyFloat(0)) : makeFloat(n);
});
def('string', (_c, v) => text(v));
def('list', (_c, v) => [...list(v)]);
def('dict', (_c, v) => {
  const out: Dict = {};
  for (const pair of list(v)) {
    const [k, x] = list(pair);
    defineKey(out, text(k), x);
  }
  return out;
});
def('ternary', (_c, v, a, k) => {
  const noneVal = opt(a, k, 2, 'none_val', null);
  if (v === null && noneVal !== null) return noneVal;
  return truthy(v) ? opt(a, k, 0, 'true_val', null) : opt(a, k, 1, 'false_val', null);
});
def('type_debug', (_c, v) => typeName(v));

// ---- strings ----
def('lower', (_c, v) => text(v).toLowerCase());
def('upper', (_c, v) => text(v).toUpperCase());
def('capitalize', (_c, v) => {
  const s = text(v);
  return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
});
def('title', (_c, v) => title(text(v)));
def('trim', (_c, v, a, k) => {
  const chars = opt(a, k, 0, 'chars', null);
  const s = text(v);
  if (chars === null) return s.replace(/^\s+|\s+$/g, '');
  const set = text(chars);
  let i = 0;
  let j = s.length;
  while (i < j && set.includes(s[i]!)) i++;
  while (j > i && set.includes(s[j - 1]!)) j--;
  return s.slice(i, j);
});
def('replace', (_c, v, a, k) => {
  const s = text(v);
  const old = text(a[0]);
  const rep = text(a[1]);
  const count = toNumber(opt(a, k, 2, 'count', -1));
  const parts = s.split(old);
  if (count < 0 || parts.length <= count + 1) return parts.join(rep);
  return parts.slice(0, count + 1).join(rep) + old + parts.slice(count + 1).join(old);
});
def('center', (_c, v, a, k) => {
  const s = text(v);
  const width = toNumber(opt(a, k, 0, 'width', 80));
  const total = Math.max(0, width - s.length);
  const left = Math.floor(total / 2) + (total & width & 1);
  return ' '.repeat(left) + s + ' '.repeat(total - left);
});
def('indent', (_c, v, a, k) => indent(text(v), opt(a, k, 0, 'width', 4), truthy(opt(a, k, 1, 'first', false)), truthy(opt(a, k, 2, 'blank', false))));
def('wordcount', (_c, v) => (text(v).match(/\w+/gu) ?? []).length);
def('format', (_c, v, a, k) => percentFormat(text(v), Object.keys(k).length > 0 ? k : tuple(a)));
def('split', (_c, v, a, k) => pySplit(text(v), opt(a, k, 0, 'sep', null), toNumber(opt(a, k, 1, 'maxsplit', -1))));
def(['safe', 'string_safe'], (_c, v) => v);
def(['escape', 'e', 'forceescape'], (_c, v) => htmlEscape(text(v)));
// Python's shlex.quote, byte for byte (lib/connection/quote.ts writes an embedded quote as '\'' instead)
def('quote', (_c, v) => {
  const s = v === null ? '' : text(v);
  if (s === '') return "''";
  return /[^\w@%+=:,./-]/.test(s) ? `'${s.replace(/'/g, `'"'"'`)}'` : s;
});
def('regex_replace', (_c, v, a, k) => regexReplace(text(v), text(opt(a, k, 0, 'pattern', '')), text(opt(a, k, 1, 'replacement', '')), regexFlags(a, k, 2), toNumber(opt(a, k, 4, 'count', 0))));
def('regex_search', (_c, v, a, k) => {
  // as Ansible: arguments that are not `\\N` or `\\g<name>` are ignored
  const groups = a.slice(1).map(text).filter((g) => /^\\(?:g<.+>|\d+)/.test(g));
  const re = pythonRegex(text(a[0]), { ignorecase: truthy(k.ignorecase ?? false), multiline: truthy(k.multiline ?? false) });
  const m = re.exec(text(v));
  if (!m) return null;
  if (groups.length === 0) return m[0];
  return groups.map((g) => {
    const ref = /^\\(?:g<(.+)>|(\d+))/.exec(g)!;
    return ref[2] !== undefined ? (m[Number(ref[2])] ?? null) : (m.groups?.[ref[1]!] ?? null);
  });
});
def('regex_findall', (_c, v, a, k) => {
  const re = pythonRegex(text(a[0]), { multiline: truthy(opt(a, k, 1, 'multiline', false)), ignorecase: truthy(opt(a, k, 2, 'ignorecase', false)) });
  return [...text(v).matchAll(re)].map((m) => (m.length === 1 ? m[0] : m.length === 2 ? (m[1] ?? '') : tuple(m.slice(1).map((g) => g ?? ''))));
});
def('regex_escape', (_c, v) => regexEscape(text(v)));
def('b64encode', (_c, v, a, k) => b64(text(v), text(opt(a, k, 0, 'encoding', 'utf-8')), false));
def('b64decode', (_c, v, a, k) => b64(text(v), text(opt(a, k, 0, 'encoding', 'utf-8')), true));
def('basename', (_c, v) => basename(text(v)));
def('dirname', (_c, v) => dirname(text(v)));
def('splitext', (_c, v) => {
  const s = text(v);
  const base = basename(s);
  const dot = base.lastIndexOf('.');
  if (dot <= 0 || /^\.+$/.test(base.slice(0, dot + 1))) return tuple([s, '']);
  const cut = s.length - base.length + dot;
  return tuple([s.slice(0, cut), s.slice(cut)]);
});
def('path_join', (_c, v) => {
  const parts = typeof v === 'string' ? [v] : list(v).map(text);
  return parts.reduce((acc, p) => (p.startsWith('/') || acc === '' ? p : acc.endsWith('/') ? acc + p : `${acc}/${p}`), '');
});
def('hash', (_c, v, a, k) => {
  const algorithm = text(opt(a, k, 0, 'hashtype', 'sha1'));
  try {
    return createHash(algorithm).update(text(v)).digest('hex');
  } catch {
    throw new TemplateRuntimeError(`hash: unknown hash type ${repr(algorithm)}`);
  }
});
def(['checksum', 'sha1'], (_c, v) => createHash('sha1').update(text(v)).digest('hex'));
def('md5', (_c, v) => createHash('md5').update(text(v)).digest('hex'));

// ---- serialization ----
def('to_json', (_c, v, _a, k) => toJson(v, jsonOptions(k, false)));
def('to_nice_json', (_c, v, a, k) => toJson(v, jsonOptions({ indent: opt(a, k, 0, 'indent', 4), sort_keys: opt(a, k, 1, 'sort_keys', true), ...k }, true)));
def('tojson', (_c, v, a, k) => {
  const indentArg = opt(a, k, 0, 'indent', null);
  return toJson(v, { indent: indentArg === null ? undefined : toNumber(indentArg), sortKeys: true }).replace(/[<>&']/g, (c) => '\\u00' + c.charCodeAt(0).toString(16).padStart(2, '0'));
});
def('from_json', (_c, v) => {
  try {
    return JSON.parse(text(v)) as unknown;
  } catch (err) {
    throw new TemplateRuntimeError(`from_json: ${(err as Error).message}`);
  }
});
def('to_yaml', (_c, v, _a, k) => toYaml(v, { indent: toNumber(k.indent ?? 2), flow: k.default_flow_style === undefined ? null : (k.default_flow_style as boolean | null) }));
def('to_nice_yaml', (_c, v, a, k) => toYaml(v, { indent: toNumber(opt(a, k, 0, 'indent', 4)), flow: false }));
def('from_yaml', (_c, v) => fromYaml(v, false));
def('from_yaml_all', (_c, v) => fromYaml(v, true));

// ---- numbers ----
def('abs', (_c, v) => (isFloat(v) ? makeFloat(Math.abs(toNumber(v))) : Math.abs(toNumber(v))));
def('round', (_c, v, a, k) => makeFloat(pyRound(toNumber(v), toNumber(opt(a, k, 0, 'precision', 0)), text(opt(a, k, 1, 'method', 'common')))));
def('sum', (c, v, a, k) => {
  const attribute = opt(a, k, 0, 'attribute', null);
  let total = opt(a, k, 1, 'start', 0);
  for (const x of list(v)) total = binary('+', total, attribute === null ? x : c.attribute(x, text(attribute)));
  return total;
});
def('min', (c, v, a, k) => aggregate(c, v, a, k, -1));
def('max', (c, v, a, k) => aggregate(c, v, a, k, 1));

// ---- sequences ----
def(['length', 'count'], (_c, v) => length(v));
def('first', (_c, v) => {
  const items = list(v);
  return items.length > 0 ? items[0] : new Undefined('first', 'No first item, sequence was empty.', 0, 0);
});
def('last', (_c, v) => {
  const items = list(v);
  return items.length > 0 ? items[items.length - 1] : new Undefined('last', 'No last item, sequence was empty.', 0, 0);
});
def('join', (c, v, a, k) => {
  const attribute = opt(a, k, 1, 'attribute', null);
  return list(v).map((x) => text(attribute === null ? x : c.attribute(x, text(attribute)))).join(text(opt(a, k, 0, 'd', '')));
});
def('reverse', (_c, v) => (typeof v === 'string' ? [...v].reverse().join('') : [...list(v)].reverse()));
def('sort', (c, v, a, k) => {
  const key = keyFor(c, truthy(opt(a, k, 1, 'case_sensitive', false)), opt(a, k, 2, 'attribute', null));
  const reverse = truthy(opt(a, k, 0, 'reverse', false));
  const sorted = [...list(v)].sort((x, y) => compare(key(x), key(y), '<'));
  return reverse ? sorted.reverse() : sorted;
});
def('unique', (c, v, a, k) => uniqueBy(list(v), keyFor(c, truthy(opt(a, k, 0, 'case_sensitive', false)), opt(a, k, 1, 'attribute', null))));
def('map', (c, v, a, k) => {
  const items = list(v);
  if (a.length === 0 && Object.prototype.hasOwnProperty.call(k, 'attribute')) {
    const attribute = text(k.attribute);
    return items.map((x) => {
      const got = c.attribute(x, attribute);
      return got instanceof Undefined && Object.prototype.hasOwnProperty.call(k, 'default') ? k.default : got;
    });
  }
  if (a.length === 0) throw new TemplateRuntimeError("map needs a filter name or attribute='...'");
  const [name, ...rest] = a;
  return items.map((x) => c.filter(text(name), x, rest, k));
});
def('select', (c, v, a) => filterByTest(c, v, a, true));
def('reject', (c, v, a) => filterByTest(c, v, a, false));
def('selectattr', (c, v, a) => filterByTest(c, v, a.slice(1), true, text(a[0])));
def('rejectattr', (c, v, a) => filterByTest(c, v, a.slice(1), false, text(a[0])));
def('attr', (c, v, a) => c.attribute(v, text(a[0])));
def('groupby', (c, v, a, k) => {
  const attribute = text(opt(a, k, 0, 'attribute', ''));
  const key = keyFor(c, truthy(opt(a, k, 2, 'case_sensitive', false)), attribute);
  const sorted = [...list(v)].sort((x, y) => compare(key(x), key(y), '<'));
  const groups: unknown[][] = [];
  for (const item of sorted) {
    const last = groups[groups.length - 1];
    if (last && equals(key(last[1]), key(item))) (last[2] as unknown[]).push(item);
    else groups.push([c.attribute(item, attribute), item, [item]]);
  }
  return groups.map(([grouper, , items]) => tuple([grouper, items]));
});
def('batch', (_c, v, a, k) => {
  const size = toNumber(a[0]);
  const fill = opt(a, k, 1, 'fill_with', null);
  const items = list(v);
  const out: unknown[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  const last = out[out.length - 1];
  if (last && fill !== null) while (last.length < size) last.push(fill);
  return out;
});
def('flatten', (_c, v, a, k) => {
  const levels = opt(a, k, 0, 'levels', null);
  return flatten(list(v), levels === null ? null : toNumber(levels), truthy(opt(a, k, 1, 'skip_nulls', true)));
});
def('zip', (_c, v, a) => {
  const lists = [v, ...a].map(list);
  const n = Math.min(...lists.map((l) => l.length));
  return Array.from({ length: n }, (_, i) => tuple(lists.map((l) => l[i])));
});
def('zip_longest', (_c, v, a, k) => {
  const lists = [v, ...a].map(list);
  const n = Math.max(...lists.map((l) => l.length));
  const fill = k.fillvalue ?? null;
  return Array.from({ length: n }, (_, i) => tuple(lists.map((l) => (i < l.length ? l[i] : fill))));
});
const caseSensitiveUnique = (items: unknown[]): unknown[] => uniqueBy(items, (x) => x);
def('union', (_c, v, a) => caseSensitiveUnique([...list(v), ...list(a[0])]));
def('intersect', (_c, v, a) => caseSensitiveUnique(list(v).filter((x) => contains(list(a[0]), x))));
def('difference', (_c, v, a) => caseSensitiveUnique(list(v).filter((x) => !contains(list(a[0]), x))));
def('symmetric_difference', (_c, v, a) => {
  const other = list(a[0]);
  const both = list(v).filter((x) => contains(other, x));
  return caseSensitiveUnique([...list(v), ...other]).filter((x) => !contains(both, x));
});
def('product', (_c, v, a) => {
  let out: unknown[][] = [[]];
  for (const l of [v, ...a].map(list)) out = out.flatMap((prefix) => l.map((x) => [...prefix, x]));
  return out.map(tuple);
});
def('extract', (c, v, a) => {
  let got = c.attribute(a[0], text(v));
  if (isInt(v) && Array.isArray(a[0])) got = (a[0] as unknown[])[v as number];
  for (const key of a[1] === undefined ? [] : Array.isArray(a[1]) ? a[1] : [a[1]]) got = c.attribute(got, text(key));
  return got;
});

// ---- dictionaries ----
def('combine', (_c, v, a, k) => {
  const recursive = truthy(k.recursive ?? false);
  const listMerge = text(k.list_merge ?? 'replace');
  const dicts = flatten([v, ...a], 1, false);
  let out: Dict = {};
  for (const d of dicts) out = mergeHash(out, dict(d, 'combine'), recursive, listMerge);
  return out;
});
def('dict2items', (_c, v, a, k) => {
  const keyName = text(opt(a, k, 0, 'key_name', 'key'));
  const valueName = text(opt(a, k, 1, 'value_name', 'value'));
  return entries(dict(v, 'dict2items')).map(([key, value]) => {
    const item: Dict = {};
    defineKey(item, keyName, key);
    defineKey(item, valueName, value);
    return item;
  });
});
// Ansible's comment filter (plugins/filter/core.py), for template headers: `{{ ansible_managed | comment }}`
const commentStyles: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  plain: { decoration: '# ' },
  erlang: { decoration: '% ' },
  c: { decoration: '// ' },
  cblock: { beginning: '/*', decoration: ' * ', end: ' */' },
  xml: { beginning: '<!--', decoration: ' - ', end: '-->' },
};
def('comment', (_c, v, a, k) => {
  const styleName = text(opt(a, k, 0, 'style', 'plain'));
  const style = commentStyles[styleName];
  if (!style) throw new TemplateRuntimeError(`comment: unknown style '${styleName}' (expected one of ${Object.keys(commentStyles).join(', ')})`);
  const prepostfix = k.decoration !== undefined ? text(k.decoration) : style.decoration!;
  const p: Record<string, unknown> = { newline: '\n', beginning: '', prefix: prepostfix.trimEnd(), prefix_count: 1, decoration: '', postfix: prepostfix.trimEnd(), postfix_count: 1, end: '', ...style, ...k };
  const nl = text(p.newline);
  const decoration = text(p.decoration);
  const beginning = p.beginning ? `${text(p.beginning)}${nl}` : '';
  const prefix = p.prefix ? (p.prefix !== nl ? `${text(p.prefix)}${nl}` : nl).repeat(Number(p.prefix_count)) : '';
  const body = `${decoration}${text(v).split(nl).join(`${nl}${decoration}`)}`.split(`${decoration}${nl}`).join(`${decoration.trimEnd()}${nl}`);
  const postfix = ['', ...Array.from({ length: Number(p.postfix_count) }, () => text(p.postfix))].join(nl);
  const end = p.end ? `${nl}${text(p.end)}` : '';
  return `${beginning}${prefix}${body}${postfix}${end}`;
});
def('items2dict', (_c, v, a, k) => {
  const keyName = text(opt(a, k, 0, 'key_name', 'key'));
  const valueName = text(opt(a, k, 1, 'value_name', 'value'));
  const out: Dict = {};
  for (const item of list(v)) {
    const d = dict(item, 'items2dict');
    if (!hasKey(d, keyName) || !hasKey(d, valueName)) throw new TemplateRuntimeError(`items2dict: each item needs the keys '${keyName}' and '${valueName}'; got ${repr(d)}`);
    defineKey(out, text(d[keyName]), d[valueName]);
  }
  return out;
});
def('items', (_c, v) => (v === null ? [] : entries(dict(v, 'items')).map(([key, x]) => tuple([key, x]))));
def('dictsort', (_c, v, a, k) => {
  const caseSensitive = truthy(opt(a, k, 0, 'case_sensitive', false));
  const byValue = text(opt(a, k, 1, 'by', 'key')) === 'value';
  const reverse = truthy(opt(a, k, 2, 'reverse', false));
  const key = (pair: unknown[]): unknown => {
    const x = pair[byValue ? 1 : 0];
    return !caseSensitive && typeof x === 'string' ? x.toLowerCase() : x;
  };
  const sorted = entries(dict(v, 'dictsort')).sort((x, y) => compare(key(x), key(y), '<'));
  return (reverse ? sorted.reverse() : sorted).map((p) => tuple(p));
});

// ---- ansible.utils' ipaddr family (lib/template/ipaddr.ts) ----
Object.assign(f, ipaddrFilters);

export const filters: Readonly<Record<string, FilterDef>> = f;


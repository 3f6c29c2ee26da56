/** Python methods of str, dict and list values, as templates call them (`x.split(',')`, `d.items()`). */
import {
  PyFunction,
  TemplateRuntimeError,
  defineKey,
  entries,
  equals,
  failIfUndefined,
  floatRepr,
  hasKey,
  isDict,
  isFloat,
  isInt,
  isNumeric,
  iterate,
  repr,
  str,
  toNumber,
  tuple,
  typeName,
  type Dict,
} from './python.js';

type Method = (self: never, args: unknown[], kwargs: Dict) => unknown;

function arg(args: unknown[], kwargs: Dict, i: number, name: string, dflt?: unknown): unknown {
  if (i < args.length) return args[i];
  if (Object.prototype.hasOwnProperty.call(kwargs, name)) return kwargs[name];
  return dflt;
}

function needString(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new TemplateRuntimeError(`${what} must be a string, not ${typeName(v)}`);
  return v;
}

const whitespace = ' \t\n\r\x0b\x0c';

function stripChars(s: string, chars: unknown, left: boolean, right: boolean): string {
  const set = chars === undefined || chars === null ? whitespace : needString(chars, 'strip characters');
  let a = 0;
  let b = s.length;
  if (left) while (a < b && set.includes(s[a]!)) a++;
  if (right) while (b > a && set.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

export function pySplit(s: string, sep: unknown, maxsplit: number): string[] {
  if (sep === undefined || sep === null) {
    const out: string[] = [];
    let rest = s.replace(/^\s+/, '');
    while (rest !== '') {
      if (maxsplit >= 0 && out.length === maxsplit) {
        out.push(rest);
        break;
      }
      const m = /\s+/.exec(rest);
      if (!m) {
        out.push(rest);
        break;
      }
      out.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    return out;
  }
  const separator = needString(sep, 'separator');
  if (separator === '') throw new TemplateRuntimeError('empty separator');
  const parts = s.split(separator);
  if (maxsplit < 0 || parts.length <= maxsplit + 1) return parts;
  return [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(separator)];
}

function pyRsplit(s: string, sep: unknown, maxsplit: number): string[] {
  if (maxsplit < 0) return pySplit(s, sep, -1);
  const reversed = pySplit([...s].reverse().join(''), sep === undefined || sep === null ? sep : [...needString(sep, 'separator')].reverse().join(''), maxsplit);
  return reversed.map((p) => [...p].reverse().join('')).reverse();
}

function prefixes(v: unknown): string[] {
  return Array.isArray(v) ? v.map((x) => needString(x, 'prefix')) : [needString(v, 'prefix')];
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
}

export function title(s: string): string {
  return s.replace(/[A-Za-z\u00C0-\uFFFF]+/g, (w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase());
}

const stringMethods: Record<string, (s: string, args: unknown[], kwargs: Dict) => unknown> = {
  split: (s, a, k) => pySplit(s, arg(a, k, 0, 'sep', null), toNumber(arg(a, k, 1, 'maxsplit', -1))),
  rsplit: (s, a, k) => pyRsplit(s, arg(a, k, 0, 'sep', null), toNumber(arg(a, k, 1, 'maxsplit', -1))),
  splitlines: (s, a, k) => {
    const keep = Boolean(arg(a, k, 0, 'keepends', false));
    const lines = s.match(/[^\n\r]*(?:\r\n|\n|\r|$)/g)!.filter((l) => l !== '');
    return keep ? lines : lines.map((l) => l.replace(/\r?\n$|\r$/, ''));
  },
  strip: (s, a) => stripChars(s, a[0], true, true),
  lstrip: (s, a) => stripChars(s, a[0], true, false),
  rstrip: (s, a) => stripChars(s, a[0], false, true),
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  casefold: (s) => s.toLowerCase(),
  swapcase: (s) => [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(''),
  capitalize: (s) => capitalize(s),
  title: (s) => title(s),
  startswith: (s, a) => prefixes(a[0]).some((p) => s.startsWith(p, a[1] === undefined ? 0 : toNumber(a[1]))),
  endswith: (s, a) => prefixes(a[0]).some((p) => s.endsWith(p)),
  replace: (s, a) => {
    const old = needString(a[0], 'old');
    const rep = needString(a[1], 'new');
    const count = a[2] === undefined ? -1 : toNumber(a[2]);
    if (count < 0) return s.split(old).join(rep);
    const parts = s.split(old);
    return parts.slice(0, count + 1).join(rep) + (parts.length > count + 1 ? old + parts.slice(count + 1).join(old) : '');
  },
  find: (s, a) => s.indexOf(needString(a[0], 'substring')),
  rfind: (s, a) => s.lastIndexOf(needString(a[0], 'substring')),
  index: (s, a) => {
    const i = s.indexOf(needString(a[0], 'substring'));
    if (i < 0) throw new TemplateRuntimeError('substring not found');
    return i;
  },
  count: (s, a) => {
    const sub = needString(a[0], 'substring');
    return sub === '' ? s.length + 1 : s.split(sub).length - 1;
  },
  join: (s, a) => iterate(a[0]).map((x) => needString(x, 'sequence item')).join(s),
  format: (s, a, k) => pyFormat(s, a, k),
  isdigit: (s) => /^\d+$/.test(s),
  isnumeric: (s) => /^\d+$/.test(s),
  isdecimal: (s) => /^\d+$/.test(s),
  isalpha: (s) => /^\p{L}+$/u.test(s),
  isalnum: (s) => /^[\p{L}\d]+$/u.test(s),
  isspace: (s) => /^\s+$/.test(s),
  islower: (s) => /\p{Ll}/u.test(s) && s === s.toLowerCase(),
  isupper: (s) => /\p{Lu}/u.test(s) && s === s.toUpperCase(),
  zfill: (s, a) => {
    const width = toNumber(a[0]);
    const sign = /^[-+]/.test(s) ? s[0]! : '';
    return sign + s.slice(sign.length).padStart(width - sign.length, '0');
  },
  center: (s, a) => {
    const width = toNumber(a[0]);
    const fill = a[1] === undefined ? ' ' : needString(a[1], 'fill character');
    const total = Math.max(0, width - s.length);
    // CPython puts the extra padding character on the left when the total and width are both odd
    const left = Math.floor(total / 2) + (total & width & 1);
    return fill.repeat(left) + s + fill.repeat(total - left);
  },
  ljust: (s, a) => s.padEnd(toNumber(a[0]), a[1] === undefined ? ' ' : needString(a[1], 'fill character')),
  rjust: (s, a) => s.padStart(toNumber(a[0]), a[1] === undefined ? ' ' : needString(a[1], 'fill character')),
  partition: (s, a) => {
    const sep = needString(a[0], 'separator');
    const i = s.indexOf(sep);
    return tuple(i < 0 ? [s, '', ''] : [s.slice(0, i), sep, s.slice(i + sep.length)]);
  },
  rpartition: (s, a) => {
    const sep = needString(a[0], 'separator');
    const i = s.lastIndexOf(sep);
    return tuple(i < 0 ? ['', '', s] : [s.slice(0, i), sep, s.slice(i + sep.length)]);
  },
  removeprefix: (s, a) => (s.startsWith(needString(a[0], 'prefix')) ? s.slice((a[0] as string).length) : s),
  removesuffix: (s, a) => {
    const suffix = needString(a[0], 'suffix');
    return suffix !== '' && s.endsWith(suffix) ? s.slice(0, -suffix.length) : s;
  },
};

const dictMethods: Record<string, (d: Dict, args: unknown[], kwargs: Dict) => unknown> = {
  items: (d) => entries(d).map(([k, v]) => tuple([k, v])),
  keys: (d) => Object.keys(d),
  values: (d) => Object.values(d),
  get: (d, a) => {
    const key = typeof a[0] === 'string' ? a[0] : str(a[0]);
    return hasKey(d, key) ? d[key] : a.length > 1 ? a[1] : null;
  },
  copy: (d) => ({ ...d }),
  update: (d, a, k) => {
    for (const source of [...a, k]) {
      if (!isDict(source)) throw new TemplateRuntimeError(`dict.update() needs a mapping, not ${typeName(source)}`);
      for (const [key, v] of entries(source)) defineKey(d, key, v);
    }
    return null;
  },
  pop: (d, a) => {
    const key = str(a[0]);
    if (!hasKey(d, key)) {
      if (a.length > 1) return a[1];
      throw new TemplateRuntimeError(`KeyError: ${repr(a[0])}`);
    }
    const v = d[key];
    delete d[key];
    return v;
  },
  setdefault: (d, a) => {
    const key = str(a[0]);
    if (!hasKey(d, key)) defineKey(d, key, a.length > 1 ? a[1] : null);
    return d[key];
  },
};

const listMethods: Record<string, (l: unknown[], args: unknown[], kwargs: Dict) => unknown> = {
  append: (l, a) => {
    l.push(a[0]);
    return null;
  },
  extend: (l, a) => {
    l.push(...iterate(a[0]));
    return null;
  },
  insert: (l, a) => {
    l.splice(toNumber(a[0]), 0, a[1]);
    return null;
  },
  pop: (l, a) => {
    if (l.length === 0) throw new TemplateRuntimeError('pop from empty list');
    const i = a[0] === undefined ? l.length - 1 : toNumber(a[0]) < 0 ? l.length + toNumber(a[0]) : toNumber(a[0]);
    if (i < 0 || i >= l.length) throw new TemplateRuntimeError('pop index out of range');
    return l.splice(i, 1)[0];
  },
  remove: (l, a) => {
    const i = l.findIndex((x) => equals(x, a[0]));
    if (i < 0) throw new TemplateRuntimeError('list.remove(x): x not in list');
    l.splice(i, 1);
    return null;
  },
  index: (l, a) => {
    const i = l.findIndex((x) => equals(x, a[0]));
    if (i < 0) throw new TemplateRuntimeError(`${repr(a[0])} is not in list`);
    return i;
  },
  count: (l, a) => l.filter((x) => equals(x, a[0])).length,
  copy: (l) => [...l],
};

/** The bound method `name` of a value, if the value's Python type has one. */
export function methodOf(obj: unknown, name: string): PyFunction | undefined {
  let table: Record<string, Method> | undefined;
  if (typeof obj === 'string') table = stringMethods as Record<string, Method>;
  else if (Array.isArray(obj)) table = listMethods as Record<string, Method>;
  else if (isDict(obj)) table = dictMethods as Record<string, Method>;
  if (!table || !Object.prototype.hasOwnProperty.call(table, name)) return undefined;
  const method = table[name]!;
  return new PyFunction(name, (args, kwargs) => {
    for (const a of args) failIfUndefined(a);
    return method(obj as never, args, kwargs);
  });
}

// ---- str.format() ----

export function pyFormat(format: string, args: unknown[], kwargs: Dict): string {
  let auto = 0;
  return format.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (m, field: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const [, ref = '', conversion, spec = ''] = /^([^!:]*)(?:!([rsa]))?(?::(.*))?$/.exec(field!) ?? [];
    const [, head = '', rest = ''] = /^([^.[]*)(.*)$/.exec(ref)!;
    let value: unknown;
    if (head === '') value = args[auto++];
    else if (/^\d+$/.test(head)) value = args[Number(head)];
    else if (Object.prototype.hasOwnProperty.call(kwargs, head)) value = kwargs[head];
    else throw new TemplateRuntimeError(`KeyError: ${repr(head)} in format string`);
    if (value === undefined) throw new TemplateRuntimeError(`Replacement index ${head || auto - 1} out of range for positional args tuple`);
    for (const [, attr, index] of rest.matchAll(/\.(\w+)|\[([^\]]+)\]/g)) {
      const key = attr ?? (/^\d+$/.test(index!) ? Number(index) : index!);
      value = Array.isArray(value) && typeof key === 'number' ? value[key] : isDict(value) ? value[String(key)] : undefined;
      if (value === undefined) throw new TemplateRuntimeError(`cannot find ${String(key)} in format field {${field}}`);
    }
    failIfUndefined(value);
    if (conversion === 'r' || conversion === 'a') value = repr(value);
    else if (conversion === 's') value = str(value);
    return formatSpec(value, spec);
  });
}

/** Python's format(value, spec) for the common parts of the mini-language. */
export function formatSpec(value: unknown, spec: string): string {
  const m = /^(?:(.)?([<>=^]))?([-+ ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/.exec(spec);
  if (!m) throw new TemplateRuntimeError(`invalid format specifier '${spec}'`);
  const [, fillChar, alignChar, signChar, , zero, widthText, grouping, precisionText, type] = m;
  const width = widthText === undefined ? 0 : Number(widthText);
  const precision = precisionText === undefined ? undefined : Number(precisionText);
  let body: string;
  let sign = '';
  const numeric = isNumeric(value) && typeof value !== 'boolean' ? true : isNumeric(value) && type !== undefined;
  if (!numeric) {
    if (type !== undefined && type !== 's') throw new TemplateRuntimeError(`Unknown format code '${type}' for object of type '${typeName(value)}'`);
    body = str(value);
    if (precision !== undefined) body = body.slice(0, precision);
  } else {
    const n = toNumber(value);
    if (n < 0 || Object.is(n, -0)) sign = '-';
    else if (signChar === '+' || signChar === ' ') sign = signChar;
    const a = Math.abs(n);
    switch (type) {
      case 'd':
      case 'n':
        if (!isInt(value) && typeof value !== 'boolean') throw new TemplateRuntimeError(`Unknown format code 'd' for object of type 'float'`);
        body = String(a);
        break;
      case 'x':
      case 'X':
      case 'o':
      case 'b':
        body = Math.trunc(a).toString(type === 'o' ? 8 : type === 'b' ? 2 : 16);
        if (type === 'X') body = body.toUpperCase();
        break;
      case 'f':
      case 'F':
        body = a.toFixed(precision ?? 6);
        break;
      case '%':
        body = (a * 100).toFixed(precision ?? 6) + '%';
        break;
      case 'e':
      case 'E': {
        const [mant, e] = a.toExponential(precision ?? 6).split('e') as [string, string];
        body = `${mant}e${Number(e) < 0 ? '-' : '+'}${String(Math.abs(Number(e))).padStart(2, '0')}`;
        if (type === 'E') body = body.toUpperCase();
        break;
      }
      case 'g':
      case 'G':
        body = String(Number(a.toPrecision(precision ?? 6)));
        break;
      default:
        body = precision !== undefined ? String(Number(a.toPrecision(precision))) : isFloat(value) ? floatRepr(a) : String(a);
    }
    if (grouping) {
      const [intPart, frac] = body.split('.') as [string, string | undefined];
      body = intPart.replace(/\B(?=(\d{3})+(?!\d))/g, grouping) + (frac === undefined ? '' : '.' + frac);
    }
  }
  const align = alignChar ?? (zero && numeric ? '=' : numeric ? '>' : '<');
  const fill = fillChar ?? (zero && !alignChar ? '0' : ' ');
  const total = sign.length + body.length;
  if (total >= width) return sign + body;
  const padding = width - total;
  switch (align) {
    case '<':
      return sign + body + fill.repeat(padding);
    case '>':
      return fill.repeat(padding) + sign + body;
    case '=':
      return sign + fill.repeat(padding) + body;
    default: {
      const left = Math.floor(padding / 2);
      return fill.repeat(left) + sign + body + fill.repeat(padding - left);
    }
  }
}

/**
 * JSON and YAML text as Python's `json.dumps` and PyYAML's `yaml.dump` write it, for `to_json`,
 * `to_nice_json`, `tojson`, `to_yaml` and `to_nice_yaml`: playbooks write these into config files, so
 * the bytes should be the ones Ansible writes.
 */
import { PyFloat, TemplateRuntimeError, entries, floatRepr, isDict, typeName, failIfUndefined } from './python.js';

export interface JsonOptions {
  indent?: number | undefined;
  sortKeys?: boolean;
  ensureAscii?: boolean;
  separators?: [string, string] | undefined;
}

function jsonString(s: string, ensureAscii: boolean): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || (ensureAscii && c > 0x7e)) {
      for (let i = 0; i < ch.length; i++) out += '\\u' + ch.charCodeAt(i).toString(16).padStart(4, '0');
    } else out += ch;
  }
  return out + '"';
}

export function toJson(value: unknown, options: JsonOptions = {}): string {
  const indent = options.indent;
  const [itemSep, keySep] = options.separators ?? (indent === undefined ? [', ', ': '] : [',', ': ']);
  const ensureAscii = options.ensureAscii ?? true;
  const write = (v: unknown, level: number): string => {
    failIfUndefined(v);
    if (v === null || v === undefined) return 'null';
    if (v === true) return 'true';
    if (v === false) return 'false';
    if (typeof v === 'string') return jsonString(v, ensureAscii);
    if (v instanceof PyFloat) return floatRepr(v.value);
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'number') {
      if (Number.isNaN(v)) return 'NaN';
      if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
      return Number.isInteger(v) ? String(v) : floatRepr(v);
    }
    const inner = indent === undefined ? '' : '\n' + ' '.repeat(indent * (level + 1));
    const outer = indent === undefined ? '' : '\n' + ' '.repeat(indent * level);
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      return '[' + inner + v.map((x) => write(x, level + 1)).join(itemSep + inner) + outer + ']';
    }
    if (isDict(v)) {
      let items = entries(v);
      if (items.length === 0) return '{}';
      if (options.sortKeys) items = items.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return '{' + inner + items.map(([k, x]) => jsonString(k, ensureAscii) + keySep + write(x, level + 1)).join(itemSep + inner) + outer + '}';
    }
    throw new TemplateRuntimeError(`Object of type ${typeName(v)} is not JSON serializable`);
  };
  return write(value, 0);
}

export interface YamlOptions {
  indent: number;
  /** null: collections of scalars only are written inline (PyYAML's default_flow_style=None) */
  flow: boolean | null;
}

// What PyYAML's resolver would read as something other than a string, so it must be quoted.
const resolvesToOther = /^(?:~|null|Null|NULL|yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0b[01_]+|[-+]?0[0-7_]+|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+|[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|=|<<|\d{4}-\d\d?-\d\d?(?:(?:[Tt]|[ \t]+)\d\d?:\d\d:\d\d(?:\.\d*)?(?:[ \t]*(?:Z|[-+]\d\d?(?::\d\d)?))?)?)$/;

function plainAllowed(s: string, flowContext: boolean): boolean {
  if (s === '' || resolvesToOther.test(s)) return false;
  if (/^[\s]|[\s]$/.test(s)) return false;
  if (/[\x00-\x08\x0b-\x1f\x7f-\x84\x86-\x9f\n\r\t\u2028\u2029\ufeff]/.test(s)) return false;
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(s) && !/^[-?:][^\s]/.test(s)) return false;
  if (/^[-?:]/.test(s) && s.length === 1) return false;
  if (/: |:$| #/.test(s)) return false;
  if (flowContext && /[,[\]{}]/.test(s)) return false;
  if (/^(?:---|\.\.\.)/.test(s)) return false;
  if (/[^\x20-\x7e\u00a0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}\x85]/u.test(s)) return false;
  return true;
}

function doubleQuoted(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    const named: Record<string, string> = { '\0': '0', '\x07': 'a', '\b': 'b', '\t': 't', '\n': 'n', '\x0b': 'v', '\f': 'f', '\r': 'r', '\x1b': 'e', '"': '"', '\\': '\\', '\x85': 'N', '\xa0': '_', '\u2028': 'L', '\u2029': 'P' };
    if (ch in named) out += '\\' + named[ch];
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0)) out += '\\x' + c.toString(16).toUpperCase().padStart(2, '0');
    else if (c === 0xfeff) out += '\\uFEFF';
    else out += ch;
  }
  return out + '"';
}

function scalar(v: unknown, flowContext: boolean): string {
  failIfUndefined(v);
  if (v === null || v === undefined) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (v instanceof PyFloat) return floatRepr(v.value);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return '.nan';
    if (!Number.isFinite(v)) return v > 0 ? '.inf' : '-.inf';
    return Number.isInteger(v) ? String(v) : floatRepr(v);
  }
  if (typeof v !== 'string') throw new TemplateRuntimeError(`cannot represent a ${typeName(v)} in YAML`);
  if (plainAllowed(v, flowContext)) return v;
  if (/[\x00-\x08\x0b-\x1f\x7f-\x9f\n\r\u2028\u2029\ufeff]/.test(v) || /^\s|\s$/.test(v) && /\n/.test(v)) return doubleQuoted(v);
  return `'${v.replace(/'/g, "''")}'`;
}

function isCollection(v: unknown): boolean {
  return Array.isArray(v) || isDict(v);
}

function sortedEntries(d: Record<string, unknown>): [string, unknown][] {
  return entries(d).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function flowText(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(flowText).join(', ')}]`;
  if (isDict(v)) return `{${sortedEntries(v).map(([k, x]) => `${scalar(k, true)}: ${flowText(x)}`).join(', ')}}`;
  return scalar(v, true);
}

export function toYaml(value: unknown, options: YamlOptions): string {
  const { indent } = options;
  const inline = (v: unknown): boolean => {
    if (!isCollection(v)) return true;
    const items = Array.isArray(v) ? v : Object.values(v as object);
    if (items.length === 0) return true;
    if (options.flow === true) return true;
    if (options.flow === false) return false;
    return !items.some(isCollection);
  };
  const lines: string[] = [];
  // `prefix` is what goes before the value on its first line (`key: `, `- `); `col` its indentation
  const block = (v: unknown, col: number, prefix: string): void => {
    if (inline(v)) {
      lines.push(prefix + (isCollection(v) ? flowText(v) : scalar(v, false)));
      return;
    }
    if (Array.isArray(v)) {
      let first = prefix;
      for (const item of v) {
        // a block collection in an item starts at the next indentation level; anything else after `- `
        if (isCollection(item) && !inline(item)) block(item, col + indent, first + '-' + ' '.repeat(Math.max(1, indent - 1)));
        else lines.push(first + '- ' + (isCollection(item) ? flowText(item) : scalar(item, false)));
        first = ' '.repeat(col);
      }
      return;
    }
    let first = prefix;
    for (const [k, x] of sortedEntries(v as Record<string, unknown>)) {
      const key = first + scalar(k, false) + ':';
      first = ' '.repeat(col);
      if (inline(x)) lines.push(`${key} ${isCollection(x) ? flowText(x) : scalar(x, false)}`);
      else if (Array.isArray(x)) {
        // PyYAML writes a list under a mapping key without indenting it
        lines.push(key);
        block(x, col, ' '.repeat(col));
      } else {
        lines.push(key);
        block(x, col + indent, ' '.repeat(col + indent));
      }
    }
  };
  if (!isCollection(value)) {
    const text = scalar(value, false);
    // a lone plain scalar is closed with a document end marker, as PyYAML does
    return /^['"]/.test(text) ? `${text}\n` : `${text}\n...\n`;
  }
  block(value, 0, '');
  return lines.join('\n') + '\n';
}

/**
 * YAML as Ansible reads it (PyYAML, YAML 1.1: `yes`/`no`/`on`/`off` are booleans, `0644` is octal),
 * loaded into plain objects that remember where every value came from.
 *
 * Positions live in a WeakMap beside the objects rather than in them, so loaded data keeps exactly the
 * shape the user wrote and can be passed to schema validation and templating unchanged.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, isAlias, isMap, isPair, isScalar, isSeq, Scalar } from 'yaml';
import type { Document, Node as YamlNode, ParsedNode, ScalarTag, Tags } from 'yaml';
import { problem, type Problem, type SourcePos } from './problem.js';

interface NodeInfo {
  pos: SourcePos;
  /** per mapping key: where the key and its value are */
  keys?: Map<string, { key: SourcePos; value: SourcePos }>;
  /** per sequence item: where it is */
  items?: SourcePos[];
}

const positions = new WeakMap<object, NodeInfo>();

/** Where an object or array loaded from YAML starts, or where the value under `key` is. */
export function positionOf(container: unknown, key?: string | number): SourcePos | undefined {
  if (typeof container !== 'object' || container === null) return undefined;
  const info = positions.get(container);
  if (!info) return undefined;
  if (key === undefined) return info.pos;
  if (Array.isArray(container)) return typeof key === 'number' ? (info.items?.[key] ?? info.pos) : info.pos;
  return info.keys?.get(String(key))?.value ?? info.pos;
}

/** Where the key itself is written (for "unknown key" errors). */
export function keyPositionOf(container: unknown, key: string): SourcePos | undefined {
  if (typeof container !== 'object' || container === null) return undefined;
  const info = positions.get(container);
  return info?.keys?.get(key)?.key ?? info?.pos;
}

/** The position of the deepest value along `path` that has one. */
export function positionAt(root: unknown, path: readonly (string | number)[]): SourcePos | undefined {
  let current: unknown = root;
  let best = positionOf(root);
  for (const step of path) {
    if (typeof current !== 'object' || current === null) break;
    const here = positionOf(current, step);
    if (here) best = here;
    current = (current as Record<string | number, unknown>)[step];
  }
  return best;
}

/**
 * Gives an object built in code from loaded ones (a merge, a copy without some keys) the positions of
 * their keys, so errors about it still point into the files. Later sources win, as in a spread.
 */
export function positionsFrom(target: object, ...sources: unknown[]): void {
  const keys = new Map<string, { key: SourcePos; value: SourcePos }>();
  let pos: SourcePos | undefined;
  for (const source of sources) {
    if (typeof source !== 'object' || source === null) continue;
    const info = positions.get(source);
    if (!info) continue;
    pos ??= info.pos;
    for (const [k, v] of info.keys ?? []) keys.set(k, v);
  }
  if (pos) positions.set(target, { pos, keys });
}

/** Gives an object built in code (not loaded) a position, so errors about it still point to the file. */
export function rememberPosition(obj: object, pos: SourcePos): void {
  if (!positions.has(obj)) positions.set(obj, { pos });
}

/** Gives an object built in code a position and its keys' values positions (where each was written). */
export function rememberKeyPositions(obj: object, pos: SourcePos, keys: Readonly<Record<string, SourcePos>>): void {
  positions.set(obj, { pos, keys: new Map(Object.entries(keys).map(([k, v]) => [k, { key: v, value: v }])) });
}

// PyYAML's resolvers, where YAML 1.1 as the `yaml` package reads it differs: `y`/`n` stay strings,
// a float needs a dot, and dates stay strings (they reach templates and JSON as text anyway).
const pyTrue: ScalarTag = {
  identify: (v) => v === true,
  default: true,
  tag: 'tag:yaml.org,2002:bool',
  test: /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/,
  resolve: () => new Scalar(true),
};
const pyFalse: ScalarTag = {
  identify: (v) => v === false,
  default: true,
  tag: 'tag:yaml.org,2002:bool',
  test: /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/,
  resolve: () => new Scalar(false),
};
const pyFloat: ScalarTag = {
  identify: (v) => typeof v === 'number',
  default: true,
  tag: 'tag:yaml.org,2002:float',
  test: /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?)$/,
  resolve: (s) => new Scalar(Number.parseFloat(s.replace(/_/g, ''))),
};
// Ansible's own tags: `!unsafe` marks a string that must not be templated; it loads as the string.
const unsafeTag: ScalarTag = {
  tag: '!unsafe',
  resolve: (s) => s,
};

function ansibleTags(tags: Tags): Tags {
  const kept = tags.filter((t) => {
    const tag = typeof t === 'string' ? t : t.tag;
    if (tag === 'tag:yaml.org,2002:bool' || tag === 'tag:yaml.org,2002:timestamp') return false;
    // keep only the `.inf`/`.nan` and sexagesimal float forms; pyFloat replaces the others
    if (tag === 'tag:yaml.org,2002:float' && typeof t !== 'string' && 'test' in t && t.test) return t.test.test('.inf') || t.test.test('1:20.5');
    return true;
  });
  return [pyTrue, pyFalse, pyFloat, unsafeTag, ...kept];
}

export interface YamlLoad {
  /** undefined for an empty document */
  value: unknown;
  problems: Problem[];
}

export function parseYaml(text: string, file: string): YamlLoad {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    version: '1.1',
    customTags: ansibleTags,
    uniqueKeys: true,
    merge: true,
    prettyErrors: false,
    lineCounter,
  });
  const at = (offset: number): SourcePos => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  const problems: Problem[] = [];
  // after the first syntax error the parser's further complaints are mostly echoes of it: report that one
  let syntaxReported = false;
  for (const err of doc.errors) {
    if (err.code === 'DUPLICATE_KEY') problems.push(problem(at(err.pos[0]), duplicateKeyMessage(text, err.pos[0])));
    else if (!syntaxReported) {
      problems.push(problem(at(pastIndent(text, err.pos[0])), `YAML syntax error: ${firstLine(err.message)}`));
      syntaxReported = true;
    }
  }
  for (const warn of doc.warnings) {
    problems.push(problem(at(warn.pos[0]), `YAML: ${firstLine(warn.message)}`));
  }
  if (problems.length > 0) return { value: undefined, problems };
  const bomb = doc.contents === null ? undefined : aliasBomb(doc, doc.contents);
  if (bomb) return { value: undefined, problems: [problem(startOf(bomb, { file, line: 0, col: 0 }, at), `YAML aliases expand to more than ${MAX_ALIAS_VALUES} values: refused (an alias bomb?)`)] };
  const ctx: Converting = { doc, at, problems, seen: new Set() };
  const value = doc.contents === null ? undefined : convert(ctx, doc.contents);
  return { value: problems.length > 0 ? undefined : value, problems };
}

export async function loadYamlFile(file: string): Promise<YamlLoad> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { value: undefined, problems: [problem({ file, line: 0, col: 0 }, `cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)] };
  }
  return parseYaml(text, file);
}

/** An error the parser places on a line's indentation points at what stands after it (a wrong indent). */
function pastIndent(text: string, offset: number): number {
  let i = offset;
  while (text[i] === ' ' || text[i] === '\t') i++;
  return text[i] === '\n' || i >= text.length ? offset : i;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function duplicateKeyMessage(text: string, offset: number): string {
  const key = /^["']?([^"':\n]*)/.exec(text.slice(offset))?.[1]?.trim();
  return key ? `duplicate key '${key}' in a mapping` : 'duplicate key in a mapping';
}

type At = (offset: number) => SourcePos;

function startOf(node: YamlNode | null | undefined, fallback: SourcePos, at: At): SourcePos {
  const range = node?.range;
  if (!range) return fallback;
  const pos = at(range[0]);
  return isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') ? { ...pos, quoted: true } : pos;
}

/**
 * How many values the aliases of a document may add to what is written. Each alias is expanded into a copy, so
 * a few hundred bytes of nested aliases can stand for 10^9 values (an "alias bomb"); past this bound the
 * document is refused before anything is expanded.
 */
const MAX_ALIAS_VALUES = 100_000;

/**
 * The alias at which the values added by aliases pass MAX_ALIAS_VALUES, in document order, or undefined.
 * Sizes are memoized per node, so this costs time in the document's written size, never in its expansion.
 */
function aliasBomb(doc: Document.Parsed, root: YamlNode): YamlNode | undefined {
  const sizes = new Map<YamlNode, number>();
  const children = (node: YamlNode): YamlNode[] => {
    if (isSeq(node)) return node.items.filter((i): i is YamlNode => i != null && typeof i === 'object');
    if (isMap(node)) return node.items.flatMap((p) => (isPair(p) ? [p.key, p.value].filter((n): n is YamlNode => n != null && typeof n === 'object') : []));
    return [];
  };
  const expanded = (node: YamlNode, open: Set<YamlNode>): number => {
    const known = sizes.get(node);
    if (known !== undefined) return known;
    // a recursive alias counts once here; converting reports it
    if (open.has(node)) return 1;
    open.add(node);
    let size = 1;
    if (isAlias(node)) {
      const target = node.resolve(doc);
      size = target ? expanded(target, open) : 1;
    } else for (const child of children(node)) size = Math.min(size + expanded(child, open), Number.MAX_SAFE_INTEGER);
    open.delete(node);
    sizes.set(node, size);
    return size;
  };
  let added = 0;
  const walk = (node: YamlNode): YamlNode | undefined => {
    if (isAlias(node)) {
      added += expanded(node, new Set()) - 1;
      return added > MAX_ALIAS_VALUES ? node : undefined;
    }
    for (const child of children(node)) {
      const found = walk(child);
      if (found) return found;
    }
    return undefined;
  };
  return walk(root);
}

interface Converting {
  doc: Document.Parsed;
  at: At;
  problems: Problem[];
  /** the alias targets being expanded, to refuse a recursive alias */
  seen: Set<YamlNode>;
}

function convert(ctx: Converting, node: ParsedNode | YamlNode): unknown {
  const { doc, at, problems, seen } = ctx;
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (!target) return null;
    if (seen.has(target)) {
      problems.push(problem(startOf(node, { file: '', line: 0, col: 0 }, at), `recursive YAML alias '*${node.source}'`));
      return null;
    }
    seen.add(target);
    const value = convert(ctx, target);
    seen.delete(target);
    return value;
  }
  const pos = startOf(node, { file: '', line: 0, col: 0 }, at);
  if (isScalar(node)) return node.value instanceof Date ? String(node.source ?? node.value.toISOString()) : node.value;
  if (isSeq(node)) {
    const out: unknown[] = [];
    const items: SourcePos[] = [];
    for (const item of node.items) {
      items.push(startOf(item as YamlNode | null, pos, at));
      out.push(item == null ? null : convert(ctx, item as YamlNode));
    }
    positions.set(out, { pos, items });
    return out;
  }
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    const keys = new Map<string, { key: SourcePos; value: SourcePos }>();
    const merged: Array<[Record<string, unknown>, NodeInfo | undefined]> = [];
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as YamlNode | null;
      const keyPos = startOf(keyNode, pos, at);
      const valueNode = pair.value as YamlNode | null;
      if (isScalar(keyNode) && keyNode.source === '<<' && !keyNode.type?.startsWith('QUOTE')) {
        const sources = valueNode && isSeq(valueNode) ? valueNode.items : [valueNode];
        for (const source of sources) {
          const m = source ? convert(ctx, source as YamlNode) : null;
          if (m && typeof m === 'object' && !Array.isArray(m)) merged.push([m as Record<string, unknown>, positions.get(m)]);
          else problems.push(problem(keyPos, 'a YAML merge key (<<) needs a mapping or a list of mappings'));
        }
        continue;
      }
      let key: string;
      if (keyNode === null) key = '';
      else if (isScalar(keyNode)) key = keyNode.value === null ? '' : String(keyNode.value);
      else {
        problems.push(problem(keyPos, 'a mapping key must be a plain value, not a mapping or a list'));
        continue;
      }
      // `__proto__` as a key must be data, never the prototype
      Object.defineProperty(out, key, { value: valueNode == null ? null : convert(ctx, valueNode), enumerable: true, writable: true, configurable: true });
      keys.set(key, { key: keyPos, value: valueNode ? startOf(valueNode, keyPos, at) : keyPos });
    }
    // merge keys give way to the mapping's own keys, and earlier merges to later ones' absence (YAML merge rules)
    for (const [source, info] of merged) {
      for (const [k, v] of Object.entries(source)) {
        if (Object.prototype.hasOwnProperty.call(out, k)) continue;
        Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
        const where = info?.keys?.get(k);
        if (where) keys.set(k, where);
      }
    }
    positions.set(out, { pos, keys });
    return out;
  }
  return null;
}

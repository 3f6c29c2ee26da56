/**
 * What Ansible makes of a rendered value (ansible-core 2.14's ansible_eval_concat and Templar finalize, without
 * jinja2_native): the result is text (None renders as '', a number as Python prints it), and text that starts
 * with '[' or '{', or is 'True' or 'False', becomes the Python literal it spells when it is one
 * (ast.literal_eval): `"[{{ a }}, {{ b }}]"` is a list, `"{{ 'True' }}"` a boolean, `"{{ x | length }}"` the
 * string '2'. A list or dict (which would print and parse back to itself) is kept as it is.
 */
import { parseTemplate, type Node } from './parse.js';
import { PyFloat, defineKey, makeFloat, str, toPlain, tuple, type Dict } from './python.js';

const NOT_LITERAL = Symbol('not a literal');

export function asAnsibleData(rendered: unknown): unknown {
  if (rendered instanceof PyFloat || typeof rendered === 'number') return str(rendered);
  const value = toPlain(rendered);
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') return value;
  if (!(value.startsWith('[') || value.startsWith('{') || value === 'True' || value === 'False')) return value;
  const parsed = literalEval(value);
  return parsed === NOT_LITERAL ? value : toPlain(parsed);
}

/** Python's ast.literal_eval, through the Jinja parser (whose literals are Python's), or NOT_LITERAL. */
function literalEval(text: string): unknown {
  const wrapped = `{{ ${text} }}`;
  let root: Node;
  try {
    root = parseTemplate(wrapped);
  } catch {
    return NOT_LITERAL;
  }
  const outputs = root.children as Node[];
  const nodes = outputs.length === 1 && outputs[0]!.typename === 'Output' ? (outputs[0]!.children as Node[]) : [];
  const lines = wrapped.split('\n');
  const literal = (node: Node): unknown => literalOf(node, (n) => lines[n.lineno]?.slice(n.colno, n.colno + 4) ?? '');
  return nodes.length === 1 ? literal(nodes[0]!) : NOT_LITERAL;
}

/** Python's names and the JSON ones Ansible maps onto them (Json2Python); Jinja's `none` is neither */
const pythonConstants: Readonly<Record<string, unknown>> = { True: true, False: false, None: null };

function literalOf(node: Node, spelling: (node: Node) => string): unknown {
  const literal = (n: Node): unknown => literalOf(n, spelling);
  switch (node.typename) {
    case 'Literal':
      if (node.value instanceof RegExp || (node.value === null && spelling(node) !== 'null')) return NOT_LITERAL;
      return node.value;
    case 'Symbol':
      return Object.prototype.hasOwnProperty.call(pythonConstants, String(node.value)) ? pythonConstants[String(node.value)] : NOT_LITERAL;
    case 'Array':
    case 'Group': {
      const items = (node.children as Node[]).map(literal);
      if (items.includes(NOT_LITERAL)) return NOT_LITERAL;
      if (node.typename === 'Array') return items;
      // `(x)` is x; `(x,)` (marked by the parser) and `(x, y)` are tuples
      return items.length === 1 && (node as Node & { tuple?: boolean }).tuple !== true ? items[0] : tuple(items);
    }
    case 'Dict': {
      const out: Dict = {};
      for (const pair of node.children as Node[]) {
        const key = literal(pair.key as Node);
        const value = literal(pair.value as Node);
        if (key === NOT_LITERAL || value === NOT_LITERAL || (typeof key === 'object' && key !== null && !Array.isArray(key))) return NOT_LITERAL;
        defineKey(out, typeof key === 'string' ? key : str(key), value);
      }
      return out;
    }
    case 'Neg':
    case 'Pos': {
      const target = node.target as Node;
      if (target.typename !== 'Literal' || typeof target.value === 'string') return NOT_LITERAL;
      const value = literal(target);
      if (node.typename === 'Pos') return value;
      return value instanceof PyFloat ? makeFloat(-value.value) : typeof value === 'number' ? -value : NOT_LITERAL;
    }
    default:
      return NOT_LITERAL;
  }
}

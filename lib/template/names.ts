/**
 * The variables a template reads, found in its syntax tree without rendering it: for validation to report a
 * name that nothing in the run defines. Conservative by design: a name the template binds anywhere (`set`,
 * `for`, a macro's parameters) is never reported, nor one it guards anywhere (`x is defined`, `x | default`).
 */
import { canonicalName } from './evaluate.js';
import { childNodes, type Node } from './parse.js';

export interface NameUse {
  name: string;
  /** 1-based, in the parsed text */
  line: number;
  col: number;
}

export interface TemplateNames {
  /** top-level names read and not bound by the template itself, in order */
  reads: NameUse[];
  /** names tested with `is defined`/`is undefined` or given a `default` */
  guarded: Set<string>;
  /** names the template binds (`set`, `for`, macros and their parameters, imports) */
  bound: Set<string>;
}

const GUARD_TESTS = new Set(['defined', 'undefined']);
const GUARD_FILTERS = new Set(['default', 'd']);
/** names every template has: Jinja's constants and the loop/macro names it binds itself */
const BUILTIN = new Set(['True', 'False', 'None', 'true', 'false', 'none', 'loop', 'varargs', 'kwargs', 'caller', 'self', 'super']);

function rootName(node: Node | undefined): string | undefined {
  let n = node;
  while (n && (n.typename === 'LookupVal' || n.typename === 'FunCall')) n = (n.typename === 'LookupVal' ? n.target : n.name) as Node;
  return n?.typename === 'Symbol' ? String(n.value) : undefined;
}

export function templateNames(root: Node): TemplateNames {
  const bound = new Set(BUILTIN);
  const guarded = new Set<string>();
  const reads: NameUse[] = [];
  const bind = (target: Node): void => {
    if (target.typename === 'Symbol') bound.add(String(target.value));
    else if (target.typename === 'Array') (target.children as Node[]).forEach(bind);
  };
  const visit = (node: Node): void => {
    switch (node.typename) {
      case 'Symbol':
        reads.push({ name: String(node.value), line: node.lineno + 1, col: node.colno + 1 });
        return;
      case 'Filter': {
        const args = (node.args as Node).children as Node[];
        if (GUARD_FILTERS.has(canonicalName(String((node.name as Node).value)))) {
          const guardedName = rootName(args[0]);
          if (guardedName) guarded.add(guardedName);
        }
        args.forEach(visit);
        return;
      }
      case 'Is': {
        const right = node.right as Node;
        const test = right.typename === 'FunCall' ? rootName(right.name as Node) : right.typename === 'Symbol' ? String(right.value) : undefined;
        if (test && GUARD_TESTS.has(test)) {
          const guardedName = rootName(node.left as Node);
          if (guardedName) guarded.add(guardedName);
        }
        visit(node.left as Node);
        if (right.typename === 'FunCall') ((right.args as Node).children as Node[]).forEach(visit);
        return;
      }
      case 'FunCall':
        // a called name (range, lookup, a macro) is a function's, resolved (or refused) when rendering
        if ((node.name as Node).typename !== 'Symbol') visit(node.name as Node);
        ((node.args as Node).children as Node[]).forEach(visit);
        return;
      case 'KeywordArgs':
        for (const pair of node.children as Node[]) visit(pair.value as Node);
        return;
      case 'For':
        bind(node.name as Node);
        for (const field of ['arr', 'body', 'else_']) if (node[field]) visit(node[field] as Node);
        return;
      case 'Set':
        for (const target of node.targets as Node[]) {
          if (target.typename === 'Symbol') bound.add(String(target.value));
          else visit(target.target as Node);
        }
        if (node.value) visit(node.value as Node);
        if (node.body) visit(node.body as Node);
        return;
      case 'With':
        (node.values as Node[]).forEach(visit);
        (node.targets as Node[]).forEach(bind);
        visit(node.body as Node);
        return;
      case 'Block':
        // its name is no variable
        visit(node.body as Node);
        return;
      case 'Import':
        bind(node.target as Node);
        visit(node.template as Node);
        return;
      case 'FromImport':
        for (const entry of (node.names as Node).children as Node[]) bound.add(String(entry.typename === 'Pair' ? (entry.value as Node).value : entry.value));
        visit(node.template as Node);
        return;
      case 'Macro':
        bound.add(String((node.name as Node).value));
        for (const arg of (node.args as Node).children as Node[]) {
          if (arg.typename !== 'KeywordArgs') bind(arg);
          else
            for (const pair of arg.children as Node[]) {
              bind(pair.key as Node);
              visit(pair.value as Node);
            }
        }
        visit(node.body as Node);
        return;
    }
    childNodes(node).forEach(visit);
  };
  visit(root);
  return { reads: reads.filter((r) => !bound.has(r.name)), guarded, bound };
}

/**
 * Renders and evaluates nunjucks syntax trees with Jinja2's (Python's) semantics.
 *
 * Templates are trusted code, as in Ansible: they can read every variable and call the Python-like
 * methods of any value (`x.split()`, `d.update()`). JavaScript members of values are never reachable.
 */
import type { Node } from './parse.js';
import {
  Namespace,
  PyFloat,
  PyFunction,
  TemplateRuntimeError,
  Undefined,
  binary,
  compare,
  contains,
  defineKey,
  equals,
  failIfUndefined,
  hasKey,
  isDict,
  isInt,
  isNumeric,
  isTuple,
  iterate,
  makeFloat,
  repr,
  str,
  toNumber,
  truthy,
  tuple,
  type Dict,
} from './python.js';
import { methodOf } from './methods.js';
import { filters, type CallContext } from './filters.js';
import { tests } from './tests.js';
import { globals } from './globals.js';
import { callLookup, type LookupEnvironment } from './lookups.js';

/** Variables: a plain object, or a lookup (a function, or a Proxy) for a lazily resolving store. */
export type Variables = Record<string, unknown> | ((name: string) => unknown);

/** A runtime error with the 1-based place, inside the template text, of the expression that failed. */
export function located(err: TemplateRuntimeError, node: Node): TemplateRuntimeError {
  const e = err as TemplateRuntimeError & { line?: number; col?: number };
  if (e.line === undefined) {
    e.line = node.lineno + 1;
    e.col = node.colno + 1;
  }
  return err;
}

const MISSING = Symbol('missing');

class Frame {
  private readonly own = new Map<string, unknown>();
  constructor(
    readonly parent: Frame | undefined,
    private readonly vars?: Variables,
  ) {}

  lookup(name: string): unknown {
    for (let f: Frame | undefined = this; f; f = f.parent) {
      if (f.own.has(name)) return f.own.get(name);
      if (f.vars) {
        const v = readVariable(f.vars, name);
        if (v !== MISSING) return v;
      }
    }
    return MISSING;
  }

  set(name: string, value: unknown): void {
    this.own.set(name, value);
  }
}

function readVariable(vars: Variables, name: string): unknown {
  const v = typeof vars === 'function' ? vars(name) : vars[name];
  if (v === undefined) return MISSING;
  // plain objects inherit Object.prototype members; those are not variables
  if (typeof vars !== 'function' && name in Object.prototype && v === (Object.prototype as Dict)[name] && !Object.prototype.hasOwnProperty.call(vars, name)) return MISSING;
  return v;
}

const constants: Record<string, unknown> = { True: true, False: false, None: null, true: true, false: false, none: null };

const unsupported: Record<string, string> = {
  Extends: 'extends',
  Include: 'include',
  Import: 'import',
  FromImport: 'from ... import',
  Block: 'block',
  Super: 'super',
  Switch: 'switch',
  IfAsync: 'ifAsync',
  AsyncEach: 'asyncEach',
  AsyncAll: 'asyncAll',
  CallExtension: 'extension',
  CallExtensionAsync: 'extension',
};
export const unsupportedTags = unsupported;

/** `hostvars['web1'].port` for an expression, for error messages and `TemplateError.variable` */
export function describe(node: Node): string {
  switch (node.typename) {
    case 'Symbol':
      return String(node.value);
    case 'Literal':
      return repr(node.value);
    case 'LookupVal': {
      const target = describe(node.target as Node);
      const key = node.val as Node;
      if (key.typename === 'Literal' && typeof key.value === 'string' && /^[A-Za-z_]\w*$/.test(key.value) && node.dot) return `${target}.${key.value}`;
      return `${target}[${describe(key)}]`;
    }
    case 'FunCall':
      return `${describe(node.name as Node)}(...)`;
    case 'Filter':
      return `${describe(((node.args as Node).children as Node[])[0]!)} | ${String((node.name as Node).value)}`;
    default:
      return 'expression';
  }
}

/** What lookups need from the templating engine that runs them. */
export interface LookupHost {
  /** a template file rendered with these variables (the template lookup) */
  renderTemplate(text: string, file: string, vars: Variables): string;
  warn(message: string): void;
}

/** the variables as a mapping lookups can read and list (a function of names lists none) */
function asDict(vars: Variables): Dict {
  if (typeof vars !== 'function') return vars;
  return new Proxy({} as Dict, { get: (_t, key) => (typeof key === 'string' ? vars(key) : undefined) });
}

/** what lookups see of a template's (or a looped task's) variables; `subdir`: where first_found looks */
export function lookupEnvironment(vars: Variables, host: LookupHost | undefined, subdir?: string): LookupEnvironment {
  return {
    vars: asDict(vars),
    ...(subdir !== undefined ? { subdir } : {}),
    renderTemplate: (text, file, extra) => {
      if (!host) throw new TemplateRuntimeError('the template lookup needs a templating engine to render with');
      return host.renderTemplate(text, file, (name) => {
        if (Object.prototype.hasOwnProperty.call(extra, name)) return extra[name];
        const v = readVariable(vars, name);
        return v === MISSING ? undefined : v;
      });
    },
    warn: (message) => host?.warn(message),
  };
}

export class Evaluator implements CallContext {
  private readonly root: Frame;
  private readonly lookupFunctions: Readonly<Record<string, PyFunction>>;

  constructor(vars: Variables, host?: LookupHost) {
    this.root = new Frame(undefined, vars);
    const env = lookupEnvironment(vars, host);
    const call = (query: boolean) => (args: unknown[], kwargs: Dict) => callLookup(args[0], args.slice(1), kwargs, env, query);
    this.lookupFunctions = { lookup: new PyFunction('lookup', call(false)), query: new PyFunction('query', call(true)), q: new PyFunction('q', call(true)) };
  }

  /** Renders a template to text. */
  render(root: Node): string {
    const out: string[] = [];
    this.renderNodes(root.children as Node[], this.root, out);
    return out.join('');
  }

  /** The value of an expression node at the top level. */
  value(node: Node): unknown {
    return this.expr(node, this.root);
  }

  private renderNodes(list: Node[], frame: Frame, out: string[]): void {
    for (const node of list) this.renderNode(node, frame, out);
  }

  private renderNode(node: Node, frame: Frame, out: string[]): void {
    try {
      this.renderStatement(node, frame, out);
    } catch (err) {
      if (err instanceof TemplateRuntimeError) throw located(err, node);
      throw err;
    }
  }

  private renderStatement(node: Node, frame: Frame, out: string[]): void {
    switch (node.typename) {
      case 'Output':
        for (const child of node.children as Node[]) {
          if (child.typename === 'TemplateData') out.push(child.value as string);
          else out.push(finalize(this.expr(child, frame)));
        }
        return;
      case 'NodeList':
        this.renderNodes(node.children as Node[], frame, out);
        return;
      case 'If':
        if (truthy(this.expr(node.cond as Node, frame))) this.renderNodes((node.body as Node).children as Node[], frame, out);
        else if (node.else_) {
          const other = node.else_ as Node;
          if (other.typename === 'If') this.renderNode(other, frame, out);
          else this.renderNodes(other.children as Node[], frame, out);
        }
        return;
      case 'For':
        this.renderFor(node, frame, out);
        return;
      case 'Set':
        this.renderSet(node, frame);
        return;
      case 'Macro':
        frame.set(String((node.name as Node).value), this.macro(node, frame));
        return;
      default:
        if (node.typename in unsupported) throw new TemplateRuntimeError(`'{% ${unsupported[node.typename]} %}' is not supported in typebook templates`);
        throw new TemplateRuntimeError(`unsupported template construct ${node.typename}`);
    }
  }

  private renderFor(node: Node, frame: Frame, out: string[]): void {
    let source = node.arr as Node;
    let filter: Node | undefined;
    // `{% for x in xs if cond %}`: nunjucks reads the loop filter as an inline if without else
    if (source.typename === 'InlineIf') {
      if (source.else_) throw new TemplateRuntimeError("a for loop's 'if' filter cannot have an 'else'");
      filter = source.cond as Node;
      source = source.body as Node;
    }
    const target = node.name as Node;
    const names = target.typename === 'Array' ? (target.children as Node[]).map((n) => String(n.value)) : [String(target.value)];
    const bind = (scope: Frame, item: unknown): void => {
      if (names.length === 1) {
        scope.set(names[0]!, item);
        return;
      }
      const parts = iterate(item);
      if (parts.length !== names.length) throw new TemplateRuntimeError(`cannot unpack ${parts.length} values into ${names.length} loop variables (${names.join(', ')})`);
      names.forEach((n, i) => scope.set(n, parts[i]));
    };
    let items = [...iterate(this.expr(source, frame))];
    if (filter) {
      const test = filter;
      items = items.filter((item) => {
        const scope = new Frame(frame);
        bind(scope, item);
        return truthy(this.expr(test, scope));
      });
    }
    if (items.length === 0) {
      if (node.else_) this.renderNodes((node.else_ as Node).children as Node[], frame, out);
      return;
    }
    const body = (node.body as Node).children as Node[];
    let lastChanged: unknown = MISSING;
    items.forEach((item, i) => {
      const scope = new Frame(frame);
      const loop: Dict = {
        index: i + 1,
        index0: i,
        revindex: items.length - i,
        revindex0: items.length - i - 1,
        first: i === 0,
        last: i === items.length - 1,
        length: items.length,
        depth: 1,
        depth0: 0,
        previtem: i > 0 ? items[i - 1] : new Undefined('loop.previtem', "'loop.previtem' is undefined on the first iteration", node.lineno + 1, node.colno + 1),
        nextitem: i < items.length - 1 ? items[i + 1] : new Undefined('loop.nextitem', "'loop.nextitem' is undefined on the last iteration", node.lineno + 1, node.colno + 1),
        cycle: new PyFunction('loop.cycle', (args) => {
          if (args.length === 0) throw new TemplateRuntimeError('loop.cycle() needs at least one value');
          return args[i % args.length];
        }),
        changed: new PyFunction('loop.changed', (args) => {
          const value = tuple(args);
          const changed = lastChanged === MISSING || !equals(lastChanged, value);
          lastChanged = value;
          return changed;
        }),
      };
      scope.set('loop', loop);
      bind(scope, item);
      this.renderNodes(body, scope, out);
    });
  }

  private renderSet(node: Node, frame: Frame): void {
    const targets = node.targets as Node[];
    let value: unknown;
    if (node.value) value = this.expr(node.value as Node, frame);
    else {
      const out: string[] = [];
      this.renderNodes(((node.body as Node).body as Node).children as Node[], frame, out);
      value = out.join('');
    }
    const values = targets.length === 1 ? [value] : iterate(value);
    if (values.length !== targets.length) throw new TemplateRuntimeError(`cannot unpack ${values.length} values into ${targets.length} variables`);
    targets.forEach((target, i) => {
      if (target.typename === 'Symbol') frame.set(String(target.value), values[i]);
      else if (target.typename === 'LookupVal' && target.dot) {
        const ns = this.expr(target.target as Node, frame);
        if (!(ns instanceof Namespace)) throw new TemplateRuntimeError(`cannot assign an attribute of ${describe(target.target as Node)}: only a namespace() has assignable attributes`);
        ns.attrs[String((target.val as Node).value)] = values[i];
      } else throw new TemplateRuntimeError('cannot assign to this expression; expected a variable name or namespace.attribute');
    });
  }

  private macro(node: Node, frame: Frame): PyFunction {
    const params: { name: string; default?: Node }[] = [];
    for (const arg of (node.args as Node).children as Node[]) {
      if (arg.typename === 'KeywordArgs') {
        for (const pair of arg.children as Node[]) params.push({ name: String((pair.key as Node).value), default: pair.value as Node });
      } else params.push({ name: String(arg.value) });
    }
    const name = String((node.name as Node).value);
    const body = (node.body as Node).children as Node[];
    return new PyFunction(name, (args, kwargs) => {
      const scope = new Frame(frame);
      const rest = { ...kwargs };
      params.forEach((p, i) => {
        if (i < args.length) scope.set(p.name, args[i]);
        else if (Object.prototype.hasOwnProperty.call(rest, p.name)) scope.set(p.name, rest[p.name]);
        else if (p.default) scope.set(p.name, this.expr(p.default, scope));
        else scope.set(p.name, new Undefined(p.name, `'${p.name}' is undefined: macro '${name}' was called without it`, node.lineno + 1, node.colno + 1));
        delete rest[p.name];
      });
      scope.set('varargs', args.slice(params.length));
      if (Object.prototype.hasOwnProperty.call(rest, 'caller')) {
        scope.set('caller', rest.caller);
        delete rest.caller;
      }
      scope.set('kwargs', rest);
      const out: string[] = [];
      this.renderNodes(body, scope, out);
      return out.join('');
    });
  }

  private expr(node: Node, frame: Frame): unknown {
    try {
      return this.evaluate(node, frame);
    } catch (err) {
      if (err instanceof TemplateRuntimeError) throw located(err, node);
      throw err;
    }
  }

  private evaluate(node: Node, frame: Frame): unknown {
    switch (node.typename) {
      case 'Literal':
        return node.value;
      case 'Symbol': {
        const name = String(node.value);
        const v = frame.lookup(name);
        if (v !== MISSING) return v;
        if (Object.prototype.hasOwnProperty.call(constants, name)) return constants[name];
        if (Object.prototype.hasOwnProperty.call(globals, name)) return globals[name];
        if (Object.prototype.hasOwnProperty.call(this.lookupFunctions, name)) return this.lookupFunctions[name];
        return new Undefined(name, `'${name}' is undefined`, node.lineno + 1, node.colno + 1);
      }
      case 'Group': {
        const children = node.children as Node[];
        // `(x,)` (marked by the parser) is a tuple of one; `(x)` is x
        if (children.length === 1 && (node as Node & { tuple?: boolean }).tuple !== true) return this.expr(children[0]!, frame);
        return tuple(children.map((c) => this.expr(c, frame)));
      }
      case 'Array':
        return (node.children as Node[]).map((c) => this.expr(c, frame));
      case 'Dict': {
        const out: Dict = {};
        for (const pair of node.children as Node[]) {
          const key = this.expr(pair.key as Node, frame);
          failIfUndefined(key);
          defineKey(out, keyText(key), this.expr(pair.value as Node, frame));
        }
        return out;
      }
      case 'LookupVal':
        return this.lookupVal(node, frame);
      case 'Slice': {
        // only a subscript holds a slice: `x[1:]` is a LookupVal whose key is this
        const part = (n: unknown): unknown => (n ? this.expr(n as Node, frame) : null);
        return makeSliceKey(part(node.start), part(node.stop), part(node.step));
      }
      case 'FunCall': {
        const fn = this.expr(node.name as Node, frame);
        failIfUndefined(fn);
        if (!(fn instanceof PyFunction)) throw new TemplateRuntimeError(`${describe(node.name as Node)} is not callable (it is ${repr(fn)})`);
        const { args, kwargs } = this.args((node.args as Node).children as Node[], frame);
        return fn.call(args, kwargs);
      }
      case 'Caller':
        return this.macro(node, frame);
      case 'Filter': {
        const [input, ...rest] = (node.args as Node).children as Node[];
        const value = input!.typename === 'Capture' ? this.capture(input!, frame) : this.expr(input!, frame);
        const { args, kwargs } = this.args(rest, frame);
        return this.filter(String((node.name as Node).value), value, args, kwargs);
      }
      case 'Is': {
        const value = this.expr(node.left as Node, frame);
        const test = node.right as Node;
        const { args, kwargs } = this.args((test.args as Node).children as Node[], frame);
        return this.testWith(String((test.name as Node).value), value, args, kwargs);
      }
      case 'In':
        return contains(this.expr(node.right as Node, frame), this.expr(node.left as Node, frame));
      case 'Not':
        return !truthy(this.expr(node.target as Node, frame));
      case 'And': {
        const left = this.expr(node.left as Node, frame);
        return truthy(left) ? this.expr(node.right as Node, frame) : left;
      }
      case 'Or': {
        const left = this.expr(node.left as Node, frame);
        return truthy(left) ? left : this.expr(node.right as Node, frame);
      }
      case 'Compare': {
        let left = this.expr(node.expr as Node, frame);
        for (const op of node.ops as Node[]) {
          const right = this.expr(op.expr as Node, frame);
          if (!compareOp(String(op.type), left, right)) return false;
          left = right;
        }
        return true;
      }
      case 'InlineIf':
        if (truthy(this.expr(node.cond as Node, frame))) return this.expr(node.body as Node, frame);
        if (node.else_) return this.expr(node.else_ as Node, frame);
        return new Undefined(describe(node.body as Node), 'the inline if-expression evaluated to false and has no else section', node.lineno + 1, node.colno + 1);
      case 'Concat':
        return str(this.expr(node.left as Node, frame)) + str(this.expr(node.right as Node, frame));
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div':
      case 'FloorDiv':
      case 'Mod':
      case 'Pow':
        return binary(binaryOps[node.typename]!, this.expr(node.left as Node, frame), this.expr(node.right as Node, frame));
      case 'Neg':
      case 'Pos': {
        const v = this.expr(node.target as Node, frame);
        failIfUndefined(v);
        if (!isNumeric(v)) throw new TemplateRuntimeError(`bad operand type for unary ${node.typename === 'Neg' ? '-' : '+'}: '${typeof v === 'string' ? 'str' : 'value'}'`);
        if (node.typename === 'Pos') return typeof v === 'boolean' ? Number(v) : v;
        return v instanceof PyFloat ? makeFloat(-v.value) : -toNumber(v);
      }
      default:
        if (node.typename in unsupported) throw new TemplateRuntimeError(`'${unsupported[node.typename]}' is not supported in typebook templates`);
        throw new TemplateRuntimeError(`unsupported expression ${node.typename}`);
    }
  }

  private capture(node: Node, frame: Frame): string {
    const out: string[] = [];
    this.renderNodes((node.body as Node).children as Node[], frame, out);
    return out.join('');
  }

  private args(nodes: Node[], frame: Frame): { args: unknown[]; kwargs: Dict } {
    const args: unknown[] = [];
    const kwargs: Dict = {};
    for (const n of nodes) {
      if (n.typename === 'KeywordArgs') {
        for (const pair of n.children as Node[]) defineKey(kwargs, String((pair.key as Node).value), this.expr(pair.value as Node, frame));
      } else args.push(this.expr(n, frame));
    }
    return { args, kwargs };
  }

  private lookupVal(node: Node, frame: Frame): unknown {
    const target = this.expr(node.target as Node, frame);
    const key = this.expr(node.val as Node, frame);
    // Ansible's undefined passes through attribute access, so `a.b.c | default(1)` works when `a` is missing
    if (target instanceof Undefined) return target;
    failIfUndefined(key);
    const found = getItem(target, key, node.dot === true);
    if (found !== MISSING) return found;
    const owner = describe(node.target as Node);
    const what = typeof key === 'string' ? `attribute '${key}'` : `item ${repr(key)}`;
    const message = target === null ? `'${owner}' is None, so it has no ${what}` : `'${owner}' has no ${what}`;
    const start = leftmost(node);
    return new Undefined(describe(node), message, start.lineno + 1, start.colno + 1);
  }

  // ---- CallContext, for filters that apply other filters and tests ----

  filter(name: string, value: unknown, args: unknown[], kwargs: Dict = {}): unknown {
    const def = filters[canonicalName(name)];
    if (!def) throw new TemplateRuntimeError(`no filter named '${name}'`);
    if (!def.undefinedOk) failIfUndefined(value);
    for (const a of args) failIfUndefined(a);
    return def.fn(this, value, args, kwargs);
  }

  test(name: string, value: unknown, args: unknown[]): boolean {
    return this.testWith(name, value, args, {});
  }

  private testWith(name: string, value: unknown, args: unknown[], kwargs: Dict): boolean {
    const def = tests[canonicalName(name)];
    if (!def) throw new TemplateRuntimeError(`no test named '${name}'`);
    if (value instanceof Undefined && !def.undefinedOk) failIfUndefined(value);
    for (const a of args) failIfUndefined(a);
    return def.fn(this, value, args, kwargs);
  }

  attribute(obj: unknown, path: string): unknown {
    let current = obj;
    for (const part of path.split('.')) {
      if (current instanceof Undefined) return current;
      const key = /^\d+$/.test(part) && Array.isArray(current) ? Number(part) : part;
      const v = getItem(current, key, false);
      current = v === MISSING ? new Undefined(path, `${objectKind(current)} has no attribute '${part}'`, 0, 0) : v;
    }
    return current;
  }
}

/** Jinja's "'dict object'" for a value in a message: never the value itself, which may be all of hostvars. */
function objectKind(value: unknown): string {
  if (typeof value === 'string') return `'str object'`;
  if (typeof value === 'number') return Number.isInteger(value) ? `'int object'` : `'float object'`;
  if (typeof value === 'boolean') return `'bool object'`;
  if (value === null || value === undefined) return `'NoneType object'`;
  return Array.isArray(value) ? `'list object'` : `'dict object'`;
}

/** where an expression like `a.b[0].c` starts: errors point at its beginning */
function leftmost(node: Node): Node {
  let n = node;
  while (n.typename === 'LookupVal' || n.typename === 'FunCall') n = (n.typename === 'LookupVal' ? n.target : n.name) as Node;
  return n;
}

/** FQCN filter and test names of ansible.builtin are the short ones */
export function canonicalName(name: string): string {
  return name.startsWith('ansible.builtin.') ? name.slice('ansible.builtin.'.length) : name;
}

const binaryOps: Record<string, string> = { Add: '+', Sub: '-', Mul: '*', Div: '/', FloorDiv: '//', Mod: '%', Pow: '**' };

function compareOp(op: string, a: unknown, b: unknown): boolean {
  switch (op) {
    case '==':
    case '===':
      return equals(a, b);
    case '!=':
    case '!==':
      return !equals(a, b);
    case '<':
      return compare(a, b, op) < 0;
    case '<=':
      return compare(a, b, op) <= 0;
    case '>':
      return compare(a, b, op) > 0;
    default:
      return compare(a, b, op) >= 0;
  }
}

function keyText(key: unknown): string {
  return typeof key === 'string' ? key : str(key);
}

/** Ansible's finalize: None prints as an empty string; everything else as Python's str(). */
export function finalize(v: unknown): string {
  return v === null ? '' : str(v);
}

/** `obj.key` / `obj[key]` with Jinja's rules, or MISSING. */
export function getItem(obj: unknown, key: unknown, dot: boolean): unknown {
  if (isSliceKey(key)) return sliceOf(obj, key);
  if (obj instanceof Namespace) return typeof key === 'string' && key in obj.attrs ? obj.attrs[key] : MISSING;
  if (typeof key === 'string' && dot) {
    const method = methodOf(obj, key);
    if (method) return method;
  }
  let found: unknown = MISSING;
  if (Array.isArray(obj) || typeof obj === 'string') {
    if (isInt(key) || typeof key === 'boolean') {
      const n = toNumber(key);
      const i = n < 0 ? obj.length + n : n;
      if (i >= 0 && i < obj.length) found = obj[i];
    }
  } else if (isDict(obj)) {
    const k = typeof key === 'string' ? key : isNumeric(key) ? str(key) : undefined;
    if (k !== undefined && hasKey(obj, k)) found = obj[k];
  }
  if (found === MISSING && typeof key === 'string' && !dot) return methodOf(obj, key) ?? MISSING;
  return found;
}

interface SliceKey {
  slice: [unknown, unknown, unknown];
}
function isSliceKey(key: unknown): key is SliceKey {
  return typeof key === 'object' && key !== null && sliceKeys.has(key);
}
const sliceKeys = new WeakSet<object>();

function sliceOf(obj: unknown, key: SliceKey): unknown {
  failIfUndefined(obj);
  if (!Array.isArray(obj) && typeof obj !== 'string') throw new TemplateRuntimeError(`'${repr(obj)}' cannot be sliced`);
  const items = typeof obj === 'string' ? Array.from(obj) : obj;
  const [start, stop, step] = key.slice.map((v) => (v === null || v === undefined ? undefined : toNumber(v)));
  const st = step ?? 1;
  if (st === 0) throw new TemplateRuntimeError('slice step cannot be zero');
  const n = items.length;
  const clamp = (v: number | undefined, dflt: number, lo: number, hi: number): number => (v === undefined ? dflt : Math.min(Math.max(v < 0 ? v + n : v, lo), hi));
  const out: unknown[] = [];
  if (st > 0) {
    for (let i = clamp(start, 0, 0, n); i < clamp(stop, n, 0, n); i += st) out.push(items[i]);
  } else {
    for (let i = clamp(start, n - 1, -1, n - 1); i > clamp(stop, -1, -1, n - 1); i += st) out.push(items[i]);
  }
  if (typeof obj === 'string') return out.join('');
  return isTuple(obj) ? tuple(out) : out;
}

/** The key a Slice node evaluates to; only a subscript uses it. */
export function makeSliceKey(start: unknown, stop: unknown, step: unknown): SliceKey {
  const key = { slice: [start, stop, step] as [unknown, unknown, unknown] };
  sliceKeys.add(key);
  return key;
}

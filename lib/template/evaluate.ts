/**
 * Renders and evaluates nunjucks syntax trees with Jinja2's (Python's) semantics.
 *
 * Templates are trusted code, as in Ansible: they can read every variable and call the Python-like
 * methods of any value (`x.split()`, `d.update()`). JavaScript members of values are never reachable.
 */
import { childNodes, parseTemplate, templateBlocks, TemplateSyntaxError, type Node } from './parse.js';
import {
  Namespace,
  PyFloat,
  PyFunction,
  TemplateObject,
  TemplateRuntimeError,
  LenientUndefined,
  Undefined,
  UndefinedError,
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
import type { TemplateLoader } from './loader.js';

/** Variables: a plain object, or a lookup (a function, or a Proxy) for a lazily resolving store. */
export type Variables = Record<string, unknown> | ((name: string) => unknown);

/** Where a runtime error happened, as the evaluator marks it on its way out. */
export interface ErrorPlace {
  /** 1-based, in the text of the template whose expression failed */
  line?: number;
  col?: number;
  /** that template's file; null: the template the Templar renders (its place is the Templar's to give) */
  file?: string | null;
  /** the `{% include %}` tags it was rendered from, innermost first (file undefined: the Templar's template) */
  includedFrom?: { file: string | undefined; line: number; col: number }[];
}

/** A runtime error with the 1-based place, inside the template text, of the expression that failed. */
export function located(err: TemplateRuntimeError, node: Node): TemplateRuntimeError {
  const e = err as TemplateRuntimeError & ErrorPlace;
  if (e.line === undefined) {
    e.line = node.lineno + 1;
    e.col = node.colno + 1;
  }
  return err;
}

/** A template an include, extends or import names that the loader does not find (what `ignore missing` passes over). */
class TemplateNotFound extends TemplateRuntimeError {
  override name = 'TemplateNotFound';
}

const MISSING = Symbol('missing');

/** A template being rendered: the Templar's, or one found by the loader. */
interface TemplateUnit {
  /** as it was named (`self` and error messages show it) */
  readonly name: string;
  /** the file; undefined for the Templar's template, whose place the Templar knows */
  readonly file: string | undefined;
  readonly root: Node;
  /** its `{% block %}`s by name */
  readonly blocks: ReadonlyMap<string, Node>;
  /** what evaluates it, once made (a unit belongs to one render) */
  evaluator?: Evaluator;
}

/** A block's definition, with the evaluator of the template that defines it (its errors are placed there). */
interface BlockDefinition {
  readonly node: Node;
  readonly evaluator: Evaluator;
}

/** One render of a template (and of the templates it extends, which share it): Jinja's Context. */
class RenderContext {
  /** the template's top-level variables (its top-level `set`s, macros, imports) over `parent`'s */
  readonly frame: Frame;
  /** name → definitions in force, the child-most first: `super()` renders the next one (made when a block is defined) */
  private blocks?: Map<string, BlockDefinition[]>;
  /** the top-level names an `{% import %}` of the template gives (not those starting with `_`, nor imports) */
  private exported?: Set<string>;
  /** `self`, made when first read */
  self?: TemplateObject;
  constructor(
    /** the name of the template the render is of (`self` shows it) */
    readonly name: string,
    parent: Frame | undefined,
    vars: Variables | undefined,
    kind: 'scope' | 'include',
  ) {
    this.frame = new Frame(parent, vars, this, kind === 'include');
  }

  /** the definitions of block `name` in force (none: empty) */
  definitions(name: string): readonly BlockDefinition[] {
    return this.blocks?.get(name) ?? [];
  }

  /** a definition of block `name` under those in force (a parent template's) */
  define(name: string, definition: BlockDefinition): void {
    const stack = (this.blocks ??= new Map()).get(name);
    if (stack) stack.push(definition);
    else this.blocks.set(name, [definition]);
  }

  /** whether a top-level name is exported; `set`: export it (true) or not (false) */
  exports(name: string, set?: boolean): boolean {
    if (set === true) (this.exported ??= new Set()).add(name);
    else if (set === false) this.exported?.delete(name);
    return this.exported?.has(name) ?? false;
  }
}

/** Where a template's output goes: silenced at its top level once it has extended another (Jinja's output check). */
class Output {
  private readonly parts: string[] = [];
  constructor(
    /** the template render this is the top-level output of */
    private readonly render?: { parent?: TemplateUnit },
  ) {}

  /** the top-level output of a template render (where `{% extends %}` and top-level blocks stand) */
  get top(): { parent?: TemplateUnit } | undefined {
    return this.render;
  }

  /** after `{% extends %}`: the parent template prints, not this one */
  get silenced(): boolean {
    return this.render?.parent !== undefined;
  }

  push(text: string): void {
    if (!this.silenced) this.parts.push(text);
  }

  /** what Jinja prints without its output check: an include's output, a block's inside a loop */
  always(text: string): void {
    this.parts.push(text);
  }

  text(): string {
    return this.parts.join('');
  }
}

/** `self.name` and `super`: a block definition of a render, called to render it; `.super` is the next one */
class BlockReference extends PyFunction {
  constructor(
    name: string,
    call: () => string,
    readonly next: () => unknown,
  ) {
    super(name, call);
  }
}

const NO_BLOCKS: ReadonlyMap<string, Node> = new Map();

/** How deep templates may include, extend and import one another (Jinja has Python's recursion limit). */
const MAX_TEMPLATE_DEPTH = 100;

const hiddenOf = new WeakMap<Node, ReadonlySet<string>>();

/**
 * The names of `implicit` a loop's or a macro's body does not read (inside a block does not count; a scoped block
 * reads a loop's `loop`). Jinja makes only the names read locals of the loop or macro, and an include passes on
 * locals only.
 */
function hiddenFromIncludes(node: Node, implicit: readonly string[]): ReadonlySet<string> {
  const known = hiddenOf.get(node);
  if (known) return known;
  const read = new Set<string>();
  const visit = (n: Node): void => {
    if (n.typename === 'Symbol' && implicit.includes(String(n.value))) read.add(String(n.value));
    if (n.typename === 'Block') {
      if (n.scoped === true && node.typename === 'For') read.add('loop');
      return;
    }
    childNodes(n).forEach(visit);
  };
  visit(node.body as Node);
  const hidden = new Set(implicit.filter((name) => !read.has(name)));
  hiddenOf.set(node, hidden);
  return hidden;
}

class Frame {
  private readonly own = new Map<string, unknown>();
  readonly ctx: RenderContext;
  constructor(
    readonly parent: Frame | undefined,
    private readonly vars?: Variables,
    ctx?: RenderContext,
    /** the top of an included template (or of one imported with context): what it sees of the frames above */
    private readonly include = false,
    /** names of this frame an included template does not see: a loop's `loop`, a macro's `varargs`... its body never reads */
    private readonly hidden?: ReadonlySet<string>,
  ) {
    this.ctx = ctx ?? parent!.ctx;
  }

  lookup(name: string): unknown {
    let belowInclude = false;
    for (let f: Frame | undefined = this; f; f = f.parent) {
      if (f.own.has(name) && !(belowInclude && f.hidden?.has(name))) return f.own.get(name);
      if (f.vars) {
        const v = readVariable(f.vars, name);
        if (v !== MISSING) return v;
      }
      if (f.include) belowInclude = true;
    }
    return MISSING;
  }

  /** a variable of this frame itself (an imported template's exports) */
  ownValue(name: string): unknown {
    return this.own.has(name) ? this.own.get(name) : MISSING;
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
  /** a template file rendered with these variables, its includes found along `searchPath` (the template lookup) */
  renderTemplate(text: string, file: string, vars: Variables, searchPath: readonly string[]): string;
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
    renderTemplate: (text, file, extra, searchPath) => {
      if (!host) throw new TemplateRuntimeError('the template lookup needs a templating engine to render with');
      const withExtra = (name: string): unknown => {
        if (Object.prototype.hasOwnProperty.call(extra, name)) return extra[name];
        const v = readVariable(vars, name);
        return v === MISSING ? undefined : v;
      };
      return host.renderTemplate(text, file, withExtra, searchPath);
    },
    warn: (message) => host?.warn(message),
  };
}

/**
 * One render of the Templar's template, and of every template it includes, extends or imports: what they share
 * (the variables lookups see, the loader, the templates loaded, the recursion guard).
 */
export class Renderer {
  // made when first needed: most renders are of one template, with no includes nor lookups
  private lookups?: Readonly<Record<string, PyFunction>>;
  private loaded?: Map<string, TemplateUnit>;
  /** imported without context: rendered once, as Jinja caches a template's module */
  private modules?: Map<TemplateUnit, TemplateObject>;
  /** the templates being rendered, outermost first */
  private readonly stack: string[] = [];

  constructor(
    private readonly vars: Variables,
    private readonly host?: LookupHost,
    /** where included templates are found; none: an include fails */
    private readonly loader?: TemplateLoader,
  ) {}

  /** lookup(), query() and q(), over the render's variables (those of the Templar's template, whatever includes it) */
  get lookupFunctions(): Readonly<Record<string, PyFunction>> {
    if (!this.lookups) {
      const env = lookupEnvironment(this.vars, this.host);
      const call = (query: boolean) => (args: unknown[], kwargs: Dict) => callLookup(args[0], args.slice(1), kwargs, env, query);
      this.lookups = { lookup: new PyFunction('lookup', call(false)), query: new PyFunction('query', call(true)), q: new PyFunction('q', call(true)) };
    }
    return this.lookups;
  }

  /** The Templar's template (named `name` for `self` and messages) rendered to text. */
  render(root: Node, name: string): string {
    const unit: TemplateUnit = { name, file: undefined, root, blocks: templateBlocks(root) };
    return this.renderUnit(unit, this.context(unit, undefined, this.vars, 'scope'));
  }

  /** The value of a lone expression of the Templar's. */
  value(node: Node, name: string): unknown {
    const unit: TemplateUnit = { name, file: undefined, root: node, blocks: NO_BLOCKS };
    return this.evaluator(unit).value(node, this.context(unit, undefined, this.vars, 'scope').frame);
  }

  evaluator(unit: TemplateUnit): Evaluator {
    return (unit.evaluator ??= new Evaluator(this, unit));
  }

  /** a render context for `unit`: its blocks in force, `self` */
  context(unit: TemplateUnit, parent: Frame | undefined, vars: Variables | undefined, kind: 'scope' | 'include'): RenderContext {
    const ctx = new RenderContext(unit.name, parent, vars, kind);
    if (unit.blocks.size > 0) {
      const evaluator = this.evaluator(unit);
      for (const [name, node] of unit.blocks) ctx.define(name, { node, evaluator });
    }
    return ctx;
  }

  /** `self` in `ctx`: its blocks by name (Jinja's TemplateReference, which no variable of the render hides) */
  templateReference(ctx: RenderContext): TemplateObject {
    return (ctx.self ??= new TemplateObject('TemplateReference', ctx.name, undefined, (block) => (ctx.definitions(block).length > 0 ? this.blockReference(ctx, block, 0) : undefined)));
  }

  /** `unit` rendered in `ctx`, guarded against templates that include (or extend) each other without end */
  renderUnit(unit: TemplateUnit, ctx: RenderContext): string {
    if (this.stack.length >= MAX_TEMPLATE_DEPTH) {
      throw new TemplateRuntimeError(`templates include, extend or import each other more than ${MAX_TEMPLATE_DEPTH} deep: ${[...this.stack.slice(-4), unit.name].join(' -> ')}`);
    }
    this.stack.push(unit.name);
    try {
      return this.evaluator(unit).renderTop(ctx);
    } finally {
      this.stack.pop();
    }
  }

  /** the definition `index` of block `name` in force in `ctx`, rendered; `site`: where a scoped block stands */
  renderBlock(ctx: RenderContext, name: string, index: number, site?: Frame): string {
    const definition = ctx.definitions(name)[index]!;
    return definition.evaluator.block(definition.node, ctx, this.superOf(ctx, name, index), site);
  }

  private blockReference(ctx: RenderContext, name: string, index: number): BlockReference {
    return new BlockReference(name, () => this.renderBlock(ctx, name, index), () => this.superOf(ctx, name, index));
  }

  /** `super` in definition `index` of block `name`: the next definition, or an undefined saying there is none */
  private superOf(ctx: RenderContext, name: string, index: number): unknown {
    if (index + 1 < ctx.definitions(name).length) return this.blockReference(ctx, name, index + 1);
    return new Undefined('super', `there is no parent block called '${name}'.`, 0, 0);
  }

  /** the template an include names (a list: the first found); `list`: whether a list of names is taken */
  select(target: unknown, list: boolean): TemplateUnit {
    failIfUndefined(target);
    if (typeof target === 'string') return this.load(target) ?? this.notFound(`template '${target}' not found`);
    if (!list || !Array.isArray(target)) throw new TemplateRuntimeError(`a template name must be a string${list ? ' or a list of strings' : ''}, not ${repr(target)}`);
    if (target.length === 0) throw new TemplateNotFound('Tried to select from an empty list of templates.');
    for (const name of target) {
      // select_template passes over an undefined name
      if (name instanceof Undefined) continue;
      if (typeof name !== 'string') throw new TemplateRuntimeError(`a template name must be a string, not ${repr(name)}`);
      const found = this.load(name);
      if (found) return found;
    }
    return this.notFound(`none of the templates given were found: ${target.map((n) => (n instanceof Undefined ? n.name : str(n))).join(', ')}`);
  }

  private notFound(message: string): never {
    const where = this.loader ? (this.loader.searchPath.length ? `searched ${[...new Set(this.loader.searchPath)].join(', ')}` : 'the search path is empty') : 'no template search path is set for this template';
    throw new TemplateNotFound(`${message} (${where})`);
  }

  private load(name: string): TemplateUnit | undefined {
    const file = this.loader?.find(name);
    if (file === undefined) return undefined;
    let unit = (this.loaded ??= new Map()).get(file);
    if (unit) return unit;
    let root: Node;
    try {
      root = parseTemplate(this.loader!.read(file));
    } catch (err) {
      if (!(err instanceof TemplateSyntaxError)) throw err;
      throw Object.assign(new TemplateRuntimeError(`template syntax error: ${err.message}`), { line: err.line, col: err.col, file } satisfies ErrorPlace);
    }
    unit = { name, file, root, blocks: templateBlocks(root) };
    this.loaded.set(file, unit);
    return unit;
  }

  /** `{% import %}`: the template rendered once, its exported names read from its top level */
  module(unit: TemplateUnit, withContext: Frame | undefined): TemplateObject {
    const cached = withContext ? undefined : this.modules?.get(unit);
    if (cached) return cached;
    const ctx = this.context(unit, withContext, undefined, withContext ? 'include' : 'scope');
    const body = this.renderUnit(unit, ctx);
    const module = new TemplateObject('TemplateModule', unit.name, body, (name) => {
      const v = ctx.exports(name) ? ctx.frame.ownValue(name) : MISSING;
      return v === MISSING ? undefined : v;
    });
    if (!withContext) (this.modules ??= new Map()).set(unit, module);
    return module;
  }
}

/** The statements and expressions of one template, evaluated in the render they are part of. */
class Evaluator implements CallContext {
  constructor(
    private readonly renderer: Renderer,
    private readonly unit: TemplateUnit,
  ) {}

  /** this template rendered in `ctx`, and the template it extends after it in the same context */
  renderTop(ctx: RenderContext): string {
    const render: { parent?: TemplateUnit } = {};
    const out = new Output(render);
    this.within(() => this.renderNodes(this.unit.root.children as Node[], ctx.frame, out));
    return render.parent ? out.text() + this.renderer.renderUnit(render.parent, ctx) : out.text();
  }

  /** a block of this template rendered: in its render's top-level variables, or where it stands if scoped */
  block(node: Node, ctx: RenderContext, next: unknown, site?: Frame): string {
    return this.within(() => {
      const name = String((node.name as Node).value);
      if (node.required === true) throw located(new TemplateRuntimeError(`Required block '${name}' not found`), node);
      const scope = new Frame(node.scoped === true && site ? site : ctx.frame);
      scope.set('super', next);
      const out = new Output();
      this.renderNodes((node.body as Node).children as Node[], scope, out);
      return out.text();
    });
  }

  /** The value of an expression node in `frame`. */
  value(node: Node, frame: Frame): unknown {
    return this.within(() => this.expr(node, frame));
  }

  /** runs `body`, marking the errors out of it as this template's */
  private within<T>(body: () => T): T {
    try {
      return body();
    } catch (err) {
      if (err instanceof TemplateRuntimeError) {
        const e = err as TemplateRuntimeError & ErrorPlace;
        if (e.file === undefined) e.file = this.unit.file ?? null;
      }
      throw err;
    }
  }

  private undefinedAt(name: string, message: string, node: Node): Undefined {
    return new Undefined(name, message, node.lineno + 1, node.colno + 1, this.unit.file);
  }

  private renderNodes(list: Node[], frame: Frame, out: Output): void {
    for (const node of list) this.renderNode(node, frame, out);
  }

  private renderNode(node: Node, frame: Frame, out: Output): void {
    try {
      this.renderStatement(node, frame, out);
    } catch (err) {
      if (err instanceof TemplateRuntimeError) throw located(err, node);
      throw err;
    }
  }

  private renderStatement(node: Node, frame: Frame, out: Output): void {
    // the template's own level: not inside a loop, macro, block or `set` block
    const toplevel = out.top !== undefined && frame === frame.ctx.frame;
    switch (node.typename) {
      case 'Output':
        // after `{% extends %}` a template's text and expressions are not even evaluated
        if (out.silenced) return;
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
        this.renderSet(node, frame, toplevel);
        return;
      case 'With': {
        // the values are computed where the tag is; the names, and what the body sets, stay inside it
        const scope = new Frame(frame);
        const values = (node.values as Node[]).map((v) => this.expr(v, frame));
        (node.targets as Node[]).forEach((target, i) => scope.set(String(target.value), values[i]));
        this.renderNodes((node.body as Node).children as Node[], scope, out);
        return;
      }
      case 'Macro': {
        const name = String((node.name as Node).value);
        frame.set(name, this.macro(node, frame));
        if (toplevel && !name.startsWith('_')) frame.ctx.exports(name, true);
        return;
      }
      case 'Block':
        // a top-level block prints the definition in force, unless the template extends another (whose blocks print);
        // one in a loop prints whatever
        if (toplevel && out.silenced) return;
        out.always(this.renderer.renderBlock(frame.ctx, String((node.name as Node).value), 0, frame));
        return;
      case 'Extends': {
        const render = out.top;
        if (!render) throw new TemplateRuntimeError('cannot use extend from a non top-level scope');
        if (render.parent) throw new TemplateRuntimeError('extended multiple times');
        const parent = this.renderer.select(this.expr(node.template as Node, frame), false);
        render.parent = parent;
        const evaluator = this.renderer.evaluator(parent);
        for (const [name, block] of parent.blocks) {
          frame.ctx.define(name, { node: block, evaluator });
        }
        return;
      }
      case 'Include':
        this.include(node, frame, out);
        return;
      case 'Import': {
        const target = node.target as Node;
        if (target.typename !== 'Symbol') throw new TemplateRuntimeError('import ... as needs a name to import into');
        const name = String(target.value);
        frame.set(name, this.renderer.module(this.renderer.select(this.expr(node.template as Node, frame), false), node.withContext === true ? frame : undefined));
        if (toplevel) frame.ctx.exports(name, false);
        return;
      }
      case 'FromImport': {
        const unit = this.renderer.select(this.expr(node.template as Node, frame), false);
        const module = this.renderer.module(unit, node.withContext === true ? frame : undefined);
        for (const entry of (node.names as Node).children as Node[]) {
          const [name, alias] = entry.typename === 'Pair' ? [String((entry.key as Node).value), String((entry.value as Node).value)] : [String(entry.value), String(entry.value)];
          const value = module.attribute(name);
          frame.set(alias, value !== undefined ? value : this.undefinedAt(name, `the template '${unit.name}' (imported on line ${node.lineno + 1}) does not export the requested name '${name}'`, entry));
          if (toplevel) frame.ctx.exports(alias, false);
        }
        return;
      }
      default:
        if (node.typename in unsupported) throw new TemplateRuntimeError(`'{% ${unsupported[node.typename]} %}' is not supported in typebook templates`);
        throw new TemplateRuntimeError(`unsupported template construct ${node.typename}`);
    }
  }

  /** `{% include %}`: the template rendered in a context of its own (the includer's variables under it, by default) */
  private include(node: Node, frame: Frame, out: Output): void {
    let unit: TemplateUnit;
    try {
      unit = this.renderer.select(this.expr(node.template as Node, frame), true);
    } catch (err) {
      if (err instanceof TemplateNotFound && node.ignoreMissing === true) return;
      throw err;
    }
    const ctx = node.withContext === false ? this.renderer.context(unit, undefined, undefined, 'scope') : this.renderer.context(unit, frame, undefined, 'include');
    try {
      // Jinja prints an include without its output check: even after `{% extends %}`
      out.always(this.renderer.renderUnit(unit, ctx));
    } catch (err) {
      if (err instanceof TemplateRuntimeError) {
        const e = err as TemplateRuntimeError & ErrorPlace;
        (e.includedFrom ??= []).push({ file: this.unit.file, line: node.lineno + 1, col: node.colno + 1 });
      }
      throw err;
    }
  }

  private renderFor(node: Node, frame: Frame, out: Output): void {
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
    const hidden = hiddenFromIncludes(node, ['loop']);
    let lastChanged: unknown = MISSING;
    items.forEach((item, i) => {
      const scope = new Frame(frame, undefined, undefined, false, hidden);
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
        previtem: i > 0 ? items[i - 1] : this.undefinedAt('loop.previtem', "'loop.previtem' is undefined on the first iteration", node),
        nextitem: i < items.length - 1 ? items[i + 1] : this.undefinedAt('loop.nextitem', "'loop.nextitem' is undefined on the last iteration", node),
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

  private renderSet(node: Node, frame: Frame, toplevel: boolean): void {
    const targets = node.targets as Node[];
    let value: unknown;
    if (node.value) value = this.expr(node.value as Node, frame);
    else {
      const out = new Output();
      this.renderNodes(((node.body as Node).body as Node).children as Node[], frame, out);
      value = out.text();
    }
    const values = targets.length === 1 ? [value] : iterate(value);
    if (values.length !== targets.length) throw new TemplateRuntimeError(`cannot unpack ${values.length} values into ${targets.length} variables`);
    targets.forEach((target, i) => {
      if (target.typename === 'Symbol') {
        const name = String(target.value);
        frame.set(name, values[i]);
        if (toplevel && !name.startsWith('_')) frame.ctx.exports(name, true);
      } else if (target.typename === 'LookupVal' && target.dot) {
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
    const hidden = hiddenFromIncludes(node, ['varargs', 'kwargs', 'caller']);
    return new PyFunction(name, (args, kwargs) => this.within(() => {
      const scope = new Frame(frame, undefined, undefined, false, hidden);
      const rest = { ...kwargs };
      params.forEach((p, i) => {
        if (i < args.length) scope.set(p.name, args[i]);
        else if (Object.prototype.hasOwnProperty.call(rest, p.name)) scope.set(p.name, rest[p.name]);
        else if (p.default) scope.set(p.name, this.expr(p.default, scope));
        else scope.set(p.name, this.undefinedAt(p.name, `'${p.name}' is undefined: macro '${name}' was called without it`, node));
        delete rest[p.name];
      });
      scope.set('varargs', tuple(args.slice(params.length)));
      if (Object.prototype.hasOwnProperty.call(rest, 'caller')) {
        scope.set('caller', rest.caller);
        delete rest.caller;
      }
      scope.set('kwargs', rest);
      const out = new Output();
      this.renderNodes(body, scope, out);
      return out.text();
    }));
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
        if (name === 'self') return this.renderer.templateReference(frame.ctx);
        const v = frame.lookup(name);
        if (v !== MISSING) return v;
        if (Object.prototype.hasOwnProperty.call(constants, name)) return constants[name];
        if (Object.prototype.hasOwnProperty.call(globals, name)) return globals[name];
        if (Object.prototype.hasOwnProperty.call(this.renderer.lookupFunctions, name)) return this.renderer.lookupFunctions[name];
        return this.undefinedAt(name, `'${name}' is undefined`, node);
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
        return new LenientUndefined(describe(node.body as Node), `the inline if-expression on line ${node.lineno + 1} evaluated to false and no else section was defined.`, node.lineno + 1, node.colno + 1, this.unit.file);
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
    const out = new Output();
    this.renderNodes((node.body as Node).children as Node[], frame, out);
    return out.text();
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
    if (target instanceof LenientUndefined) throw new UndefinedError(target);
    if (target instanceof Undefined) return target;
    failIfUndefined(key);
    const found = getItem(target, key, node.dot === true);
    if (found !== MISSING) return found;
    const owner = describe(node.target as Node);
    const what = typeof key === 'string' ? `attribute '${key}'` : `item ${repr(key)}`;
    const message = target === null ? `'${owner}' is None, so it has no ${what}` : `'${owner}' has no ${what}`;
    return this.undefinedAt(describe(node), message, leftmost(node));
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
  if (obj instanceof TemplateObject) {
    const v = typeof key === 'string' ? obj.attribute(key) : undefined;
    return v === undefined ? MISSING : v;
  }
  if (obj instanceof BlockReference && key === 'super') return obj.next();
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

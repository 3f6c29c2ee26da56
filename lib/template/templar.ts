/**
 * Templating as Ansible does it: Jinja2 with `trim_blocks`, the trailing newline kept, StrictUndefined,
 * Ansible's filters and tests, native values for a lone `{{ expr }}`, and bare-expression conditions.
 *
 * Templates are trusted code, as they are in Ansible: a template can read every variable it is given and
 * call the Python-like methods of any value (including mutating ones such as `list.append`). Render only
 * templates from the playbook's authors.
 */
import { didYouMean, positionOf, problem, rememberPosition, sortProblems, type Problem, type SourcePos } from '../source/index.js';
import { Evaluator, canonicalName, lookupEnvironment, unsupportedTags, type LookupHost, type Variables } from './evaluate.js';
import { filters } from './filters.js';
import { templateNames } from './names.js';
import { parseTemplate, TemplateSyntaxError, type Node } from './parse.js';
import { TemplateRuntimeError, UndefinedError, isDict, toPlain, truthy } from './python.js';
import { asAnsibleData } from './literal.js';
import { tests } from './tests.js';
import { findLookup, loopItems, lookupNames } from './lookups.js';

export type { Variables } from './evaluate.js';

/** Receives the variables a checked template reads (placed in its file) and the names it guards. */
export type NameSink = (reads: { name: string; pos: SourcePos }[], guarded: ReadonlySet<string>) => void;

/** A template that failed to parse or to render, with where in the file it happened. */
export class TemplateError extends Error {
  override name = 'TemplateError';
  constructor(
    message: string,
    readonly pos?: SourcePos,
    /** the undefined variable or attribute path, e.g. `hostvars['web1'].port` */
    readonly variable?: string,
  ) {
    super(message);
  }

  toProblem(): Problem {
    return problem(this.pos, this.message);
  }
}

/** A condition as playbooks write it: an expression, a boolean, or a list of them (all must hold). */
export type Condition = string | boolean | number | null | readonly Condition[];

/** Where a string came from: a template file (lines are the file's), or a string inside YAML at `where`. */
type Origin = { kind: 'file'; file: string } | { kind: 'string'; where?: SourcePos | undefined; offset: number };

function place(origin: Origin, line: number, col: number): SourcePos {
  if (origin.kind === 'file') return { file: origin.file, line, col };
  const where = origin.where;
  if (!where) return { file: '<template>', line, col: line === 1 ? col - origin.offset : col };
  // inside a YAML string: exact on its first line (after an opening quote), the string's own columns after
  if (line === 1) return { file: where.file, line: where.line, col: where.col + (where.quoted ? 1 : 0) + col - 1 - origin.offset };
  return { file: where.file, line: where.line + line - 1, col };
}

function hasTemplate(text: string): boolean {
  return text.includes('{{') || text.includes('{%') || text.includes('{#');
}

// A bare expression is parsed as `{{ expr }}`; columns are shifted back by the 3 added characters.
const exprPrefix = '{{ ';

/** the filters whose result Ansible keeps as text when it is the whole template (ansible-core's default STRING_TYPE_FILTERS) */
const STRING_TYPE_FILTERS: ReadonlySet<string> = new Set(['string', 'to_json', 'to_nice_json', 'to_yaml', 'to_nice_yaml', 'ppretty', 'json']);

/** Ansible's shortcut for a template that is one variable's name: its number, boolean or None is kept */
const SINGLE_VAR = /^\{\{\s*(\w*)\s*\}\}$/;

function wrapExpression(expr: string): string {
  return `${exprPrefix}${expr} }}`;
}

export interface TemplarOptions {
  /** warnings, such as `when: "{{ x }}"` (Ansible warns about templating delimiters in conditions) */
  onWarning?: (warning: Problem) => void;
}

export class Templar {
  constructor(private readonly options: TemplarOptions = {}) {}

  /**
   * A string from YAML, as Ansible 2.14's Templar renders it: unchanged without `{{`/`{%`/`{#`; `{{ name }}` of
   * a number, boolean or None is that value; otherwise a list or dict from exactly one `{{ expr }}`, and any
   * other result as text, made data as Ansible makes it (literal.ts: '[1, 2]' is a list, None is '').
   */
  renderString(text: string, vars: Variables, where?: SourcePos): unknown {
    if (!hasTemplate(text)) return text;
    const single = SINGLE_VAR.exec(text);
    if (single) {
      const value = typeof vars === 'function' ? vars(single[1]!) : Object.prototype.hasOwnProperty.call(vars, single[1]!) ? vars[single[1]!] : undefined;
      if (value === null || typeof value === 'boolean' || typeof value === 'number') return value;
    }
    const origin: Origin = { kind: 'string', where, offset: 0 };
    const root = this.parse(text, origin);
    const children = root.children as Node[];
    const only = children.length === 1 && children[0]!.typename === 'Output' ? ((children[0]!.children as Node[]).length === 1 ? (children[0]!.children as Node[])[0] : undefined) : undefined;
    return this.run(origin, () => {
      const evaluator = new Evaluator(vars, this.lookupHost(origin));
      if (!only || only.typename === 'TemplateData') return asAnsibleData(evaluator.render(root));
      const value = evaluator.value(only);
      // Ansible's STRING_TYPE_FILTERS: the text of `{{ x | to_json }}` stays text
      return only.typename === 'Filter' && STRING_TYPE_FILTERS.has(String((only.name as Node).value)) ? toPlain(value) : asAnsibleData(value);
    });
  }

  /** A template file's text, as the template module renders it. */
  renderTemplate(text: string, file: string, vars: Variables): string {
    const origin: Origin = { kind: 'file', file };
    const root = this.parse(text, origin);
    return this.run(origin, () => new Evaluator(vars, this.lookupHost(origin)).render(root));
  }

  /** A bare expression (`when:`, `that:`, `until:`), to its value. */
  evaluate(expr: string, vars: Variables, where?: SourcePos): unknown {
    const origin: Origin = { kind: 'string', where, offset: exprPrefix.length };
    const node = this.expression(expr, origin);
    return this.run(origin, () => toPlain(new Evaluator(vars, this.lookupHost(origin)).value(node)));
  }

  /** A condition, Python-truthy; a list means all of them. */
  condition(cond: Condition, vars: Variables, where?: SourcePos): boolean {
    if (Array.isArray(cond)) return cond.every((c: Condition, i: number) => this.condition(c, vars, positionOf(cond, i) ?? where));
    if (typeof cond !== 'string') return truthy(cond);
    if (hasTemplate(cond)) {
      this.options.onWarning?.(problem(where, `conditional statements should not include jinja2 templating delimiters such as {{ }} or {% %}: ${cond}`, { severity: 'warning' }));
      const rendered = this.renderString(cond, vars, where);
      if (typeof rendered !== 'string') return truthy(rendered);
      return this.condition(rendered, vars, where);
    }
    const origin: Origin = { kind: 'string', where, offset: exprPrefix.length };
    const node = this.expression(cond, origin);
    return this.run(origin, () => truthy(new Evaluator(vars, this.lookupHost(origin)).value(node)));
  }

  /**
   * The items of a `with_<lookup>` loop whose value is already rendered; `subdir`: where first_found looks
   * ('vars' for include_vars, 'templates' for template, 'files' otherwise, as the task executor sets it).
   */
  loopItems(lookup: string, value: unknown, vars: Variables, where: SourcePos | undefined, subdir: string): unknown[] {
    const origin: Origin = { kind: 'string', where, offset: 0 };
    return this.run(origin, () => loopItems(lookup, value, lookupEnvironment(vars, this.lookupHost(origin), subdir)).map(toPlain));
  }

  /** A recursively templated copy of loaded YAML data (mapping keys too); positions are kept. */
  renderData(value: unknown, vars: Variables, where?: SourcePos): unknown {
    if (typeof value === 'string') return this.renderString(value, vars, where);
    if (Array.isArray(value)) {
      const out = value.map((item, i) => this.renderData(item, vars, positionOf(value, i) ?? where));
      const pos = positionOf(value);
      if (pos) rememberPosition(out, pos);
      return out;
    }
    if (isDict(value)) {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        const at = positionOf(value, key) ?? where;
        const newKey = hasTemplate(key) ? String(this.renderString(key, vars, at)) : key;
        Object.defineProperty(out, newKey, { value: this.renderData(value[key], vars, at), enumerable: true, writable: true, configurable: true });
      }
      const pos = positionOf(value);
      if (pos) rememberPosition(out, pos);
      return out;
    }
    return value;
  }

  /** Syntax errors and unknown filters/tests of a template file, without rendering it. */
  checkTemplate(text: string, file: string, names?: NameSink): Problem[] {
    return this.check(() => this.parse(text, { kind: 'file', file }), { kind: 'file', file }, names);
  }

  /** The same for a string from YAML at `where` (nothing to check without `{{`/`{%`). */
  checkString(text: string, where: SourcePos, names?: NameSink): Problem[] {
    if (!hasTemplate(text)) return [];
    const origin: Origin = { kind: 'string', where, offset: 0 };
    return this.check(() => this.parse(text, origin), origin, names);
  }

  /** The same for a bare expression (`when:`, `that:`...). */
  checkExpression(expr: string, where: SourcePos, names?: NameSink): Problem[] {
    const origin: Origin = { kind: 'string', where, offset: exprPrefix.length };
    return this.check(() => this.expression(expr, origin), origin, names);
  }

  private check(parse: () => Node, origin: Origin, names?: NameSink): Problem[] {
    let root: Node;
    try {
      root = parse();
    } catch (err) {
      if (err instanceof TemplateError) return [err.toProblem()];
      throw err;
    }
    if (names) {
      const found = templateNames(root);
      names(found.reads.map((r) => ({ name: r.name, pos: place(origin, r.line, r.col) })), found.guarded);
    }
    const problems: Problem[] = [];
    walk(root, (node) => {
      const at = (n: Node): SourcePos => place(origin, n.lineno + 1, n.colno + 1);
      const name = (n: Node): string => String((n.name as Node).value);
      const literalArg = (i: number): Node | undefined => {
        const arg = ((node.args as Node).children as Node[])[i];
        return arg?.typename === 'Literal' && typeof arg.value === 'string' ? arg : undefined;
      };
      const checkName = (kind: 'filter' | 'test', value: string, n: Node): void => {
        const registry: object = kind === 'filter' ? filters : tests;
        if (Object.prototype.hasOwnProperty.call(registry, canonicalName(value))) return;
        const hint = didYouMean(value, Object.keys(registry));
        problems.push(problem(at(n), `unknown ${kind} '${value}'`, hint ? { hint } : {}));
      };
      if (node.typename === 'Filter') {
        const filterName = name(node);
        checkName('filter', filterName, node);
        const canonical = canonicalName(filterName);
        const testArg = canonical === 'select' || canonical === 'reject' ? literalArg(1) : canonical === 'selectattr' || canonical === 'rejectattr' ? literalArg(2) : undefined;
        if (testArg) checkName('test', testArg.value as string, testArg);
        const filterArg = canonical === 'map' ? literalArg(1) : undefined;
        if (filterArg) checkName('filter', filterArg.value as string, filterArg);
      } else if (node.typename === 'Is') {
        checkName('test', name(node.right as Node), node.right as Node);
      } else if (node.typename === 'FunCall' && (node.name as Node).typename === 'Symbol' && LOOKUP_CALLS.has(String((node.name as Node).value))) {
        // lookup('name', ...): a name no lookup has fails on every render
        const lookup = literalArg(0);
        if (lookup && !findLookup(lookup.value as string)) {
          const hint = didYouMean(lookup.value as string, lookupNames());
          problems.push(problem(at(lookup), `unknown lookup '${String(lookup.value)}'`, hint ? { hint } : {}));
        }
      } else if (node.typename in unsupportedTags) {
        problems.push(problem(at(node), `'${unsupportedTags[node.typename]}' is not supported in typebook templates`));
      }
    });
    return sortProblems(problems);
  }

  /** what lookups called from a template at `origin` render with and warn through */
  private lookupHost(origin: Origin): LookupHost {
    const at = origin.kind === 'file' ? { file: origin.file, line: 1, col: 1 } : origin.where;
    return {
      renderTemplate: (text, file, vars) => this.renderTemplate(text, file, vars),
      warn: (message) => this.options.onWarning?.(problem(at, message, { severity: 'warning' })),
    };
  }

  private parse(text: string, origin: Origin): Node {
    try {
      return parseTemplate(text);
    } catch (err) {
      if (err instanceof TemplateSyntaxError) throw new TemplateError(`template syntax error: ${err.message}`, place(origin, err.line, err.col));
      throw err;
    }
  }

  private expression(expr: string, origin: Origin): Node {
    const root = this.parse(wrapExpression(expr), origin);
    const children = root.children as Node[];
    const output = children.length === 1 && children[0]!.typename === 'Output' ? (children[0]!.children as Node[]) : [];
    if (output.length !== 1 || output[0]!.typename === 'TemplateData') {
      throw new TemplateError(`expected one expression, found ${JSON.stringify(expr)}`, place(origin, 1, 1 + exprPrefix.length));
    }
    return output[0]!;
  }

  private run<T>(origin: Origin, body: () => T): T {
    try {
      return body();
    } catch (err) {
      if (err instanceof UndefinedError) {
        const u = err.undef;
        const e = err as TemplateRuntimeError & { line?: number; col?: number };
        const line = u.line > 0 ? u.line : (e.line ?? 1);
        const col = u.line > 0 ? u.col : (e.col ?? 1);
        throw new TemplateError(u.message, place(origin, line, col), u.name);
      }
      if (err instanceof TemplateRuntimeError) {
        const e = err as TemplateRuntimeError & { line?: number; col?: number };
        throw new TemplateError(err.message, place(origin, e.line ?? 1, e.col ?? 1));
      }
      throw err;
    }
  }
}

const LOOKUP_CALLS = new Set(['lookup', 'query', 'q']);

function walk(node: Node, visit: (n: Node) => void): void {
  visit(node);
  const fields = (node as unknown as { fields: string[] }).fields;
  for (const field of fields) {
    const value = node[field];
    const list = Array.isArray(value) ? value : [value];
    for (const child of list) {
      if (child && typeof child === 'object' && 'typename' in child) walk(child as Node, visit);
    }
  }
}

/**
 * Templating as Ansible does it: Jinja2 with `trim_blocks`, the trailing newline kept, StrictUndefined,
 * Ansible's filters and tests, native values for a lone `{{ expr }}`, and bare-expression conditions.
 *
 * Templates are trusted code, as they are in Ansible: a template can read every variable it is given and
 * call the Python-like methods of any value (including mutating ones such as `list.append`). Render only
 * templates from the playbook's authors.
 */
import { didYouMean, positionOf, problem, rememberPosition, sortProblems, type Problem, type SourcePos } from '../source/index.js';
import { Renderer, canonicalName, lookupEnvironment, unsupportedTags, type ErrorPlace, type LookupHost, type Variables } from './evaluate.js';
import { filters } from './filters.js';
import { TemplateLoader, restoreTrailingNewlines, withoutTrailingNewline } from './loader.js';
import { templateNames } from './names.js';
import { childNodes, parseTemplate, TemplateSyntaxError, type Node } from './parse.js';
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
  /**
   * where `{% include %}` in a string or a bare expression finds templates (Ansible's: the loader's base directory,
   * the playbook's), and in a template file given no search path of its own
   */
  searchPath?: readonly string[];
}

/** How a template file is checked: the search path its includes are found along, the files already checked. */
export interface TemplateCheckOptions {
  searchPath?: readonly string[];
  /** files checked before (by a check of another template): not checked, nor reported, again; the ones checked are added */
  checked?: Set<string>;
}

/** what the Templar names its own template in messages and `self` */
function originName(origin: Origin): string {
  return origin.kind === 'file' ? origin.file : (origin.where?.file ?? '<template>');
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
      const renderer = this.renderer(vars, origin, this.options.searchPath);
      if (!only || only.typename === 'TemplateData') {
        // as Ansible's do_template: Jinja drops the text's last newline, the newlines the output lacks are added back
        const body = withoutTrailingNewline(text);
        return asAnsibleData(restoreTrailingNewlines(text, renderer.render(body === text ? root : this.parse(body, origin), originName(origin))));
      }
      const value = renderer.value(only, originName(origin));
      // Ansible's STRING_TYPE_FILTERS: the text of `{{ x | to_json }}` stays text
      return only.typename === 'Filter' && STRING_TYPE_FILTERS.has(String((only.name as Node).value)) ? toPlain(value) : asAnsibleData(value);
    });
  }

  /**
   * A template file's text, as the template module renders it; `searchPath`: where its `{% include %}`s and
   * `{% extends %}`s find templates (lib/ansible's templateSearchPath), else the Templar's.
   */
  renderTemplate(text: string, file: string, vars: Variables, searchPath?: readonly string[]): string {
    const origin: Origin = { kind: 'file', file };
    const root = this.parse(withoutTrailingNewline(text), origin);
    return this.run(origin, () => restoreTrailingNewlines(text, this.renderer(vars, origin, searchPath ?? this.options.searchPath).render(root, file)));
  }

  /** A bare expression (`when:`, `that:`, `until:`), to its value. */
  evaluate(expr: string, vars: Variables, where?: SourcePos): unknown {
    const origin: Origin = { kind: 'string', where, offset: exprPrefix.length };
    const node = this.expression(expr, origin);
    return this.run(origin, () => toPlain(this.renderer(vars, origin, this.options.searchPath).value(node, originName(origin))));
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
    return this.run(origin, () => truthy(this.renderer(vars, origin, this.options.searchPath).value(node, originName(origin))));
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

  /**
   * Syntax errors and unknown filters/tests of a template file, without rendering it, and of the templates it
   * includes, extends or imports by a literal name (found along `searchPath`; one not found is an error).
   */
  checkTemplate(text: string, file: string, names?: NameSink, options: TemplateCheckOptions = {}): Problem[] {
    const origin: Origin = { kind: 'file', file };
    return this.check(() => this.parse(withoutTrailingNewline(text), origin), origin, names, { ...options, searchPath: options.searchPath ?? this.options.searchPath });
  }

  /** The same for a string from YAML at `where` (nothing to check without `{{`/`{%`). */
  checkString(text: string, where: SourcePos, names?: NameSink): Problem[] {
    if (!hasTemplate(text)) return [];
    const origin: Origin = { kind: 'string', where, offset: 0 };
    return this.check(() => this.parse(text, origin), origin, names, this.options.searchPath ? { searchPath: this.options.searchPath } : {});
  }

  /** The same for a bare expression (`when:`, `that:`...). */
  checkExpression(expr: string, where: SourcePos, names?: NameSink): Problem[] {
    const origin: Origin = { kind: 'string', where, offset: exprPrefix.length };
    return this.check(() => this.expression(expr, origin), origin, names, {});
  }

  private check(parse: () => Node, origin: Origin, names: NameSink | undefined, options: TemplateCheckOptions): Problem[] {
    let root: Node;
    try {
      root = parse();
    } catch (err) {
      if (err instanceof TemplateError) return [err.toProblem()];
      throw err;
    }
    const problems: Problem[] = [];
    // the template and those it names, each checked once: `family` grows as they are found
    const family: { root: Node; origin: Origin }[] = [{ root, origin }];
    const loader = options.searchPath ? new TemplateLoader(options.searchPath) : undefined;
    const checked = options.checked ?? new Set<string>();
    if (origin.kind === 'file') checked.add(origin.file);
    for (let i = 0; i < family.length; i++) {
      const member = family[i]!;
      problems.push(...nodeProblems(member.root, member.origin));
      // without a search path, where a name leads is known only when rendering
      if (!loader) continue;
      for (const ref of templateReferences(member.root)) {
        const found = ref.names.map((n) => loader.find(n)).find((f) => f !== undefined);
        if (found === undefined) {
          if (!ref.ignoreMissing) {
            const what = ref.names.length === 1 ? `template '${ref.names[0]!}' not found` : `none of the templates ${ref.names.map((n) => `'${n}'`).join(', ')} found`;
            problems.push(problem(place(member.origin, ref.node.lineno + 1, ref.node.colno + 1), `${ref.node.typename === 'Include' ? 'included ' : ''}${what}`, { expected: loader.searchPath.length ? `a file under one of ${[...new Set(loader.searchPath)].join(', ')}` : 'a template search path' }));
          }
          continue;
        }
        if (checked.has(found)) continue;
        checked.add(found);
        const at: Origin = { kind: 'file', file: found };
        try {
          family.push({ root: parseTemplate(loader.read(found)), origin: at });
        } catch (err) {
          if (!(err instanceof TemplateSyntaxError)) throw err;
          problems.push(problem(place(at, err.line, err.col), `template syntax error: ${err.message}`));
        }
      }
    }
    if (names) {
      // a name one of them binds counts as bound in all: an included template reads its includer's loop variables
      const found = family.map((m) => ({ ...templateNames(m.root), origin: m.origin }));
      const bound = new Set(found.flatMap((f) => [...f.bound]));
      const guarded = new Set(found.flatMap((f) => [...f.guarded]));
      names(found.flatMap((f) => f.reads.filter((r) => !bound.has(r.name)).map((r) => ({ name: r.name, pos: place(f.origin, r.line, r.col) }))), guarded);
    }
    return sortProblems(problems);
  }

  /** a render of a template at `origin`: its lookups, its includes found along `searchPath` */
  private renderer(vars: Variables, origin: Origin, searchPath: readonly string[] | undefined): Renderer {
    return new Renderer(vars, this.lookupHost(origin), searchPath ? new TemplateLoader(searchPath) : undefined);
  }

  /** what lookups called from a template at `origin` render with and warn through */
  private lookupHost(origin: Origin): LookupHost {
    const at = origin.kind === 'file' ? { file: origin.file, line: 1, col: 1 } : origin.where;
    return {
      renderTemplate: (text, file, vars, searchPath) => this.renderTemplate(text, file, vars, searchPath),
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
      if (!(err instanceof TemplateRuntimeError)) throw err;
      const e = err as TemplateRuntimeError & ErrorPlace;
      // a place in an included template's file, or in the Templar's own template
      const at = (file: string | null | undefined, line: number, col: number): SourcePos => (typeof file === 'string' ? place({ kind: 'file', file }, line, col) : place(origin, line, col));
      // the include tags the failing template was rendered from, the innermost first (a few: recursion has many)
      const sites = (e.includedFrom ?? []).map((site) => {
        const p = at(site.file ?? null, site.line, site.col);
        return `${p.file}:${p.line}:${p.col}`;
      });
      const trail = sites.length === 0 ? '' : ` (included from ${sites.slice(0, 3).join(', from ')}${sites.length > 3 ? `, and ${sites.length - 3} more` : ''})`;
      if (err instanceof UndefinedError) {
        const u = err.undef;
        const pos = u.line > 0 ? at(u.file ?? null, u.line, u.col) : at(e.file, e.line ?? 1, e.col ?? 1);
        throw new TemplateError(u.message + trail, pos, u.name);
      }
      throw new TemplateError(err.message + trail, at(e.file, e.line ?? 1, e.col ?? 1));
    }
  }
}

/** The unknown filters, tests and lookups of a parsed template, and the tags typebook does not render. */
function nodeProblems(root: Node, origin: Origin): Problem[] {
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
  return problems;
}

/** The include/extends/import tags of a template that name their templates literally (a string, or a list of strings). */
function templateReferences(root: Node): { node: Node; names: string[]; ignoreMissing: boolean }[] {
  const out: { node: Node; names: string[]; ignoreMissing: boolean }[] = [];
  walk(root, (node) => {
    if (!['Include', 'Extends', 'Import', 'FromImport'].includes(node.typename)) return;
    const target = node.template as Node;
    const literal = (n: Node): string | undefined => (n.typename === 'Literal' && typeof n.value === 'string' ? n.value : undefined);
    const single = literal(target);
    const list = node.typename === 'Include' && (target.typename === 'Array' || target.typename === 'Group') ? (target.children as Node[]).map(literal) : undefined;
    const names = single !== undefined ? [single] : list && list.length > 0 && list.every((n) => n !== undefined) ? (list as string[]) : undefined;
    if (names) out.push({ node, names, ignoreMissing: node.ignoreMissing === true });
  });
  return out;
}

const LOOKUP_CALLS = new Set(['lookup', 'query', 'q']);

function walk(node: Node, visit: (n: Node) => void): void {
  visit(node);
  for (const child of childNodes(node)) walk(child, visit);
}

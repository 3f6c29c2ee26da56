/**
 * Jinja2 syntax through nunjucks' lexer and parser, adjusted where nunjucks reads Jinja differently.
 * We only use nunjucks to build the syntax tree; evaluation is ours (evaluate.ts), because Python
 * semantics reach into every operator and nunjucks compiles to JavaScript semantics.
 *
 * The adjustments are made on each lexer/parser *instance* (never on nunjucks' shared prototypes):
 * - string literals decode escapes as Python does (`'\d'` stays `\d`, `\x41`, `\u00e9`);
 * - `trim_blocks` also removes the newline after a comment, as Jinja does;
 * - float literals stay floats (`1.0` prints `1.0`);
 * - `x.0` is an item lookup, as in Jinja;
 * - tests take a single argument without parentheses (`x is divisibleby 3`, `x is sameas true`) and
 *   dotted names (`ansible.builtin.match`);
 * - arithmetic precedence is Jinja's: `+ -` < `~` < `* / // %` < `**`.
 */
import { createRequire } from 'node:module';
import { makeFloat } from './python.js';

/** A nunjucks syntax tree node; fields depend on `typename` (see nunjucks/src/nodes.js). */
export interface Node {
  readonly typename: string;
  lineno: number;
  colno: number;
  [field: string]: unknown;
}

interface Token {
  type: string;
  value: string;
  lineno: number;
  colno: number;
}

interface Tokenizer {
  str: string;
  in_code: boolean;
  index: number;
  lineno: number;
  colno: number;
  nextToken(): Token | null;
  forward(): void;
  current(): string;
  isFinished(): boolean;
  _parseString(delimiter: string): string;
  _matches(text: string): boolean;
  _extractString(text: string): string | null;
}

interface Parser {
  tokens: Tokenizer;
  peekToken(): Token | null;
  nextToken(withWhitespace?: boolean): Token | null;
  pushToken(tok: Token | null): void;
  skip(type: string): boolean;
  skipValue(type: string, value: string): boolean;
  /** tags nunjucks does not know, parsed by their own function (`{% with %}`) */
  extensions: { tags: string[]; parse(p: Parser): Node }[];
  skipSymbol(value: string): boolean;
  expect(type: string): Token;
  fail(message: string, lineno?: number, colno?: number): never;
  parsePrimary(noPostfix?: boolean): Node;
  parsePostfix(node: Node): Node;
  parseAggregate(): Node | null;
  parseFilter(node: Node): Node;
  parseSignature(tolerant?: boolean, noParens?: boolean): Node;
  parseCompare(): Node;
  parseConcat(): Node;
  parsePow(): Node;
  parseIs(): Node;
  parseAsRoot(): Node;
  parseExpression(): Node;
  parseRaw(): Node;
  parseInclude(): Node;
  parseBlock(): Node;
  parseUntilBlocks(...names: string[]): Node;
  advanceAfterBlockEnd(name?: string): Token;
  dropLeadingWhitespace: boolean;
}

type NodeClass = new (lineno: number, colno: number, ...fields: unknown[]) => Node;

interface NunjucksInternals {
  parser: { Parser: new (tokens: Tokenizer) => Parser };
  lexer: { lex(src: string, opts: { trimBlocks?: boolean; lstripBlocks?: boolean }): Tokenizer } & Record<string, string>;
  nodes: Record<string, NodeClass>;
}

const nunjucks = createRequire(import.meta.url)('nunjucks') as NunjucksInternals;
const { lexer, nodes } = nunjucks;
const T = {
  string: lexer.TOKEN_STRING!,
  int: lexer.TOKEN_INT!,
  float: lexer.TOKEN_FLOAT!,
  boolean: lexer.TOKEN_BOOLEAN!,
  none: lexer.TOKEN_NONE!,
  symbol: lexer.TOKEN_SYMBOL!,
  operator: lexer.TOKEN_OPERATOR!,
  tilde: lexer.TOKEN_TILDE!,
  pipe: lexer.TOKEN_PIPE!,
  comma: lexer.TOKEN_COMMA!,
  comment: lexer.TOKEN_COMMENT!,
  leftParen: lexer.TOKEN_LEFT_PAREN!,
  leftBracket: lexer.TOKEN_LEFT_BRACKET!,
  leftCurly: lexer.TOKEN_LEFT_CURLY!,
  rightBracket: lexer.TOKEN_RIGHT_BRACKET!,
  rightCurly: lexer.TOKEN_RIGHT_CURLY!,
  blockStart: lexer.TOKEN_BLOCK_START!,
  blockEnd: lexer.TOKEN_BLOCK_END!,
  variableStart: lexer.TOKEN_VARIABLE_START!,
  variableEnd: lexer.TOKEN_VARIABLE_END!,
  colon: lexer.TOKEN_COLON!,
};
const base = nunjucks.parser.Parser.prototype;

export function makeNode(type: string, lineno: number, colno: number, ...fields: unknown[]): Node {
  const Class = nodes[type];
  if (!Class) throw new Error(`no nunjucks node type ${type}`);
  return new Class(lineno, colno, ...fields);
}

/** A syntax error with its 1-based place inside the template text. */
export class TemplateSyntaxError extends Error {
  override name = 'TemplateSyntaxError';
  constructor(
    message: string,
    readonly line: number,
    readonly col: number,
  ) {
    super(message);
  }
}

const pythonEscapes: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '' };

/** Decodes a string literal's body as Python's unicode-escape does; unknown escapes stay as written. */
export function decodePythonEscapes(raw: string): string {
  return raw.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|[\s\S])/g, (all, esc: string) => {
    if (esc in pythonEscapes) return pythonEscapes[esc]!;
    if (/^[xuU]/.test(esc) && esc.length > 1) return String.fromCodePoint(Number.parseInt(esc.slice(1), 16));
    if (/^[0-7]+$/.test(esc)) return String.fromCodePoint(Number.parseInt(esc, 8));
    return all;
  });
}

function pythonString(this: Tokenizer, delimiter: string): string {
  const startLine = this.lineno;
  const startCol = this.colno;
  this.forward();
  let raw = '';
  while (!this.isFinished() && this.current() !== delimiter) {
    if (this.current() === '\\') {
      raw += '\\';
      this.forward();
    }
    raw += this.current();
    this.forward();
  }
  if (this.isFinished()) throw new TemplateSyntaxError('unterminated string literal', startLine + 1, startCol + 1);
  this.forward();
  return decodePythonEscapes(raw);
}

// Jinja's `x[start:stop:step]`, which nunjucks lacks: a node of our own, evaluated in evaluate.ts
const SliceNode = (nodes.Node as unknown as { extend(name: string, props: object): NodeClass }).extend('Slice', { fields: ['start', 'stop', 'step'] });

// Jinja's `{% with a = 1, b = x %} ... {% endwith %}`, which nunjucks lacks
const WithNode = (nodes.Node as unknown as { extend(name: string, props: object): NodeClass }).extend('With', { fields: ['targets', 'values', 'body'] });

function parseWith(p: Parser): Node {
  const tag = p.nextToken()!;
  const targets: Node[] = [];
  const values: Node[] = [];
  while (p.peekToken()?.type !== T.blockEnd) {
    if (targets.length > 0 && !p.skip(T.comma)) p.fail("expected ',' between the assignments of a 'with'", tag.lineno, tag.colno);
    const target = p.nextToken();
    if (target?.type !== T.symbol) p.fail("expected a name to assign in 'with'", target?.lineno ?? tag.lineno, target?.colno ?? tag.colno);
    targets.push(makeNode('Symbol', target.lineno, target.colno, target.value));
    if (!p.skipValue(T.operator, '=')) p.fail(`expected '=' after '${target.value}' in 'with'`, target.lineno, target.colno);
    values.push(p.parseExpression());
  }
  p.advanceAfterBlockEnd(tag.value);
  const body = p.parseUntilBlocks('endwith');
  p.advanceAfterBlockEnd();
  return new WithNode(tag.lineno, tag.colno, targets, values, body);
}

/** `[index]` or `[start:stop:step]`, after the opening bracket was peeked */
function parseSubscript(p: Parser): Node {
  const open = p.nextToken()!;
  const parts: (Node | null)[] = [null];
  for (;;) {
    const tok = p.peekToken();
    if (!tok) p.fail("expected ']', found the end of the template", open.lineno, open.colno);
    if (tok.type === T.rightBracket) {
      p.nextToken();
      break;
    }
    if (tok.type === T.colon) {
      p.nextToken();
      if (parts.length === 3) p.fail("too many ':' in a slice", tok.lineno, tok.colno);
      parts.push(null);
      continue;
    }
    if (parts[parts.length - 1] !== null) p.fail(`expected ']' or ':', found '${tok.value}'`, tok.lineno, tok.colno);
    parts[parts.length - 1] = p.parseExpression();
  }
  if (parts.length === 1) {
    if (!parts[0]) p.fail('expected an index inside [ ]', open.lineno, open.colno);
    return parts[0];
  }
  return new SliceNode(open.lineno, open.colno, parts[0], parts[1], parts[2] ?? null);
}

const notAnArgument = new Set(['and', 'or', 'not', 'in', 'is', 'if', 'else']);

function installJinjaSyntax(p: Parser, tokens: Tokenizer, trimBlocks: boolean): void {
  tokens._parseString = pythonString;
  p.extensions = [...p.extensions, { tags: ['with'], parse: parseWith }];
  const nextToken = tokens.nextToken.bind(tokens);
  let braces = 0;
  let inBlock = false;
  // a trailing comma dropped before a `)`: `(x,)` is a tuple of one, not x in parentheses
  let commaBeforeParen = false;
  tokens.nextToken = () => {
    const tok = nextToken();
    if (!tok) return tok;
    // a trailing comma in a list, dict or tuple literal (or a call), which Jinja allows and nunjucks refuses
    if (tok.type === T.comma && /^\s*[\]})]/.test(tokens.str.slice(tokens.index))) {
      commaBeforeParen = /^\s*\)/.test(tokens.str.slice(tokens.index));
      return tokens.nextToken();
    }
    if (tok.type === T.blockStart) inBlock = true;
    else if (tok.type === T.blockEnd || tok.type === T.variableStart) inBlock = false;
    else if (tok.type === T.leftCurly) braces++;
    else if (tok.type === T.rightCurly) braces--;
    else if (tok.type === T.variableEnd && tok.value === '}}' && (braces > 0 || inBlock)) {
      // `}}` closing a dict literal, not the tag (Jinja balances braces): give back the second `}`
      tokens.index -= 1;
      tokens.colno -= 1;
      tokens.in_code = true;
      braces--;
      return { type: T.rightCurly, value: '}', lineno: tok.lineno, colno: tok.colno };
    } else if (tok.type === T.float || tok.type === T.int || (tok.type === T.symbol && /^\d+[eE]\d*$/.test(tok.value))) {
      // exponents (`2.5e3`, `1e-5`), which nunjucks' lexer splits
      const exp = /^(?:[eE][-+]?\d+|[-+]\d+)/.exec(tokens.str.slice(tokens.index));
      const needsSign = tok.type === T.symbol && /[eE]$/.test(tok.value);
      if (tok.type === T.symbol && !needsSign) return { ...tok, type: T.float };
      if (exp && (needsSign ? /^[-+]/.test(exp[0]) : /^[eE]/.test(exp[0]))) {
        for (let i = 0; i < exp[0].length; i++) tokens.forward();
        return { ...tok, type: T.float, value: tok.value + exp[0] };
      }
    }
    if (trimBlocks && tok.type === T.comment) {
      if (tokens.current() === '\n') tokens.forward();
      else if (tokens.current() === '\r' && tokens.str[tokens.index + 1] === '\n') {
        tokens.forward();
        tokens.forward();
      }
    }
    return tok;
  };

  // Jinja keeps the newline after `{% raw %}` and trims the one after `{% endraw %}` (trim_blocks)
  p.parseRaw = function (): Node {
    const begun = this.advanceAfterBlockEnd();
    const start = tokens.index;
    const trimmed = /%\}(\r?\n)$/.exec(tokens.str.slice(Math.max(0, start - 4), start));
    const end = /\{%-?\s*endraw\s*-?%\}/.exec(tokens.str.slice(start));
    if (!end) throw new TemplateSyntaxError("missing '{% endraw %}' for this '{% raw %}'", begun.lineno + 1, begun.colno + 1);
    let body = tokens.str.slice(start, start + end.index);
    if (trimBlocks && trimmed) body = trimmed[1]! + body;
    if (end[0].startsWith('{%-')) body = body.replace(/\s+$/, '');
    for (let i = 0; i < end.index + end[0].length; i++) tokens.forward();
    if (end[0].endsWith('-%}')) this.dropLeadingWhitespace = true;
    else if (trimBlocks && tokens.current() === '\n') tokens.forward();
    return makeNode('Output', begun.lineno, begun.colno, [makeNode('TemplateData', begun.lineno, begun.colno, body)]);
  };

  // Jinja's `{% include name [ignore missing] [with context|without context] %}` (nunjucks knows no context clause)
  p.parseInclude = function (): Node {
    const tag = this.nextToken()!;
    const node = makeNode('Include', tag.lineno, tag.colno, this.parseExpression(), false);
    if (this.skipSymbol('ignore')) {
      if (!this.skipSymbol('missing')) this.fail("expected 'missing' after 'ignore'", tag.lineno, tag.colno);
      node.ignoreMissing = true;
    }
    node.withContext = parseContextClause(this, true);
    this.advanceAfterBlockEnd(tag.value);
    return node;
  };

  // Jinja's `{% block name [scoped] [required] %} ... {% endblock [name] %}`
  p.parseBlock = function (): Node {
    const tag = this.nextToken()!;
    const name = this.nextToken();
    if (!name || name.type !== T.symbol) throw new TemplateSyntaxError('expected a block name', tag.lineno + 1, tag.colno + 1);
    const node = makeNode('Block', tag.lineno, tag.colno, makeNode('Symbol', name.lineno, name.colno, name.value), null);
    for (let more = true; more; ) {
      if (this.skipSymbol('scoped')) node.scoped = true;
      else if (this.skipSymbol('required')) node.required = true;
      else more = false;
    }
    this.advanceAfterBlockEnd(tag.value);
    node.body = this.parseUntilBlocks('endblock');
    this.skipSymbol('endblock');
    const end = this.peekToken();
    if (end?.type === T.symbol) {
      if (end.value !== name.value) this.fail(`'{% endblock ${end.value} %}' closes block '${name.value}'`, end.lineno, end.colno);
      this.nextToken();
    }
    this.advanceAfterBlockEnd('endblock');
    return node;
  };

  p.parseAggregate = function (): Node | null {
    commaBeforeParen = false;
    const node = base.parseAggregate.call(this);
    if (node?.typename === 'Group' && commaBeforeParen) (node as Node & { tuple?: boolean }).tuple = true;
    commaBeforeParen = false;
    return node;
  };
  const parseSignature = p.parseSignature;
  p.parseSignature = function (tolerant?: boolean, noParens?: boolean): Node {
    const node = parseSignature.call(this, tolerant, noParens);
    // a call's trailing comma says nothing of the parentheses around it
    commaBeforeParen = false;
    return node;
  };

  p.parsePrimary = function (noPostfix?: boolean): Node {
    const tok = this.peekToken();
    if (tok?.type === T.float) {
      this.nextToken();
      const node = makeNode('Literal', tok.lineno, tok.colno, makeFloat(Number.parseFloat(tok.value)));
      return noPostfix ? node : this.parsePostfix(node);
    }
    return base.parsePrimary.call(this, noPostfix);
  };

  p.parsePostfix = function (start: Node): Node {
    let node = start;
    for (let tok = this.peekToken(); tok; tok = this.peekToken()) {
      if (tok.type === T.leftParen) {
        node = makeNode('FunCall', tok.lineno, tok.colno, node, this.parseSignature());
      } else if (tok.type === T.leftBracket) {
        node = makeNode('LookupVal', tok.lineno, tok.colno, node, parseSubscript(this));
      } else if (tok.type === T.operator && tok.value === '.') {
        this.nextToken();
        const val = this.nextToken();
        if (val?.type === T.symbol) {
          node = makeNode('LookupVal', tok.lineno, tok.colno, node, makeNode('Literal', val.lineno, val.colno, val.value));
          // `x.y` looks for an attribute (a method) before a key, `x['y']` the other way round
          node.dot = true;
        } else if (val?.type === T.int || val?.type === T.float) {
          // `x.0` is x[0]; the lexer reads `x.0.1` as `x` `.` `0.1`, and `x.0.name` as `x` `.` `0.` `name`
          for (const part of val.value.split('.')) {
            if (part === '') continue;
            node = makeNode('LookupVal', tok.lineno, tok.colno, node, makeNode('Literal', val.lineno, val.colno, Number.parseInt(part, 10)));
          }
          if (val.value.endsWith('.')) this.pushToken({ type: T.operator, value: '.', lineno: val.lineno, colno: val.colno + val.value.length - 1 });
        } else {
          this.fail(`expected a name after '.', got ${val ? `'${val.value}'` : 'end of template'}`, val?.lineno ?? tok.lineno, val?.colno ?? tok.colno);
        }
      } else break;
    }
    return node;
  };

  p.parseIs = function (): Node {
    const node = this.parseCompare();
    if (!this.skipSymbol('is')) return node;
    const negated = this.skipSymbol('not');
    const nameTok = this.nextToken();
    if (!nameTok || ![T.symbol, T.none, T.boolean].includes(nameTok.type)) {
      throw new TemplateSyntaxError(`expected a test name after 'is', found ${nameTok ? `'${nameTok.value}'` : 'the end of the expression'}`, (nameTok ?? node).lineno + 1, (nameTok ?? node).colno + 1);
    }
    let name = nameTok.value === 'null' ? 'none' : nameTok.value;
    if (nameTok.type === T.symbol) while (this.skipValue(T.operator, '.')) name += '.' + this.expect(T.symbol).value;
    const next = this.peekToken();
    let args: Node;
    if (next?.type === T.leftParen) args = this.parseSignature();
    else if (next && ([T.string, T.int, T.float, T.boolean, T.none, T.leftBracket, T.leftCurly].includes(next.type) || (next.type === T.symbol && !notAnArgument.has(next.value)))) {
      args = makeNode('NodeList', next.lineno, next.colno, [this.parsePrimary()]);
    } else args = makeNode('NodeList', nameTok.lineno, nameTok.colno, []);
    const test = makeNode('FunCall', nameTok.lineno, nameTok.colno, makeNode('Symbol', nameTok.lineno, nameTok.colno, name), args);
    const is = makeNode('Is', node.lineno, node.colno, node, test);
    const result = negated ? makeNode('Not', node.lineno, node.colno, is) : is;
    // Jinja chains filters after a test: `x is defined | bool` is bool(x is defined)
    return this.peekToken()?.type === T.pipe ? this.parseFilter(result) : result;
  };

  // Jinja's precedence: parseConcat is what nunjucks' comparison level calls for its operands.
  const binaryLevel = (ops: Record<string, string>, operand: () => Node, type: string) => (): Node => {
    let node = operand();
    for (;;) {
      const tok = p.peekToken();
      const name = tok && tok.type === type ? ops[tok.value] : undefined;
      if (!tok || !name) return node;
      p.nextToken();
      node = makeNode(name, node.lineno, node.colno, node, operand());
    }
  };
  const math2 = binaryLevel({ '*': 'Mul', '/': 'Div', '//': 'FloorDiv', '%': 'Mod' }, () => p.parsePow(), T.operator);
  const concat = binaryLevel({ '~': 'Concat' }, math2, T.tilde);
  p.parseConcat = binaryLevel({ '+': 'Add', '-': 'Sub' }, concat, T.operator);
}

/** `with context` (true), `without context` (false), or `dflt` when the tag says neither */
function parseContextClause(p: Parser, dflt: boolean): boolean {
  const tok = p.peekToken();
  if (tok?.type !== T.symbol || (tok.value !== 'with' && tok.value !== 'without')) return dflt;
  p.nextToken();
  if (!p.skipSymbol('context')) p.fail(`expected 'context' after '${tok.value}'`, tok.lineno, tok.colno);
  return tok.value === 'with';
}

/** The nodes directly under a node (its fields that hold nodes; a `{% set %}` block's body, which is none). */
export function childNodes(node: Node): Node[] {
  const out: Node[] = [];
  const fields = (node as unknown as { fields: string[] }).fields;
  for (const field of node.typename === 'Set' ? [...fields, 'body'] : fields) {
    const value = node[field];
    for (const child of Array.isArray(value) ? value : [value]) if (child && typeof child === 'object' && 'typename' in child) out.push(child as Node);
  }
  return out;
}

const blocksOf = new WeakMap<Node, ReadonlyMap<string, Node>>();

/**
 * A template's `{% block %}`s by name, nested ones too (what a template extending it may override). Jinja's
 * compile-time errors come from here: a block defined twice, `{% extends %}` inside a loop, macro or block.
 */
export function templateBlocks(root: Node): ReadonlyMap<string, Node> {
  const known = blocksOf.get(root);
  if (known) return known;
  const blocks = new Map<string, Node>();
  const visit = (node: Node, toplevel: boolean): void => {
    if (node.typename === 'Block') {
      const name = String((node.name as Node).value);
      if (blocks.has(name)) throw new TemplateSyntaxError(`block '${name}' defined twice`, node.lineno + 1, node.colno + 1);
      blocks.set(name, node);
    } else if (node.typename === 'Extends' && !toplevel) {
      throw new TemplateSyntaxError('cannot use extend from a non top-level scope', node.lineno + 1, node.colno + 1);
    }
    // an `if` at the top level keeps it (Jinja's soft frame); every other tag opens a scope of its own
    const keeps = toplevel && (node.typename === 'If' || node.typename === 'NodeList' || node.typename === 'Root');
    for (const child of childNodes(node)) visit(child, keeps);
  };
  visit(root, true);
  blocksOf.set(root, blocks);
  return blocks;
}

export interface ParseOptions {
  trimBlocks: boolean;
}

const cache = new Map<string, Node>();
const cacheLimit = 5000;

/** A `#}` outside a comment is text, as in Jinja (nunjucks refuses it): it ends only a comment that was opened. */
function textCommentEnds(tokens: Tokenizer): void {
  let inComment = false;
  const matches = tokens._matches.bind(tokens);
  const extract = tokens._extractString.bind(tokens);
  tokens._matches = (text: string) => (text === '#}' && !inComment ? false : matches(text));
  tokens._extractString = (text: string) => {
    const found = extract(text);
    if (found !== null && text === '{#') inComment = true;
    if (found !== null && text === '#}') inComment = false;
    return found;
  };
}

/** Parses a template (cached by text); throws TemplateSyntaxError with the place of the mistake. */
export function parseTemplate(text: string, options: ParseOptions = { trimBlocks: true }): Node {
  const key = (options.trimBlocks ? 't' : 'n') + text;
  const hit = cache.get(key);
  if (hit) return hit;
  const tokens = lexer.lex(text, { trimBlocks: options.trimBlocks, lstripBlocks: false });
  textCommentEnds(tokens);
  const parser = new nunjucks.parser.Parser(tokens);
  installJinjaSyntax(parser, tokens, options.trimBlocks);
  let root: Node;
  try {
    root = parser.parseAsRoot();
  } catch (err) {
    throw toSyntaxError(err, tokens);
  }
  templateBlocks(root);
  if (cache.size >= cacheLimit) cache.delete(cache.keys().next().value!);
  cache.set(key, root);
  return root;
}

function toSyntaxError(err: unknown, tokens: Tokenizer): Error {
  if (err instanceof TemplateSyntaxError) return err;
  if (!(err instanceof Error)) return new TemplateSyntaxError(String(err), tokens.lineno + 1, tokens.colno + 1);
  const located = err as Error & { lineno?: number; colno?: number };
  const message = err.message
    .replace(/^\w+: (?=expected|variable|invalid|Expected)/, '')
    .replace(/^expected variable end$/, "expected '}}' to end the expression")
    .replace(/^expected block end in (\w+) statement$/, "expected '%}' to end the '$1' tag")
    .replace(/^expected (\w[\w-]*), got (\w[\w-]*)$/, 'expected $1, found $2');
  if (located.lineno !== undefined && located.colno !== undefined) return new TemplateSyntaxError(message, located.lineno, located.colno);
  return new TemplateSyntaxError(message, tokens.lineno + 1, tokens.colno + 1);
}

/**
 * One type for every user mistake (bad YAML, unknown key, wrong type...), so that all of them can be
 * collected and reported together with their place in the file.
 */
export interface SourcePos {
  file: string;
  /** 1-based */
  line: number;
  /** 1-based */
  col: number;
  /** a quoted YAML string starts here: its text begins one column later */
  quoted?: true;
}

export type Severity = 'error' | 'warning';

export interface Problem extends SourcePos {
  severity: Severity;
  /** What is wrong, naming what was found. */
  message: string;
  /** What would have been right. */
  expected?: string;
  /** A suggestion, usually "did you mean 'x'?". */
  hint?: string;
}

export function problem(pos: SourcePos | undefined, message: string, extra: { expected?: string; hint?: string; severity?: Severity } = {}): Problem {
  const at = pos ?? { file: '<unknown>', line: 0, col: 0 };
  const p: Problem = { file: at.file, line: at.line, col: at.col, severity: extra.severity ?? 'error', message };
  if (extra.expected !== undefined) p.expected = extra.expected;
  if (extra.hint !== undefined) p.hint = extra.hint;
  return p;
}

/** `file:line:col error: message; expected X (did you mean 'y'?)` */
export function formatProblem(p: Problem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.col}` : p.file;
  let text = `${where} ${p.severity}: ${p.message}`;
  if (p.expected) text += `; expected ${p.expected}`;
  if (p.hint) text += ` (${p.hint})`;
  return text;
}

/** Each problem once: a file read twice (a role two plays use) reports its mistakes once. */
export function uniqueProblems(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.severity}\0${formatProblem(p)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** In file order, each once. */
export function sortProblems(problems: Problem[]): Problem[] {
  return uniqueProblems(problems).sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
}

/** Thrown at an API boundary when loading or validation found errors; carries all of them. */
export class ProblemError extends Error {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    const errors = problems.filter((p) => p.severity === 'error');
    super(sortProblems(errors).map(formatProblem).join('\n') || 'invalid input');
    this.name = 'ProblemError';
    this.problems = problems;
  }
}

/** Throws a ProblemError when any problem is an error; returns the warnings otherwise. */
export function throwIfErrors(problems: Problem[]): Problem[] {
  if (problems.some((p) => p.severity === 'error')) throw new ProblemError(problems);
  return problems;
}

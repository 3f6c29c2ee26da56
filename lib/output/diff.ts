/** Unified diffs of a module's before/after, as `--diff` shows them. */
import { printable } from './printable.js';
import type { Diff } from '../modules/module.js';
import { colorizer } from './recap.js';

function lines(text: string): string[] {
  if (text === '') return [];
  const parts = text.split('\n');
  if (parts.at(-1) === '') parts.pop();
  return parts;
}

type Op = { kind: ' ' | '-' | '+'; text: string; ai: number; bi: number };

/**
 * Past this many inserted plus deleted lines the middle of the files is shown as removed then added whole: Myers'
 * algorithm costs O((n + m) * D) time and memory in the edit distance D, and a diff that large is not read line
 * by line anyway.
 */
const MAX_EDITS = 1000;

/**
 * The edit script from `a` to `b`: Myers' O((n + m) D) algorithm on what lies between the common prefix and
 * suffix, so that one changed line in a large file costs next to nothing. Deletions come before insertions.
 */
export function editScript(a: readonly string[], b: readonly string[]): Op[] {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;
  const ops: Op[] = [];
  for (let i = 0; i < prefix; i++) ops.push({ kind: ' ', text: a[i]!, ai: i, bi: i });
  middle(a, b, prefix, a.length - suffix, prefix, b.length - suffix, ops);
  for (let s = suffix; s > 0; s--) ops.push({ kind: ' ', text: a[a.length - s]!, ai: a.length - s, bi: b.length - s });
  return ops;
}

function middle(a: readonly string[], b: readonly string[], a0: number, a1: number, b0: number, b1: number, ops: Op[]): void {
  const n = a1 - a0;
  const m = b1 - b0;
  const max = Math.min(n + m, MAX_EDITS);
  const offset = max + 1;
  // v[k + offset]: the furthest x on diagonal k (x - y = k); one snapshot per d to walk the path back.
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = n + m === 0 ? 0 : -1;
  for (let d = 0; found < 0 && d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[k - 1 + offset]! < v[k + 1 + offset]!) ? v[k + 1 + offset]! : v[k - 1 + offset]! + 1;
      let y = x - k;
      while (x < n && y < m && a[a0 + x] === b[b0 + y]) {
        x++;
        y++;
      }
      v[k + offset] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) {
    for (let i = a0; i < a1; i++) ops.push({ kind: '-', text: a[i]!, ai: i, bi: b0 });
    for (let j = b0; j < b1; j++) ops.push({ kind: '+', text: b[j]!, ai: a1, bi: j });
    return;
  }
  // Walk back from (n, m): each step is a run of equal lines preceded by one insertion or deletion.
  const reversed: Op[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const before = trace[d]!;
    const k = x - y;
    const down = k === -d || (k !== d && before[k - 1 + offset]! < before[k + 1 + offset]!);
    const prevK = down ? k + 1 : k - 1;
    const prevX = before[prevK + offset]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      reversed.push({ kind: ' ', text: a[a0 + x]!, ai: a0 + x, bi: b0 + y });
    }
    if (down) reversed.push({ kind: '+', text: b[b0 + prevY]!, ai: a0 + prevX, bi: b0 + prevY });
    else reversed.push({ kind: '-', text: a[a0 + prevX]!, ai: a0 + prevX, bi: b0 + prevY });
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    x--;
    y--;
    reversed.push({ kind: ' ', text: a[a0 + x]!, ai: a0 + x, bi: b0 + y });
  }
  ops.push(...orderChanges(reversed.reverse()));
}

/** Within each run of changes, deletions first, as diff -u prints them. */
function orderChanges(ops: Op[]): Op[] {
  const out: Op[] = [];
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.kind === ' ') {
      out.push(ops[k++]!);
      continue;
    }
    const run: Op[] = [];
    while (k < ops.length && ops[k]!.kind !== ' ') run.push(ops[k++]!);
    const ai = run[0]!.ai;
    const bi = run[0]!.bi;
    const removed = run.filter((o) => o.kind === '-');
    const added = run.filter((o) => o.kind === '+');
    removed.forEach((o, i) => out.push({ ...o, ai: ai + i, bi }));
    added.forEach((o, i) => out.push({ ...o, ai: ai + removed.length, bi: bi + i }));
  }
  return out;
}

/** A hunk's range as diff -u and Python's difflib write it: `start,length`, or `start` alone for one line. */
function range(start: number, length: number): string {
  if (length === 1) return `${start + 1}`;
  return `${length ? start + 1 : start},${length}`;
}

/** A unified diff (3 lines of context) of `before` and `after`; empty when they are the same. */
export function unifiedDiff(diff: Diff, color: boolean): string {
  const c = colorizer(color);
  const ops = editScript(lines(diff.before), lines(diff.after));
  const changed = ops.map((op, k) => (op.kind !== ' ' ? k : -1)).filter((k) => k >= 0);
  if (changed.length === 0) return '';
  const out: string[] = [`--- ${printable(diff.beforeHeader ?? 'before')}`, `+++ ${printable(diff.afterHeader ?? 'after')}`];
  let k = 0;
  while (k < changed.length) {
    const start = Math.max(0, changed[k]! - 3);
    let end = Math.min(ops.length, changed[k]! + 4);
    while (k + 1 < changed.length && changed[k + 1]! - 3 <= end) end = Math.min(ops.length, changed[++k]! + 4);
    k++;
    const hunk = ops.slice(start, end);
    const aStart = hunk[0]!.ai;
    const bStart = hunk[0]!.bi;
    const aLen = hunk.filter((o) => o.kind !== '+').length;
    const bLen = hunk.filter((o) => o.kind !== '-').length;
    out.push(c.cyan(`@@ -${range(aStart, aLen)} +${range(bStart, bLen)} @@`));
    for (const op of hunk) {
      const text = printable(op.text);
      out.push(op.kind === '+' ? c.green(`+${text}`) : op.kind === '-' ? c.red(`-${text}`) : ` ${text}`);
    }
  }
  return out.join('\n') + '\n';
}

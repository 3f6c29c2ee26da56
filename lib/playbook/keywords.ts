/**
 * Keywords as loaded from a play, block, role entry or task: normalized to one shape (a `when` is always a
 * list, one loop whatever its keyword) and keeping the positions they were written at.
 */
import { isPlainObject } from '../modules/coerce.js';
import { keyPositionOf, positionOf, positionsFrom, rememberPosition, type SourcePos } from '../source/index.js';
import { findLookup } from '../template/lookups.js';
import type { Condition, InheritedKeywords, TaskKeywords } from './types.js';

/** `loop` and `with_<lookup>` for every lookup typebook has (any other with_ key is an unknown keyword, reported by the schema) */
export function isLoopKeyword(name: string): name is 'loop' | `with_${string}` {
  return name === 'loop' || (name.startsWith('with_') && findLookup(name.slice('with_'.length)) !== undefined);
}

type Raw = Record<string, unknown>;

export const inheritedNames = ['become', 'become_user', 'become_method', 'environment', 'ignore_errors', 'ignore_unreachable', 'any_errors_fatal', 'check_mode', 'diff', 'no_log', 'throttle', 'timeout', 'run_once', 'delegate_to', 'delegate_facts', 'connection', 'remote_user', 'module_defaults'] as const;

/** `when: x` and `when: [a, b]` both become a list (all must hold) */
function conditions(value: unknown): Condition[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = Array.isArray(value) ? value : [value];
  const valid = (c: unknown): c is Condition => typeof c === 'string' || typeof c === 'boolean';
  // a list as loaded keeps its items' positions
  return list.every(valid) ? list : list.filter(valid);
}

export function stringList(value: unknown, splitCommas = false): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  // a list of strings is kept as loaded, so that its items keep their positions
  if (!splitCommas && Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  const list = Array.isArray(value) ? value : [value];
  const strings = list.map(String);
  return splitCommas ? strings.flatMap((s) => s.split(',').map((t) => t.trim()).filter((t) => t !== '')) : strings;
}

/** The keywords that blocks, roles and plays pass down, as written, with their positions. */
export function inherited(raw: Raw): InheritedKeywords {
  const k: InheritedKeywords = {};
  const when = conditions(raw.when);
  if (when) k.when = when;
  const tags = stringList(raw.tags, true);
  if (tags) k.tags = tags;
  for (const name of inheritedNames) if (raw[name] !== undefined) (k as Record<string, unknown>)[name] = raw[name];
  // where each keyword's value was written, for problems found in it later (a `when` that does not parse)
  positionsFrom(k, raw);
  return k;
}

/** A task's own keywords, normalized (loop keywords to one loop, condition and notify lists); `report` hears about two loops. */
export function taskKeywordsOf(raw: Raw, pos: SourcePos, report: (at: SourcePos, message: string) => void): TaskKeywords {
  const k: TaskKeywords = inherited(raw);
  const loops = Object.keys(raw).filter((name) => isLoopKeyword(name) && raw[name] !== undefined) as ('loop' | `with_${string}`)[];
  if (loops.length > 1) report(keyPositionOf(raw, loops[1]!) ?? pos, `a task has one loop, this one has ${loops.join(' and ')}`);
  if (loops[0]) {
    k.loop = raw[loops[0]];
    k.loopKind = loops[0];
  }
  if (isPlainObject(raw.loop_control)) k.loop_control = raw.loop_control;
  if (typeof raw.register === 'string') k.register = raw.register;
  const notify = stringList(raw.notify);
  if (notify) {
    // a single name becomes a list: it keeps the position of the string it was
    if (!Array.isArray(raw.notify)) rememberPosition(notify, positionOf(raw, 'notify') ?? pos);
    k.notify = notify;
  }
  const listen = stringList(raw.listen);
  if (listen) k.listen = listen;
  for (const name of ['changed_when', 'failed_when', 'until'] as const) {
    const c = conditions(raw[name]);
    if (c) k[name] = c;
  }
  if (raw.retries !== undefined) k.retries = raw.retries;
  if (raw.delay !== undefined) k.delay = raw.delay;
  return k;
}

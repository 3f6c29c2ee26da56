/**
 * Where each host of a play stands (failed, unreachable, ended) and what its outcomes count for in the recap,
 * with the event that reports each outcome.
 */
import type { Diff, ValueDiff } from '../modules/module.js';
import { toJson } from '../template/serialize.js';
import { emptyStats, type EventListener, type HostResultEvent, type HostStats } from './events.js';
import type { Outcome } from './task.js';

export interface HostState {
  failed: boolean;
  unreachable: boolean;
  /** left the play by meta: end_host */
  ended: boolean;
}

export class HostStates {
  private readonly states = new Map<string, HostState>();

  constructor(
    /** the run's recap, shared by every play */
    private readonly recap: Map<string, HostStats>,
    private readonly emit: EventListener,
  ) {}

  /** every host of the play starts in it */
  start(hosts: readonly string[]): void {
    for (const h of hosts) this.states.set(h, { failed: false, unreachable: false, ended: false });
  }

  of(host: string): HostState {
    const state = this.states.get(host);
    if (!state) throw new Error(`internal: host '${host}' is not in the play`);
    return state;
  }

  /** the hosts still in the play: not failed, unreachable or ended */
  active(hosts: readonly string[]): string[] {
    return hosts.filter((h) => {
      const s = this.states.get(h);
      return s !== undefined && !s.failed && !s.unreachable && !s.ended;
    });
  }

  stats(host: string): HostStats {
    let s = this.recap.get(host);
    if (!s) {
      s = emptyStats();
      this.recap.set(host, s);
    }
    return s;
  }

  /** counts the outcome in the recap, updates the host's state, and reports it; `counted`: false for an include (shown, not counted, as in Ansible) */
  record(host: string, outcome: Outcome, id: number, task: string, counted = true): void {
    const stats = this.stats(host);
    const state = this.of(host);
    switch (outcome.status) {
      case 'ok':
        if (counted) stats.ok++;
        break;
      case 'changed':
        stats.ok++;
        stats.changed++;
        break;
      case 'skipped':
        stats.skipped++;
        break;
      case 'failed':
        if (outcome.ignored) {
          stats.ok++;
          stats.ignored++;
          if (outcome.changed) stats.changed++;
        } else {
          stats.failed++;
          state.failed = true;
        }
        break;
      case 'unreachable':
        if (outcome.ignored) {
          stats.ok++;
          stats.ignored++;
        } else {
          stats.unreachable++;
          state.unreachable = true;
        }
        break;
    }
    this.emit(hostResult(host, outcome, id, task));
  }
}

/** the event that reports an outcome */
export function hostResult(host: string, outcome: Outcome, id: number, task: string): HostResultEvent {
  const shown = outcome.shown ?? outcome.result;
  const msg = shown.msg;
  const message = typeof msg === 'string' ? msg : msg !== undefined ? JSON.stringify(msg) : undefined;
  return {
    type: 'host_result',
    task,
    id,
    host,
    status: outcome.status,
    changed: outcome.changed,
    ...(outcome.ignored ? { ignored: true } : {}),
    ...(outcome.delegatedTo ? { delegatedTo: outcome.delegatedTo } : {}),
    ...(message !== undefined ? { message } : {}),
    result: shown,
    ...(shownDiffs(shown.diff) ?? {}),
    durationMs: outcome.durationMs,
  };
}

function isValueDiff(diff: unknown): diff is ValueDiff {
  const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);
  return isObject(diff) && isObject((diff as ValueDiff).before) && isObject((diff as ValueDiff).after);
}

/** What `--diff` shows of a result's diff: the files' texts, or each side of a ValueDiff as Ansible's callback serializes it. */
function shownDiffs(diff: unknown): { diff: Diff[] } | undefined {
  if (Array.isArray(diff)) return { diff: diff as Diff[] };
  if (!isValueDiff(diff)) return undefined;
  // json.dumps(sort_keys=True, indent=4, separators=(',', ': ')) + '\n' (CallbackBase._serialize_diff)
  const side = (v: Readonly<Record<string, unknown>>): string => `${toJson(v, { indent: 4, sortKeys: true })}\n`;
  return { diff: [{ before: side(diff.before), after: side(diff.after) }] };
}

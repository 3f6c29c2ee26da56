/**
 * What a run reports, as typed events. The engine emits them; renderers (lib/output) turn them into a
 * live tree, lines, JSON or a recap. Nothing here formats text for people.
 */
import type { Problem } from '../source/index.js';
import type { Diff } from '../modules/module.js';

export type HostStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable';

export interface HostStats {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

export interface PlayStartEvent {
  type: 'play_start';
  play: string;
  /** the hosts the play runs on, after --limit */
  hosts: string[];
  /** the hosts of each batch (serial) */
  batches: string[][];
}

export interface TaskStartEvent {
  type: 'task_start';
  play: string;
  task: string;
  /** task id, unique in the run: results name it */
  id: number;
  hosts: string[];
  handler: boolean;
  /** file:line of the task */
  where: string;
}

export interface HostResultEvent {
  type: 'host_result';
  task: string;
  id: number;
  host: string;
  /** the host the task ran on, when delegated */
  delegatedTo?: string;
  status: HostStatus;
  changed: boolean;
  /** the failure was ignored (ignore_errors) or rescued */
  ignored?: boolean;
  /** set for the items of a loop; the summary of a loop has no item */
  item?: unknown;
  /** what the output shows: the result's msg, a short reason; censored under no_log */
  message?: string;
  /** the module's result, censored under no_log */
  result: Record<string, unknown>;
  diff?: Diff[];
  durationMs: number;
}

export interface TaskEndEvent {
  type: 'task_end';
  id: number;
  task: string;
}

export interface PlayEndEvent {
  type: 'play_end';
  play: string;
}

export interface WarningEvent {
  type: 'warning';
  problem: Problem;
}

export interface RecapEvent {
  type: 'recap';
  stats: Record<string, HostStats>;
  /** wall time of the run */
  durationMs: number;
  tasks: number;
  hosts: number;
  /** set when the run was interrupted (Ctrl-C, SIGTERM) */
  interrupted?: boolean;
  /** requests sent to each host (commands, file transfers, sockets): the "round trips" of a run */
  roundTrips: Record<string, number>;
}

export type RunEvent = PlayStartEvent | TaskStartEvent | HostResultEvent | TaskEndEvent | PlayEndEvent | WarningEvent | RecapEvent;

export type EventListener = (event: RunEvent) => void;

export function emptyStats(): HostStats {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
}

/**
 * community.general.haproxy: puts a backend server in maintenance, drain or back in service, and sets its
 * weight, through HAProxy's runtime API (the `stats socket ... level admin` of haproxy.cfg) reached by the
 * connection's Unix-socket stream. Same arguments as Ansible's module, with what it gets wrong fixed:
 * - a drain waits until the server has no session (scur) and no queued request (qcur), by counters only, so
 *   a server that is DOWN or already in MAINT (whose status never reads DRAIN) cannot hang the wait;
 * - `wait` with `enabled` waits for a plain `UP` (or `no check`): right after maintenance HAProxy shows `UP 1/2`
 *   before any check ran; `UP 1/2`, `DOWN 2/3`, `MAINT (via b/s)`... are parsed, not matched as substrings;
 * - `changed` comes from the admin state, the weight and the health/agent check switches, never from the
 *   session count; nothing is sent for what is already as asked;
 * - `set server B/S state ready|drain|maint` (not the deprecated enable/disable server), `set weight`,
 *   `shutdown sessions server`; check and diff modes are supported;
 * - `drain: true` with `state: disabled` waits for the sessions as documented (Ansible waits only with
 *   `wait: true`), then puts the server in maintenance; the wait is bounded by wait_retries x wait_interval.
 * - `weight` applies with every state (Ansible applies it with `enabled` only).
 *
 * Round trips (one socket session each; commands of a session go on one line separated by ';'):
 *   nothing to change, or check mode: 1 (show stat + show servers state)
 *   a change: 2 (read; the commands and the read-back in one session)
 *   a wait: +1 per further read while the condition is not met (at most wait_retries reads in all)
 *   disabled + drain: read; drain + read; reads until no session; maint + read: 3 + the waits
 */
import { Type } from '@sinclair/typebox';
import { StringEnum } from './args.js';
import {
  ADMIN,
  HAPROXY_NAME,
  NAME_EXPECTED,
  RuntimeApiError,
  adminStateOf,
  notFoundMessage,
  parseServerStatus,
  pause,
  publicState,
  readSnapshot,
  selectServers,
  type CheckState,
  type ServerState,
} from './haproxy-runtime.js';
import { defineModule, type Diff, type ModuleContext, type ModuleResult } from './module.js';

const DEFAULT_SOCKET = '/var/run/haproxy.sock';
/** absolute 0..256, or relative to the configured weight 0%..100% (Ansible's documented ranges) */
const WEIGHT = '^(?:25[0-6]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$|^(?:100|[1-9]?[0-9])%$';

const args = Type.Object(
  {
    state: StringEnum(['enabled', 'disabled', 'drain'] as const, { description: 'enabled: in service (ready); disabled: maintenance; drain: no new requests' }),
    host: Type.String({ pattern: HAPROXY_NAME, 'x-expected': NAME_EXPECTED, description: 'the server name, as in the backend\'s `server` line' }),
    backend: Type.Optional(Type.String({ pattern: HAPROXY_NAME, 'x-expected': NAME_EXPECTED, description: 'the backend; when left out, every backend that has the server' })),
    weight: Type.Optional(Type.String({ pattern: WEIGHT, 'x-expected': 'a weight: 0 to 256, or 0% to 100% of the configured weight', description: 'an absolute weight 0 to 256, or 0% to 100% of the configured weight' })),
    socket: Type.Optional(Type.String({ minLength: 1, description: `HAProxy's admin socket (default ${DEFAULT_SOCKET})` })),
    shutdown_sessions: Type.Optional(Type.Boolean({ description: 'with state disabled: end the server\'s sessions' })),
    fail_on_not_found: Type.Optional(Type.Boolean({ description: 'fail when the backend or server does not exist (default false: nothing done)' })),
    health: Type.Optional(Type.Boolean({ description: 'also disable/enable the health checks' })),
    agent: Type.Optional(Type.Boolean({ description: 'also disable/enable the agent checks' })),
    wait: Type.Optional(Type.Boolean({ description: 'wait until UP (enabled), MAINT (disabled), or drained of sessions and queue (drain)' })),
    wait_interval: Type.Optional(Type.Integer({ minimum: 0, description: 'seconds between two reads while waiting (default 5)' })),
    wait_retries: Type.Optional(Type.Integer({ minimum: 1, description: 'reads before a wait fails (default 25)' })),
    drain: Type.Optional(Type.Boolean({ description: 'with state disabled: drain first, wait until no session is left, then disable' })),
  },
  { additionalProperties: false },
);

type Args = typeof args.static;
type Step = 'drain-first' | 'final';

const idOf = (s: ServerState): string => `${s.backend}/${s.server}`;

/** The user weight HAProxy sets for `weight` (its own rule: a percentage of the configured weight, rounded down, at most 256). */
export function wantedWeight(weight: string, iweight: number): number {
  const percent = weight.endsWith('%');
  const n = Number(percent ? weight.slice(0, -1) : weight);
  return percent ? Math.min(256, Math.floor((iweight * n) / 100)) : n;
}

function checkCommands(s: ServerState, a: Args, on: boolean): string[] {
  const out: string[] = [];
  const from: CheckState = on ? 'disabled' : 'enabled';
  if (a.health === true && s.health_check === from) out.push(`${on ? 'enable' : 'disable'} health ${idOf(s)}`);
  if (a.agent === true && s.agent_check === from) out.push(`${on ? 'enable' : 'disable'} agent ${idOf(s)}`);
  return out;
}

/** What to send for one server so that it ends as asked (`drain-first`: the drain step of disabled + drain); nothing for what already is. */
export function commandsFor(s: ServerState, a: Args, step: Step): string[] {
  const id = idOf(s);
  const forcedMaint = (s.admin_flags & ADMIN.FMAINT) !== 0;
  const forcedDrain = (s.admin_flags & ADMIN.FDRAIN) !== 0;
  // the weight first: a server coming back takes traffic at its new weight from the start
  const out = a.weight !== undefined && wantedWeight(a.weight, s.iweight) !== s.uweight ? [`set weight ${id} ${a.weight}`] : [];
  if (step === 'drain-first') {
    if (!forcedMaint && !forcedDrain) out.push(`set server ${id} state drain`);
    return out;
  }
  switch (a.state) {
    case 'enabled':
      if (forcedMaint || forcedDrain) out.push(`set server ${id} state ready`);
      out.push(...checkCommands(s, a, true));
      break;
    case 'disabled':
      out.push(...checkCommands(s, a, false));
      if (!forcedMaint) out.push(`set server ${id} state maint`);
      if (a.shutdown_sessions === true && (!forcedMaint || s.scur > 0)) out.push(`shutdown sessions server ${id}`);
      break;
    case 'drain':
      if (!forcedDrain || forcedMaint) out.push(`set server ${id} state drain`);
      break;
  }
  return out;
}

/** The server as the commands would leave it (check mode and the diff's "after" in check mode). */
function predicted(s: ServerState, a: Args): ServerState {
  let flags = s.admin_flags;
  if (a.state === 'enabled') flags &= ~(ADMIN.FMAINT | ADMIN.FDRAIN);
  else if (a.state === 'disabled') flags |= ADMIN.FMAINT;
  else flags = (flags & ~ADMIN.FMAINT) | ADMIN.FDRAIN;
  const checks = (c: CheckState, asked: boolean | undefined): CheckState =>
    asked !== true || c === 'none' || a.state === 'drain' ? c : a.state === 'enabled' ? 'enabled' : 'disabled';
  return {
    ...s,
    admin_flags: flags,
    admin_state: adminStateOf(flags),
    uweight: a.weight === undefined ? s.uweight : wantedWeight(a.weight, s.iweight),
    health_check: checks(s.health_check, a.health),
    agent_check: checks(s.agent_check, a.agent),
  };
}

/** The server after the drain step of disabled + drain (servers already in maintenance are not drained). */
function afterDrainStep(s: ServerState, a: Args): ServerState {
  if ((s.admin_flags & ADMIN.FMAINT) !== 0) return s;
  const flags = s.admin_flags | ADMIN.FDRAIN;
  return { ...s, admin_flags: flags, admin_state: adminStateOf(flags), uweight: a.weight === undefined ? s.uweight : wantedWeight(a.weight, s.iweight) };
}

/** What `changed` is made of: the forced admin flags, the user weight, the check switches; never the sessions. */
function settings(s: ServerState): string {
  return `${s.admin_flags & (ADMIN.FMAINT | ADMIN.FDRAIN)} ${s.uweight} ${s.health_check} ${s.agent_check}`;
}

/** `nova-api/node2: admin_state ready -> maint; nova-api/node3: weight 10 -> 5`: what changed, per server. */
function summary(before: readonly ServerState[], after: readonly ServerState[]): string {
  return before.flatMap((s, i) => {
    const t = after[i]!;
    const parts = (['admin_state', 'uweight', 'health_check', 'agent_check'] as const)
      .filter((k) => s[k] !== t[k])
      .map((k) => `${k === 'uweight' ? 'weight' : k} ${s[k]} -> ${t[k]}`);
    return parts.length === 0 ? [] : [`${idOf(s)}: ${parts.join(', ')}`];
  }).join('; ');
}

function describe(s: ServerState): string {
  return `${idOf(s)}: admin_state=${s.admin_state} weight=${s.uweight} health_check=${s.health_check} agent_check=${s.agent_check}`;
}

function diffOf(before: readonly ServerState[], after: readonly ServerState[], socket: string): Diff[] {
  return [{
    before: `${before.map(describe).join('\n')}\n`,
    after: `${after.map(describe).join('\n')}\n`,
    beforeHeader: `${socket} (before)`,
    afterHeader: `${socket} (after)`,
  }];
}

class TaskFailure extends Error {}

/** One run of the module for one host: the reads, the commands sent and their answers. */
class Session {
  readonly sent: string[] = [];
  readonly answers: string[] = [];
  constructor(private readonly ctx: ModuleContext, private readonly socket: string) {}

  /** Sends `commands` (when any) and reads the state back in the same session; an answer to a command is an error. */
  async exchange(commands: readonly string[], keys: readonly ServerState[]): Promise<ServerState[]> {
    const { snapshot, answers } = await readSnapshot(this.ctx.connection, this.socket, commands, this.ctx.become);
    this.sent.push(...commands);
    this.answers.push(...answers);
    if (answers.length > 0) throw new TaskFailure(`HAProxy refused '${commands.join(';')}': ${answers.join(' ')}`);
    return keys.map((k) => {
      const now = snapshot.servers.find((s) => s.backend === k.backend && s.server === k.server);
      if (now === undefined) throw new TaskFailure(`server ${idOf(k)} is gone from HAProxy (reloaded meanwhile?)`);
      return now;
    });
  }

  /** Reads until every server passes `done`, at most `retries` reads counting the one in hand, `interval` seconds apart. */
  async waitUntil(current: ServerState[], retries: number, interval: number, what: string, done: (s: ServerState) => boolean): Promise<ServerState[]> {
    for (let reads = 1; ; reads++) {
      const pending = current.filter((s) => !done(s));
      if (pending.length === 0) return current;
      if (reads >= retries) {
        const states = pending.map((s) => `${idOf(s)} status ${s.status}, admin_state ${s.admin_state}, scur ${s.scur}, qcur ${s.qcur}`).join('; ');
        throw new TaskFailure(`not ${what} after ${reads} reads ${interval} s apart: ${states}`);
      }
      if (!(await pause(interval, this.ctx.signal))) throw new TaskFailure(`interrupted while waiting until ${what}`);
      current = await this.exchange([], current);
    }
  }
}

/**
 * Fully UP: `UP` with no check in transition, or `no check`. A server leaving maintenance shows `UP 1/2` before
 * any check ran (HAProxy puts it up with the least health), so that status does not prove it answers.
 */
function healthy(s: ServerState): boolean {
  const status = parseServerStatus(s.status);
  return (status.base === 'UP' && status.transition === undefined) || status.base === 'no check';
}

const noSessions = (s: ServerState): boolean => s.scur === 0 && s.qcur === 0;

export default defineModule({
  name: 'haproxy',
  aliases: ['community.general.haproxy'],
  description: 'Enable, disable, drain a HAProxy backend server and set its weight through the runtime API',
  args,
  async run(a, ctx): Promise<ModuleResult> {
    const socket = a.socket ?? DEFAULT_SOCKET;
    const retries = a.wait_retries ?? 25;
    const interval = a.wait_interval ?? 5;
    const session = new Session(ctx, socket);
    let before: ServerState[] = [];
    try {
      const { snapshot } = await readSnapshot(ctx.connection, socket, [], ctx.become);
      before = selectServers(snapshot, a.host, a.backend);
      const missing = notFoundMessage(snapshot, a.host, a.backend);
      if (missing !== undefined) {
        if (a.fail_on_not_found === true) return { changed: false, failed: true, msg: missing };
        return { changed: false, msg: `${missing}: nothing done (fail_on_not_found is false)`, state_before: [], state_after: [] };
      }
      const drainFirst = a.state === 'disabled' && a.drain === true;

      if (ctx.check) {
        const after = before.map((s) => predicted(s, a));
        const would = before.flatMap((s) => (drainFirst ? [...commandsFor(s, a, 'drain-first'), ...commandsFor(afterDrainStep(s, a), a, 'final')] : commandsFor(s, a, 'final')));
        const changed = before.some((s, i) => settings(s) !== settings(after[i]!));
        return {
          changed,
          msg: changed ? `would send: ${would.join('; ')}` : 'nothing to change',
          command: would,
          state_before: before.map(publicState),
          state_after: after.map(publicState),
          ...(ctx.diff && changed ? { diff: diffOf(before, after, socket) } : {}),
        };
      }

      let current = before;
      if (drainFirst) {
        // servers already in maintenance take no new request: only the others are drained and waited for
        const toDrain = current.filter((s) => (s.admin_flags & ADMIN.FMAINT) === 0);
        const drainCommands = toDrain.flatMap((s) => commandsFor(s, a, 'drain-first'));
        let drained = drainCommands.length > 0 ? await session.exchange(drainCommands, toDrain) : toDrain;
        drained = await session.waitUntil(drained, retries, interval, 'drained of sessions and queued requests', noSessions);
        current = current.map((s) => drained.find((d) => idOf(d) === idOf(s)) ?? s);
      }
      const commands = current.flatMap((s) => commandsFor(s, a, 'final'));
      if (commands.length > 0) current = await session.exchange(commands, current);
      if (a.wait === true) {
        if (a.state === 'enabled') current = await session.waitUntil(current, retries, interval, 'UP', healthy);
        else if (a.state === 'disabled') current = await session.waitUntil(current, retries, interval, 'in MAINT', (s) => s.admin_state === 'maint');
        else current = await session.waitUntil(current, retries, interval, 'drained of sessions and queued requests', (s) => s.admin_state !== 'ready' && noSessions(s));
      }
      const changed = before.some((s, i) => settings(s) !== settings(current[i]!));
      return {
        changed,
        msg: changed ? summary(before, current) : 'nothing to change',
        command: session.sent,
        output: session.answers,
        state_before: before.map(publicState),
        state_after: current.map(publicState),
        ...(ctx.diff && changed ? { diff: diffOf(before, current, socket) } : {}),
      };
    } catch (error) {
      if (error instanceof TaskFailure || error instanceof RuntimeApiError) {
        // commands are only sent for what differs: one sent (other than ending sessions) changed the server
        const changed = session.sent.some((c) => !c.startsWith('shutdown sessions'));
        return { changed, failed: true, msg: error.message, command: session.sent, output: session.answers, state_before: before.map(publicState) };
      }
      throw error;
    }
  },
});

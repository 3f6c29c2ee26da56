/**
 * haproxy_rotation (typebook's own): which servers of a backend take new requests, changed in ONE runtime-API
 * exchange: `enable` servers go to ready, `drain` servers stop taking new requests (their health checks go
 * on), `disable` servers go to maintenance. The rolling upgrade hands the traffic from the last old API server
 * to the upgraded ones this way, so that no request is answered by the old code once the new code answered one.
 *
 * Before sending anything it refuses a change that would leave the backend with no server that is ready and
 * whose health checks pass (never drain the last server UP), saying which servers it found and in what state.
 * With `wait` (default), it then reads until the drained and disabled servers have no session and no queued
 * request, bounded by wait_retries x wait_interval.
 *
 * Round trips: 1 to read; +1 for the commands and the read-back (one session); +1 per further read while waiting.
 */
import { Type } from '@sinclair/typebox';
import { List } from './args.js';
import { ADMIN, HAPROXY_NAME, NAME_EXPECTED, RuntimeApiError, pause, publicState, readSnapshot, type ServerState } from './haproxy-runtime.js';
import { defineModule, type ModuleResult } from './module.js';

const DEFAULT_SOCKET = '/var/run/haproxy.sock';
const Name = Type.String({ pattern: HAPROXY_NAME, 'x-expected': NAME_EXPECTED });

const args = Type.Object(
  {
    backend: Type.String({ pattern: HAPROXY_NAME, 'x-expected': NAME_EXPECTED, description: 'the backend' }),
    enable: Type.Optional(List(Name, { default: [], description: 'servers put in service (ready)' })),
    drain: Type.Optional(List(Name, { default: [], description: 'servers that take no new request (health checks go on)' })),
    disable: Type.Optional(List(Name, { default: [], description: 'servers put in maintenance' })),
    socket: Type.Optional(Type.String({ minLength: 1, description: `HAProxy's admin socket (default ${DEFAULT_SOCKET})` })),
    wait: Type.Optional(Type.Boolean({ default: true, description: 'wait until the drained and disabled servers have no session and no queued request' })),
    wait_interval: Type.Optional(Type.Number({ minimum: 0, default: 1, description: 'seconds between two reads while waiting' })),
    wait_retries: Type.Optional(Type.Integer({ minimum: 1, default: 120, description: 'reads before the wait fails' })),
  },
  { additionalProperties: false },
);

type Wanted = 'ready' | 'drain' | 'maint';

function adminOf(s: ServerState): Wanted {
  if ((s.admin_flags & ADMIN.MAINT) !== 0) return 'maint';
  if ((s.admin_flags & (ADMIN.FDRAIN | ADMIN.IDRAIN)) !== 0) return 'drain';
  return 'ready';
}

/** Its health checks pass (or it has none): HAProxy would send it requests if it were ready. */
const checksPass = (s: ServerState): boolean => s.operational_state === 'running' || s.status === 'no check';
const idle = (s: ServerState): boolean => s.scur === 0 && s.qcur === 0;
const describe = (s: ServerState): string => `${s.server} (${s.admin_state}, ${s.status})`;

export default defineModule({
  name: 'haproxy_rotation',
  aliases: [],
  description: 'Put servers of a HAProxy backend in service, drain or maintenance in one runtime-API exchange, never leaving none serving',
  args,
  async run(a, ctx): Promise<ModuleResult> {
    const socket = a.socket ?? DEFAULT_SOCKET;
    const wanted = new Map<string, Wanted>();
    const problems: string[] = [];
    for (const [list, state] of [[a.enable ?? [], 'ready'], [a.drain ?? [], 'drain'], [a.disable ?? [], 'maint']] as const) {
      for (const name of list) {
        if (wanted.has(name) && wanted.get(name) !== state) problems.push(`server '${name}' is asked to be both ${wanted.get(name)} and ${state}`);
        wanted.set(name, state);
      }
    }
    if (problems.length > 0) return { changed: false, failed: true, msg: problems.join('; ') };
    const sent: string[] = [];
    try {
      const { snapshot } = await readSnapshot(ctx.connection, socket, [], ctx.become);
      const servers = snapshot.servers.filter((s) => s.backend === a.backend);
      if (servers.length === 0) {
        return { changed: false, failed: true, msg: snapshot.backends.includes(a.backend) ? `backend '${a.backend}' has no server` : `backend '${a.backend}' not found (backends: ${snapshot.backends.join(', ') || 'none'})` };
      }
      const unknown = [...wanted.keys()].filter((name) => !servers.some((s) => s.server === name));
      if (unknown.length > 0) return { changed: false, failed: true, msg: `backend '${a.backend}' has no server ${unknown.join(', ')} (servers: ${servers.map((s) => s.server).join(', ')})` };
      const after = (s: ServerState): Wanted => wanted.get(s.server) ?? adminOf(s);
      const serving = servers.filter((s) => after(s) === 'ready' && checksPass(s));
      if (serving.length === 0) {
        return {
          changed: false,
          failed: true,
          msg: `refusing: backend '${a.backend}' would have no server in service whose health checks pass (now: ${servers.map(describe).join(', ')}); nothing was changed`,
          state_before: servers.map(publicState),
        };
      }
      const commands = servers.filter((s) => wanted.has(s.server) && adminOf(s) !== wanted.get(s.server)).map((s) => `set server ${a.backend}/${s.server} state ${wanted.get(s.server)}`);
      if (ctx.check) {
        return { changed: commands.length > 0, msg: commands.length > 0 ? `would send: ${commands.join('; ')}` : 'nothing to change', command: commands, state_before: servers.map(publicState) };
      }
      let current = servers;
      const read = async (before: readonly string[]): Promise<ServerState[]> => {
        const { snapshot: now, answers } = await readSnapshot(ctx.connection, socket, before, ctx.become);
        sent.push(...before);
        if (answers.length > 0) throw new RuntimeApiError(`HAProxy refused '${before.join(';')}': ${answers.join(' ')}`);
        return now.servers.filter((s) => s.backend === a.backend);
      };
      // ready first: when the last old server is drained, the new ones already take the next request
      commands.sort((x, y) => Number(!x.endsWith(' ready')) - Number(!y.endsWith(' ready')));
      if (commands.length > 0) current = await read(commands);
      const leaving = (s: ServerState): boolean => wanted.get(s.server) === 'drain' || wanted.get(s.server) === 'maint';
      if (a.wait ?? true) {
        const retries = a.wait_retries ?? 120;
        for (let reads = 1; current.some((s) => leaving(s) && !idle(s)); reads++) {
          if (reads >= retries) {
            const busy = current.filter((s) => leaving(s) && !idle(s)).map((s) => `${s.server}: scur ${s.scur}, qcur ${s.qcur}`).join('; ');
            return { changed: commands.length > 0, failed: true, msg: `not drained after ${reads} reads ${a.wait_interval ?? 1} s apart: ${busy}`, command: sent, state_after: current.map(publicState) };
          }
          if (!(await pause(a.wait_interval ?? 1, ctx.signal))) return { changed: commands.length > 0, failed: true, msg: 'interrupted while waiting for the drain', command: sent };
          current = await read([]);
        }
      }
      return {
        changed: commands.length > 0,
        msg: commands.length > 0 ? commands.map((c) => c.replace(/^set server /, '')).join('; ') : 'nothing to change',
        command: sent,
        state_before: servers.map(publicState),
        state_after: current.map(publicState),
      };
    } catch (error) {
      if (error instanceof RuntimeApiError) return { changed: sent.length > 0, failed: true, msg: error.message, command: sent };
      throw error;
    }
  },
});

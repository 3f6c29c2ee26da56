/**
 * haproxy_info (typebook's own): the state of HAProxy's backend servers, read through the runtime API, for a
 * `register` and `until:` loops, e.g. `until: r.backends['nova-api'].node2.scur == 0`.
 *
 * Round trips: 1 (show stat + show servers state in one socket session), in check mode too.
 */
import { Type } from '@sinclair/typebox';
import { HAPROXY_NAME, NAME_EXPECTED, RuntimeApiError, notFoundMessage, publicState, readSnapshot, selectServers } from './haproxy-runtime.js';
import { defineModule, type ModuleResult } from './module.js';

export default defineModule({
  name: 'haproxy_info',
  aliases: [],
  description: 'Read the status, admin state, weight, sessions and queue of HAProxy backend servers',
  args: Type.Object(
    {
      socket: Type.Optional(Type.String({ minLength: 1, description: "HAProxy's stats socket (default /var/run/haproxy.sock)" })),
      backend: Type.Optional(Type.String({ pattern: HAPROXY_NAME, 'x-expected': NAME_EXPECTED, description: 'only this backend' })),
      server: Type.Optional(Type.String({ pattern: HAPROXY_NAME, 'x-expected': NAME_EXPECTED, description: 'only servers of this name' })),
    },
    { additionalProperties: false },
  ),
  async run(a, ctx): Promise<ModuleResult> {
    const socket = a.socket ?? '/var/run/haproxy.sock';
    try {
      const { snapshot } = await readSnapshot(ctx.connection, socket, [], ctx.become);
      if (a.backend !== undefined || a.server !== undefined) {
        const missing = notFoundMessage(snapshot, a.server, a.backend);
        if (missing !== undefined) return { changed: false, failed: true, msg: missing };
      }
      const backends: Record<string, Record<string, Omit<ReturnType<typeof publicState>, 'backend' | 'server'>>> = {};
      for (const s of selectServers(snapshot, a.server, a.backend)) {
        const { backend, server, ...rest } = publicState(s);
        (backends[backend] ??= {})[server] = rest;
      }
      return { changed: false, backends };
    } catch (error) {
      if (error instanceof RuntimeApiError) return { changed: false, failed: true, msg: error.message };
      throw error;
    }
  },
});

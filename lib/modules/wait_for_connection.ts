import { Type } from '@sinclair/typebox';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionError } from '../connection/types.js';
import { defineModule } from './module.js';

/** ansible.builtin.wait_for_connection: retries a trivial command until the host answers, or the timeout. */
export default defineModule({
  name: 'wait_for_connection',
  aliases: ['ansible.builtin.wait_for_connection', 'ansible.legacy.wait_for_connection'],
  description: 'Wait until the host can be reached and runs commands',
  args: Type.Object(
    {
      connect_timeout: Type.Optional(Type.Integer({ minimum: 1, default: 5 })),
      delay: Type.Optional(Type.Number({ minimum: 0, default: 0 })),
      sleep: Type.Optional(Type.Number({ minimum: 0, default: 1 })),
      timeout: Type.Optional(Type.Number({ minimum: 0, default: 600 })),
    },
    { additionalProperties: false },
  ),
  async run(args, ctx) {
    const start = Date.now();
    const deadline = start + (args.timeout ?? 600) * 1000;
    const pause = async (seconds: number) => sleep(seconds * 1000, undefined, { signal: ctx.signal }).catch(() => undefined);
    if (args.delay) await pause(args.delay);
    let lastError = '';
    while (!ctx.signal.aborted) {
      try {
        const result = await ctx.connection.run({ argv: ['true'] }, { timeoutMs: (args.connect_timeout ?? 5) * 1000 });
        if (result.rc === 0) return { changed: false, elapsed: Math.round((Date.now() - start) / 1000) };
        lastError = `exit code ${result.rc}`;
      } catch (err) {
        if (!(err instanceof ConnectionError)) throw err;
        lastError = err.message;
      }
      if (Date.now() + (args.sleep ?? 1) * 1000 > deadline) break;
      await pause(args.sleep ?? 1);
    }
    return { changed: false, failed: true, elapsed: Math.round((Date.now() - start) / 1000), msg: `timed out waiting for connection: ${lastError}` };
  },
});

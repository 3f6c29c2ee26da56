import { Type } from '@sinclair/typebox';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineModule } from './module.js';

/** ansible.builtin.pause: waits, once for the whole batch. Interactive prompts are not supported: a run never waits for a person. */
export default defineModule({
  name: 'pause',
  aliases: ['ansible.builtin.pause', 'ansible.legacy.pause'],
  description: 'Wait for a time, once for all hosts of the batch',
  onController: true,
  oncePerBatch: true,
  args: Type.Object(
    {
      seconds: Type.Optional(Type.Number({ minimum: 0 })),
      minutes: Type.Optional(Type.Number({ minimum: 0 })),
      prompt: Type.Optional(Type.String({ description: 'shown while waiting; typebook never waits for input' })),
      echo: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  async run(args, ctx) {
    if (args.seconds === undefined && args.minutes === undefined) {
      return { changed: false, failed: true, msg: 'pause needs seconds or minutes: typebook does not wait for interactive input' };
    }
    const ms = ((args.seconds ?? 0) + (args.minutes ?? 0) * 60) * 1000;
    const start = Date.now();
    try {
      await sleep(ms, undefined, { signal: ctx.signal });
    } catch {
      return { changed: false, failed: true, msg: 'pause interrupted' };
    }
    const elapsed = Math.round((Date.now() - start) / 1000);
    return { changed: false, start: new Date(start).toISOString(), stop: new Date().toISOString(), delta: elapsed, echo: true, user_input: '', ...(args.prompt ? { prompt: args.prompt } : {}) };
  },
});

import { Type } from '@sinclair/typebox';
import { defineModule } from './module.js';

/** ansible.builtin.ping: checks that the host answers, in one round trip. */
export default defineModule({
  name: 'ping',
  aliases: ['ansible.builtin.ping', 'ansible.legacy.ping'],
  description: 'Check that the host can be reached and runs commands',
  args: Type.Object({ data: Type.Optional(Type.String({ default: 'pong' })) }, { additionalProperties: false }),
  async run(args, ctx) {
    const data = args.data ?? 'pong';
    if (data === 'crash') return { changed: false, failed: true, msg: 'boom' };
    const result = await ctx.connection.run({ argv: ['true'] }, { become: ctx.become });
    if (result.rc !== 0) return { changed: false, failed: true, msg: `the host ran 'true' with exit code ${result.rc}: ${result.stderr.trim()}` };
    return { changed: false, ping: data };
  },
});

import { Type } from '@sinclair/typebox';
import { Raw } from './args.js';
import { defineModule } from './module.js';

/** ansible.builtin.debug: prints a message or a variable's value. */
export default defineModule({
  name: 'debug',
  rules: { mutually_exclusive: [['msg', 'var']] },
  aliases: ['ansible.builtin.debug', 'ansible.legacy.debug'],
  description: 'Print a message or the value of a variable',
  onController: true,
  expressionArgs: ['var'],
  args: Type.Object(
    {
      msg: Type.Optional(Raw({ description: 'the message (any value)', default: 'Hello world!' })),
      var: Type.Optional(Type.String({ description: 'a variable name or expression whose value is shown' })),
      verbosity: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
    },
    { additionalProperties: false },
  ),
  async run(args, ctx) {
    if ((args.verbosity ?? 0) > ctx.verbosity) return { changed: false, skipped: true, skipped_reason: `verbosity threshold not met` };
    if (args.msg !== undefined && args.var !== undefined) return { changed: false, failed: true, msg: "'msg' and 'var' are incompatible options" };
    if (args.var !== undefined) {
      let value: unknown;
      try {
        value = ctx.evaluate(args.var);
      } catch {
        value = 'VARIABLE IS NOT DEFINED!';
      }
      return { changed: false, [args.var]: value };
    }
    return { changed: false, msg: args.msg ?? 'Hello world!' };
  },
});

import { Type } from '@sinclair/typebox';
import { List, Raw } from './args.js';
import { defineModule } from './module.js';

/** ansible.builtin.assert: fails unless every expression in `that` is true. */
export default defineModule({
  name: 'assert',
  aliases: ['ansible.builtin.assert', 'ansible.legacy.assert'],
  description: 'Fail unless the given expressions are true',
  onController: true,
  expressionArgs: ['that'],
  argAliases: { msg: 'fail_msg' },
  args: Type.Object(
    {
      that: List(Type.Union([Type.String(), Type.Boolean()]), { description: 'bare Jinja expressions, all of which must be true' }),
      fail_msg: Type.Optional(Raw()),
      success_msg: Type.Optional(Raw()),
      quiet: Type.Optional(Type.Boolean({ default: false })),
    },
    { additionalProperties: false },
  ),
  async run(args, ctx) {
    for (const condition of args.that) {
      const holds = typeof condition === 'boolean' ? condition : ctx.evaluate(condition);
      if (!truthy(holds)) {
        return { changed: false, failed: true, assertion: condition, evaluated_to: false, msg: args.fail_msg ?? 'Assertion failed' };
      }
    }
    return { changed: false, ...(args.quiet ? {} : { msg: args.success_msg ?? 'All assertions passed' }) };
  },
});

/** Python truthiness, as Jinja conditions are judged in Ansible. */
function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value !== null && typeof value === 'object') return Object.keys(value).length > 0;
  return Boolean(value);
}

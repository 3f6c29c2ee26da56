/**
 * ansible.builtin.package: the generic package module. On Debian hosts it is apt (the same arguments, results
 * and round trips: see apt.ts); `use: auto` finds apt-get on the host in the same first round trip, and any
 * other package manager is refused with a clear message.
 */
import { Type } from '@sinclair/typebox';
import { List, StringEnum } from './args.js';
import { aptArgAliases, aptProperties, runApt } from './apt.js';
import { defineModule } from './module.js';

export default defineModule({
  name: 'package',
  aliases: ['ansible.builtin.package', 'ansible.legacy.package'],
  description: 'Install or remove packages with the host\'s package manager (apt on Debian)',
  argAliases: aptArgAliases,
  args: Type.Object(
    {
      ...aptProperties,
      name: List(Type.String({ minLength: 1 }), { description: 'packages, each optionally `=VERSION`' }),
      state: StringEnum(['present', 'latest', 'absent'] as const),
      use: Type.Optional(Type.String({ default: 'auto', description: 'the package manager: auto or apt (others are not supported)' })),
    },
    { additionalProperties: false },
  ),
  async run(args, ctx) {
    const { use = 'auto', ...apt } = args;
    if (use !== 'auto' && use !== 'apt') {
      return { changed: false, failed: true, msg: `use: ${use} is not supported: typebook's package module manages packages with apt only (use: auto or apt)` };
    }
    return runApt(apt, ctx, { forPackage: true });
  },
});

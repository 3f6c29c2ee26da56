import { Type } from '@sinclair/typebox';
import { defineModule } from './module.js';
import { runCommand } from './run-command.js';

/** ansible.builtin.shell: runs a command line through a shell (/bin/sh, or `executable`). */
export default defineModule({
  name: 'shell',
  aliases: ['ansible.builtin.shell', 'ansible.legacy.shell'],
  description: 'Run a command line through a shell on the host',
  freeForm: 'cmd',
  args: Type.Object(
    {
      cmd: Type.String({ description: 'the shell command line' }),
      chdir: Type.Optional(Type.String()),
      creates: Type.Optional(Type.String()),
      removes: Type.Optional(Type.String()),
      executable: Type.Optional(Type.String({ description: 'the shell to use, default /bin/sh' })),
      stdin: Type.Optional(Type.String()),
      stdin_add_newline: Type.Optional(Type.Boolean({ default: true })),
      strip_empty_ends: Type.Optional(Type.Boolean({ default: true })),
    },
    { additionalProperties: false },
  ),
  run: (args, ctx) => runCommand({ ...args, shell: true }, ctx),
});

import { Type } from '@sinclair/typebox';
import { List } from './args.js';
import { defineModule } from './module.js';
import { runCommand } from './run-command.js';

/** ansible.builtin.command: runs a program with its arguments, without a shell. */
export default defineModule({
  name: 'command',
  aliases: ['ansible.builtin.command', 'ansible.legacy.command'],
  description: 'Run a program on the host, without a shell',
  freeForm: 'cmd',
  args: Type.Object(
    {
      cmd: Type.Optional(Type.String({ description: 'the command line, split into words as a shell would, but run without a shell' })),
      argv: Type.Optional(List(Type.String(), { description: 'the program and its arguments, as a list' })),
      chdir: Type.Optional(Type.String()),
      creates: Type.Optional(Type.String({ description: 'a path (or glob): when it exists, the command is not run' })),
      removes: Type.Optional(Type.String({ description: 'a path (or glob): when it does not exist, the command is not run' })),
      stdin: Type.Optional(Type.String()),
      stdin_add_newline: Type.Optional(Type.Boolean({ default: true })),
      strip_empty_ends: Type.Optional(Type.Boolean({ default: true })),
    },
    { additionalProperties: false },
  ),
  // Ansible's messages: "only command or argv can be given, not both", "no command given"
  rules: { mutually_exclusive: [['cmd', 'argv']], required_one_of: [['cmd', 'argv']] },
  run: (args, ctx) => runCommand({ ...args, shell: false }, ctx),
});

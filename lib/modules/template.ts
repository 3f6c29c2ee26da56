/**
 * ansible.builtin.template: a Jinja2 template from the role's/playbook's templates/ rendered on the controller
 * (lib/template: Ansible's trim_blocks, trailing newline kept) and put on the host as copy puts a file.
 *
 * Round trips: as copy: 1 when nothing changes, 2 when the file or its attributes change.
 */
import { Type } from '@sinclair/typebox';
import { posix } from 'node:path';
import { putContent, preservedMode } from './copy.js';
import { FileModeOrPreserveArg } from './file-state.js';
import { defineModule, type ModuleResult } from './module.js';
import { ValidateCommand } from './args.js';

const args = Type.Object(
  {
    src: Type.String({ description: "template file, searched in the role's/playbook's templates/" }),
    dest: Type.String({ description: 'where to put the rendered file on the host' }),
    backup: Type.Optional(Type.Boolean({ default: false })),
    force: Type.Optional(Type.Boolean({ default: true })),
    validate: Type.Optional(ValidateCommand),
    mode: Type.Optional(FileModeOrPreserveArg()),
    owner: Type.Optional(Type.String()),
    group: Type.Optional(Type.String()),
    follow: Type.Optional(Type.Boolean({ default: false })),
    newline_sequence: Type.Optional(Type.String({ default: '\n' })),
    trim_blocks: Type.Optional(Type.Boolean({ default: true })),
    lstrip_blocks: Type.Optional(Type.Boolean({ default: false })),
    variable_start_string: Type.Optional(Type.String()),
    variable_end_string: Type.Optional(Type.String()),
    block_start_string: Type.Optional(Type.String()),
    block_end_string: Type.Optional(Type.String()),
    comment_start_string: Type.Optional(Type.String()),
    comment_end_string: Type.Optional(Type.String()),
    output_encoding: Type.Optional(Type.String({ default: 'utf-8' })),
    unsafe_writes: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const DEFAULT_DELIMITERS: Record<string, string> = {
  variable_start_string: '{{', variable_end_string: '}}', block_start_string: '{%', block_end_string: '%}', comment_start_string: '{#', comment_end_string: '#}',
};

/** The template options lib/template does not implement, refused with a reason rather than ignored. */
function unsupported(a: Record<string, unknown>): string | undefined {
  const newline = a.newline_sequence;
  if (newline !== undefined && newline !== '\n' && newline !== '\\n') {
    if (!['\r', '\r\n', '\\r', '\\r\\n'].includes(newline as string)) return 'newline_sequence needs to be one of: \\n, \\r or \\r\\n';
    return 'newline_sequence other than \\n is not supported by typebook';
  }
  if (a.trim_blocks === false) return 'trim_blocks: false is not supported by typebook (templates render with trim_blocks, as Ansible\'s default)';
  if (a.lstrip_blocks === true) return 'lstrip_blocks: true is not supported by typebook';
  for (const [name, standard] of Object.entries(DEFAULT_DELIMITERS)) {
    if (a[name] !== undefined && a[name] !== standard) return `${name} other than '${standard}' is not supported by typebook`;
  }
  const encoding = typeof a.output_encoding === 'string' ? a.output_encoding.toLowerCase().replace('_', '-') : undefined;
  if (encoding !== undefined && encoding !== 'utf-8' && encoding !== 'utf8') return `output_encoding ${String(a.output_encoding)} is not supported by typebook (only utf-8)`;
  return undefined;
}

export default defineModule({
  name: 'template',
  aliases: ['ansible.builtin.template', 'ansible.legacy.template'],
  description: 'Render a Jinja2 template on the controller and put the result on the host',
  args,
  localFiles: [{ arg: 'src', kind: 'templates' }],
  async run(a, ctx): Promise<ModuleResult> {
    const refused = unsupported(a);
    if (refused) return { changed: false, failed: true, msg: refused };
    const local = ctx.findFile('templates', a.src);
    // a template error fails the task with the template's file:line:col (the engine formats it)
    const rendered = await ctx.renderTemplateFile(local);
    let mode;
    try {
      mode = await preservedMode(a.mode, local);
    } catch (error) {
      return { changed: false, failed: true, msg: `could not find src=${a.src}: ${(error as Error).message}` };
    }
    return putContent(ctx, {
      data: Buffer.from(rendered, 'utf8'), srcLabel: local, basename: posix.basename(a.src), dest: a.dest, force: a.force, follow: a.follow,
      backup: a.backup, validate: a.validate, mode, owner: a.owner, group: a.group,
    });
  },
});

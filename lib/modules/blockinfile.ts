/**
 * ansible.builtin.blockinfile: a block of lines between two marker lines, inserted, replaced or removed,
 * computed on the controller from the file's bytes exactly as Ansible's module does.
 *
 * Round trips: 1 when nothing changes (read: stat + bytes); 2 when the content or the attributes change
 * (read, then one atomic write with validate/backup/mode/owner, or one chmod/chown).
 */
import { Type } from '@sinclair/typebox';
import { StringEnum, ValidateCommand } from './args.js';
import { fileAttributeArgs, pythonBytesRegex, toBinary } from './file-state.js';
import { editFile } from './lineinfile.js';
import { defineModule } from './module.js';
import { expandReplacement } from '../template/regex.js';

const args = Type.Object(
  {
    path: Type.String({ description: 'the file to modify' }),
    state: Type.Optional(StringEnum(['absent', 'present'] as const, { default: 'present' })),
    marker: Type.Optional(Type.String({ default: '# {mark} ANSIBLE MANAGED BLOCK', description: '{mark} becomes marker_begin or marker_end' })),
    block: Type.Optional(Type.String({ default: '' })),
    insertafter: Type.Optional(Type.String({ description: "a regular expression, or 'EOF'" })),
    insertbefore: Type.Optional(Type.String({ description: "a regular expression, or 'BOF'" })),
    create: Type.Optional(Type.Boolean({ default: false })),
    backup: Type.Optional(Type.Boolean({ default: false })),
    validate: Type.Optional(ValidateCommand),
    marker_begin: Type.Optional(Type.String({ default: 'BEGIN' })),
    marker_end: Type.Optional(Type.String({ default: 'END' })),
    ...fileAttributeArgs,
  },
  { additionalProperties: false },
);

export interface BlockArgs {
  state?: 'absent' | 'present';
  marker?: string;
  block?: string;
  insertafter?: string;
  insertbefore?: string;
  marker_begin?: string;
  marker_end?: string;
}

/** bytes.splitlines(True): split after \n, \r\n and a lone \r, terminators kept. */
function splitLinesKeep(text: string): string[] {
  return text.match(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/g) ?? [];
}

/** re.sub('{mark}', replacement, marker): the replacement's backslash escapes are processed as Python does. */
function markerLine(marker: string, mark: string): string {
  const expanded = expandReplacement(mark, Object.assign(['{mark}'], { index: 0, input: marker }) as unknown as RegExpExecArray);
  return marker.split('{mark}').join(expanded) + '\n';
}

/** The new content (latin1 string of bytes) for the file's `original` content (undefined: no file). */
export function blockEdit(original: string | undefined, a: BlockArgs): { result: string; msg: string; changed: boolean } {
  const lines = original === undefined ? [] : splitLinesKeep(original);
  const present = (a.state ?? 'present') === 'present';
  let insertafter = a.insertafter;
  const insertbefore = a.insertbefore;
  if (insertbefore === undefined && insertafter === undefined) insertafter = 'EOF';
  const insert = insertafter !== undefined && insertafter !== 'EOF'
    ? pythonBytesRegex(insertafter)
    : insertbefore !== undefined && insertbefore !== 'BOF' ? pythonBytesRegex(insertbefore) : undefined;
  const marker = toBinary(a.marker ?? '# {mark} ANSIBLE MANAGED BLOCK');
  const marker0 = markerLine(marker, toBinary(a.marker_begin ?? 'BEGIN'));
  const marker1 = markerLine(marker, toBinary(a.marker_end ?? 'END'));
  let block = toBinary(a.block ?? '');
  let blockLines: string[] = [];
  if (present && block !== '') {
    if (!block.endsWith('\n')) block += '\n';
    blockLines = [marker0, ...splitLinesKeep(block), marker1];
  }

  let n0: number | undefined;
  let n1: number | undefined;
  lines.forEach((line, i) => {
    if (line === marker0) n0 = i;
    if (line === marker1) n1 = i;
  });
  if (n0 === undefined || n1 === undefined) {
    n0 = undefined;
    if (insert) {
      if (insert.multiline) {
        const found = insert.regex.exec(original ?? '');
        if (found) {
          const upTo = insertafter !== undefined ? found.index + found[0].length : found.index;
          n0 = (original ?? '').slice(0, upTo).split('\n').length - 1;
        }
      } else {
        lines.forEach((line, i) => {
          if (insert.regex.test(line)) n0 = i;
        });
      }
      if (n0 === undefined) n0 = lines.length;
      else if (insertafter !== undefined) n0 += 1;
    } else if (insertbefore !== undefined) {
      n0 = 0;
    } else {
      n0 = lines.length;
    }
  } else if (n0 < n1) {
    lines.splice(n0, n1 - n0 + 1);
  } else {
    lines.splice(n1, n0 - n1 + 1);
    n0 = n1;
  }
  if (n0 > 0 && !lines[n0 - 1]!.endsWith('\n')) lines[n0 - 1] += '\n';
  lines.splice(n0, 0, ...blockLines);
  const result = lines.join('');
  if (original === result) return { result, msg: '', changed: false };
  if (original === undefined) return { result, msg: 'File created', changed: true };
  return { result, msg: blockLines.length === 0 ? 'Block removed' : 'Block inserted', changed: true };
}

export default defineModule({
  name: 'blockinfile',
  rules: { mutually_exclusive: [['insertbefore', 'insertafter']] },
  aliases: ['ansible.builtin.blockinfile', 'ansible.legacy.blockinfile'],
  description: 'Insert, update or remove a block of lines between marker lines',
  argAliases: { dest: 'path', destfile: 'path', name: 'path', content: 'block' },
  args,
  async run(a, ctx) {
    const present = (a.state ?? 'present') === 'present';
    const messages = {
      missing: `Path ${a.path} does not exist !`,
      ...(present ? {} : { onMissing: () => ({ changed: false, msg: `File ${a.path} not present` }) }),
    };
    const outcome = await editFile(ctx, a, messages, (content) => {
      const edit = blockEdit(content?.toString('latin1'), a);
      return { after: Buffer.from(edit.result, 'latin1'), changed: edit.changed, msg: edit.msg };
    });
    // blockinfile names its backup `backup_file` (lineinfile: `backup`), and only when one was made
    const { backup, ...rest } = outcome;
    return typeof backup === 'string' && backup !== '' ? { ...rest, backup_file: backup } : rest;
  },
});

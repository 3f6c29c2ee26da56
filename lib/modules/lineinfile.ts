/**
 * ansible.builtin.lineinfile: one line present (added, or replaced where `regexp`/`search_string` matches) or
 * absent, computed on the controller from the file's bytes exactly as Ansible's module does.
 *
 * Round trips: 1 when nothing changes (read: stat + bytes); 2 when the content or the attributes change
 * (read, then one atomic write with validate/backup/mode/owner, or one chmod/chown).
 */
import { Type } from '@sinclair/typebox';
import { StringEnum, ValidateCommand } from './args.js';
import {
  attributeChange, attributesDiff, contentDiff, defaultFileMode, errorMessage, fileAttributeArgs, hasChange, pythonBytesRegex,
  readHostState, setAttributesOnHost, toBinary, writeFileOnHost, type AttributeChange,
} from './file-state.js';
import { expandReplacement } from '../template/regex.js';
import { defineModule, type Diff, type ModuleContext, type ModuleResult } from './module.js';

const args = Type.Object(
  {
    path: Type.String({ description: 'the file to modify' }),
    state: Type.Optional(StringEnum(['absent', 'present'] as const, { default: 'present' })),
    regexp: Type.Optional(Type.String({ description: 'Python regular expression searched in every line' })),
    search_string: Type.Optional(Type.String({ description: 'literal string searched in every line' })),
    line: Type.Optional(Type.String({ description: 'the line to put in the file' })),
    insertafter: Type.Optional(Type.String({ description: "a regular expression, or 'EOF'/'BOF'" })),
    insertbefore: Type.Optional(Type.String({ description: "a regular expression, or 'BOF'" })),
    backrefs: Type.Optional(Type.Boolean({ default: false })),
    create: Type.Optional(Type.Boolean({ default: false })),
    backup: Type.Optional(Type.Boolean({ default: false })),
    firstmatch: Type.Optional(Type.Boolean({ default: false })),
    validate: Type.Optional(ValidateCommand),
    ...fileAttributeArgs,
  },
  { additionalProperties: false },
);

export type LineinfileArgs = {
  path: string; state?: 'absent' | 'present'; regexp?: string; search_string?: string; line?: string; insertafter?: string; insertbefore?: string;
  backrefs?: boolean; create?: boolean; backup?: boolean; firstmatch?: boolean; validate?: string;
};

/** Python's bytes.readlines(): split after every \n, terminators kept. */
export function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', start)) {
    lines.push(text.slice(start, i + 1));
    start = i + 1;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

const stripEol = (s: string) => s.replace(/[\r\n]+$/, '');
const endsWithEol = (s: string) => s.endsWith('\n') || s.endsWith('\r');

export interface LineEdit {
  lines: string[];
  changed: boolean;
  msg: string;
  found?: number;
}

/** Ansible's present(): the new lines (latin1 strings of bytes) for `line` given regexp/search_string/insert*. */
export function linePresent(input: readonly string[], a: LineinfileArgs): LineEdit {
  const lines = [...input];
  const line = toBinary(a.line!);
  const regexp = a.regexp === undefined ? undefined : pythonBytesRegex(a.regexp).regex;
  const search = a.search_string === undefined ? undefined : toBinary(a.search_string);
  let insertafter = a.insertafter;
  const insertbefore = a.insertbefore;
  if (insertafter === undefined && insertbefore === undefined) insertafter = 'EOF';
  const insertRe = insertafter !== undefined && insertafter !== 'BOF' && insertafter !== 'EOF'
    ? pythonBytesRegex(insertafter).regex
    : insertbefore !== undefined && insertbefore !== 'BOF' ? pythonBytesRegex(insertbefore).regex : undefined;

  const index = [-1, -1];
  let match: RegExpExecArray | boolean | undefined;
  if (regexp) {
    for (let n = 0; n < lines.length; n++) {
      const found = regexp.exec(lines[n]!);
      if (found) {
        index[0] = n;
        match = found;
        if (a.firstmatch) break;
      }
    }
  }
  if (search !== undefined) {
    for (let n = 0; n < lines.length; n++) {
      if (lines[n]!.includes(search)) {
        index[0] = n;
        match = true;
        if (a.firstmatch) break;
      }
    }
  }
  if (!match) {
    for (let n = 0; n < lines.length; n++) {
      if (line === stripEol(lines[n]!)) {
        index[0] = n;
      } else if (insertRe && insertRe.test(lines[n]!)) {
        if (insertafter !== undefined) {
          index[1] = n + 1;
          if (a.firstmatch) break;
        }
        if (insertbefore !== undefined) {
          index[1] = n;
          if (a.firstmatch) break;
        }
      }
    }
  }

  let msg = '';
  let changed = false;
  const add = (at: number) => {
    lines.splice(at, 0, line + '\n');
    msg = 'line added';
    changed = true;
  };
  if (index[0] !== -1) {
    let newLine = a.backrefs && match && typeof match !== 'boolean' ? expandReplacement(line, match) : line;
    if (!newLine.endsWith('\n')) newLine += '\n';
    if (lines[index[0]!] !== newLine) {
      lines[index[0]!] = newLine;
      msg = 'line replaced';
      changed = true;
    }
  } else if (a.backrefs) {
    // no match: the backreferences cannot be filled, so nothing is written
  } else if (insertbefore === 'BOF' || insertafter === 'BOF') {
    add(0);
  } else if (insertafter === 'EOF' || index[1] === -1) {
    if (lines.length > 0 && !endsWithEol(lines[lines.length - 1]!)) lines.push('\n');
    lines.push(line + '\n');
    msg = 'line added';
    changed = true;
  } else if (insertafter !== undefined && index[1] !== -1) {
    if (lines.length === index[1]) {
      if (stripEol(lines[index[1]! - 1]!) !== line) add(index[1]!);
    } else if (line !== stripEol(lines[index[1]!]!)) {
      add(index[1]!);
    }
  } else {
    add(index[1]!);
  }
  return { lines, changed, msg };
}

/** Ansible's absent(): the lines without those matching regexp, search_string or equal to line. */
export function lineAbsent(input: readonly string[], a: LineinfileArgs): LineEdit {
  const regexp = a.regexp === undefined ? undefined : pythonBytesRegex(a.regexp).regex;
  const search = a.search_string === undefined ? undefined : toBinary(a.search_string);
  const line = a.line === undefined ? undefined : toBinary(a.line);
  const matches = (l: string) => (regexp ? regexp.test(l) : search !== undefined ? l.includes(search) : line === stripEol(l));
  const lines = input.filter((l) => !matches(l));
  const found = input.length - lines.length;
  return { lines, changed: found > 0, msg: found > 0 ? `${found} line(s) removed` : '', found };
}

/**
 * The read-compute-write cycle lineinfile and blockinfile share: read the file (1 round trip), compute the new
 * bytes on the controller, write them atomically and/or fix attributes (1 more), as Ansible's modules do.
 */
export async function editFile(
  ctx: ModuleContext,
  a: { path: string; create?: boolean; backup?: boolean; validate?: string; mode?: string | number; owner?: string; group?: string },
  messages: { missing: string; onMissing?: () => ModuleResult },
  compute: (content: Buffer | undefined) => { after: Buffer; changed: boolean; msg: string; extra?: Record<string, unknown> } | { early: ModuleResult },
): Promise<ModuleResult> {
  const state = await readHostState(ctx, [a.path], { content: true });
  const file = state.paths[0]!;
  if (file.error) return { changed: false, failed: true, msg: `cannot read ${a.path}: ${file.error}` };
  if (file.stat?.type === 'directory') return { changed: false, failed: true, rc: 256, msg: `Path ${a.path} is a directory !` };
  const exists = file.stat !== undefined;
  if (!exists && !a.create) return { changed: false, failed: true, rc: 257, msg: messages.missing };
  if (!exists && messages.onMissing) return messages.onMissing();
  const before = exists ? (file.content ?? Buffer.alloc(0)) : undefined;
  let computed;
  try {
    computed = compute(before);
  } catch (error) {
    return { changed: false, failed: true, msg: errorMessage(error) };
  }
  if ('early' in computed) return computed.early;
  const contentDiffEntry = contentDiff(`${a.path} (content)`, before ?? Buffer.alloc(0), `${a.path} (content)`, computed.after);
  let { changed, msg } = computed;
  const base = { mode: exists ? file.stat!.mode : defaultFileMode(state.umask), isDir: false, uid: file.stat?.uid ?? -1, gid: file.stat?.gid ?? -1, owner: file.stat?.owner, group: file.stat?.group };
  let attrs: AttributeChange;
  try {
    attrs = attributeChange(a, base, state.umask);
  } catch (error) {
    return { changed: false, failed: true, msg: errorMessage(error), path: a.path };
  }
  const diff: Diff[] = [contentDiffEntry];
  const result = (extra: Record<string, unknown> = {}): ModuleResult => ({ changed, msg, ...computed.extra, ...extra, ...(ctx.diff ? { diff } : {}) });
  if (ctx.check && !exists) return result({ backup: '' });
  if (hasChange(attrs) && exists) {
    if (changed) msg += ' and ';
    msg += 'ownership, perms or SE linux context changed';
    changed = true;
    diff.push(attributesDiff(`${a.path} (file attributes)`, attrs.before, attrs.after));
  }
  if (ctx.check || !changed) return result({ backup: '' });
  if (computed.changed) {
    // the real file behind a link is rewritten, as Ansible does (os.path.realpath)
    const written = await writeFileOnHost(ctx, {
      path: file.realpath || a.path, data: computed.after, mode: attrs.mode ?? base.mode,
      owner: attrs.owner ?? (exists ? String(base.uid) : undefined), group: attrs.group ?? (exists ? String(base.gid) : undefined),
      backup: a.backup, createParents: !exists, validate: a.validate,
    });
    if (!written.ok) {
      if (written.validateFailed) return { changed: false, failed: true, msg: `failed to validate: rc:${written.rc} error:${written.stderr ?? ''}` };
      return { changed: false, failed: true, msg: written.msg };
    }
    // a new file's owner is whoever connects: only its mode can be told to differ from the default
    if (!exists && attrs.mode !== undefined) msg += ' and ownership, perms or SE linux context changed';
    return result({ backup: written.backupFile ?? '' });
  }
  const set = await setAttributesOnHost(ctx, file.realpath || a.path, attrs);
  if (!set.ok) return { changed: false, failed: true, msg: set.msg, path: a.path };
  return result({ backup: '' });
}

export default defineModule({
  name: 'lineinfile',
  rules: { mutually_exclusive: [['insertbefore', 'insertafter'], ['regexp', 'search_string'], ['backrefs', 'search_string']], required_if: [['state', 'present', ['line']], ['backrefs', true, ['regexp']], ['state', 'absent', ['line', 'regexp', 'search_string'], true]] },
  aliases: ['ansible.builtin.lineinfile', 'ansible.legacy.lineinfile'],
  description: 'Ensure a line is in a file (or not), replacing the line a regular expression matches',
  argAliases: { dest: 'path', destfile: 'path', name: 'path', regex: 'regexp', value: 'line' },
  args,
  async run(a, ctx) {
    const present = (a.state ?? 'present') === 'present';
    const missing = `Destination ${a.path} does not exist !`;
    const messages = present ? { missing } : { missing, onMissing: () => ({ changed: false, msg: 'file not present' }) };
    return editFile(ctx, { ...a, create: present ? a.create : true }, messages, (content) => {
      const lines = splitLines((content ?? Buffer.alloc(0)).toString('latin1'));
      const edit = present ? linePresent(lines, a) : lineAbsent(lines, a);
      return { after: Buffer.from(edit.lines.join(''), 'latin1'), changed: edit.changed, msg: edit.msg, ...(present ? {} : { extra: { found: edit.found } }) };
    });
  },
});

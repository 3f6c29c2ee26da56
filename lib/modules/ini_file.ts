/**
 * community.general.ini_file: one option of one section of an INI file set, or removed, or a whole section
 * removed, computed on the controller exactly as the module (community.general 6.6) does, including its
 * quirks: the file is read as UTF-8 text with universal newlines, a missing final newline is added, a new
 * file starts with an empty line.
 *
 * Round trips: 1 when nothing changes (read: stat + bytes); 2 when the content or the attributes change
 * (read, then one atomic write with backup/mode/owner, or one chmod/chown).
 */
import { Type } from '@sinclair/typebox';
import { List, StringEnum } from './args.js';
import {
  attributeChange, attributesDiff, contentDiff, defaultFileMode, errorMessage, fileAttributeArgs, hasChange, readHostState,
  setAttributesOnHost, writeFileOnHost,
} from './file-state.js';
import { defineModule, type Diff, type ModuleResult } from './module.js';

const args = Type.Object(
  {
    path: Type.String({ description: 'the INI file' }),
    section: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'section name; null (or absent) for the options before the first section' })),
    option: Type.Optional(Type.String()),
    value: Type.Optional(Type.String()),
    values: Type.Optional(List(Type.String())),
    backup: Type.Optional(Type.Boolean({ default: false })),
    state: Type.Optional(StringEnum(['absent', 'present'] as const, { default: 'present' })),
    exclusive: Type.Optional(Type.Boolean({ default: true })),
    no_extra_spaces: Type.Optional(Type.Boolean({ default: false })),
    allow_no_value: Type.Optional(Type.Boolean({ default: false })),
    create: Type.Optional(Type.Boolean({ default: true })),
    ...fileAttributeArgs,
  },
  { additionalProperties: false },
);

export interface IniArgs {
  section?: string | null;
  option?: string;
  values: string[];
  state: 'absent' | 'present';
  exclusive: boolean;
  no_extra_spaces: boolean;
  allow_no_value: boolean;
}

const FAKE_SECTION = 'ad01e11446efb704fcdbdb21f2c43757423d91c5';

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** match_opt / match_active_opt: group 6 is the value; Python's `$` also matches before the final newline */
function optionMatcher(option: string, commented: boolean): (line: string) => RegExpExecArray | null {
  const re = new RegExp(`^${commented ? '[#;]?' : ''}( |\\t)*(${escapeRegex(option)})( |\\t)*(=|(?=\\n?$))( |\\t)*([^\\n]*)`);
  return (line) => re.exec(line);
}

/** Python's text readlines() after universal-newline decoding. */
function textLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** The new lines of the file and what changed: do_ini() of the module. */
export function iniEdit(iniText: string, a: IniArgs): { text: string; changed: boolean; msg: string } {
  const lines = textLines(iniText);
  const option = a.option;
  const values: string[] = [];
  for (const v of a.values) if (!values.includes(v)) values.push(v);
  let changed = false;
  if (lines.length === 0) lines.push('\n');
  const last = lines[lines.length - 1]!;
  if (last === '' || !last.endsWith('\n')) {
    lines[lines.length - 1] = last + '\n';
    changed = true;
  }
  lines.unshift(`[${FAKE_SECTION}]`);
  lines.push('[');
  const section = a.section ? a.section : FAKE_SECTION;
  let withinSection = false;
  let sectionStart = 0;
  let sectionEnd = 0;
  let msg = 'OK';
  const assignment = (o: string, v: string) => (a.no_extra_spaces ? `${o}=${v}\n` : `${o} = ${v}\n`);
  let optionNoValuePresent = false;
  const blankOrComment = /^[ \t]*([#;][^\n]*)?\n?$/;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.startsWith(`[${section}]`)) {
      withinSection = true;
      sectionStart = index;
    } else if (line.startsWith('[') && withinSection) {
      sectionEnd = index;
      break;
    }
  }
  const before = lines.slice(0, sectionStart);
  let sectionLines = lines.slice(sectionStart, sectionEnd);
  const after = lines.slice(sectionEnd);
  const changedLines = sectionLines.map(() => 0);
  const matchOpt = optionMatcher(option ?? '', true);
  const matchActive = optionMatcher(option ?? '', false);
  const update = (index: number, newline: string) => {
    if (sectionLines[index] !== newline) {
      changed = true;
      msg = 'option changed';
    }
    sectionLines[index] = newline;
    changedLines[index] = 1;
  };

  if (a.state === 'present' && option) {
    for (let index = 0; index < sectionLines.length; index++) {
      const match = matchOpt(sectionLines[index]!);
      if (!match) continue;
      if (values.length > 0 && values.includes(match[6]!)) {
        const matched = match[6]!;
        if (!matched && a.allow_no_value) {
          update(index, `${option}\n`);
          optionNoValuePresent = true;
        } else {
          update(index, assignment(option, matched));
        }
        values.splice(values.indexOf(matched), 1);
      } else if (values.length === 0 && a.allow_no_value) {
        update(index, `${option}\n`);
        optionNoValuePresent = true;
        break;
      }
    }
  }
  // (the module itself crashes on these loops without an option; an option-less task only adds the section)
  if (a.state === 'present' && option && a.exclusive && !a.allow_no_value) {
    if (values.length > 0) {
      for (let index = 0; index < sectionLines.length; index++) {
        if (!changedLines[index] && matchOpt(sectionLines[index]!)) {
          update(index, assignment(option, values.shift()!));
          if (values.length === 0) break;
        }
      }
    }
    for (let index = sectionLines.length - 1; index > 0; index--) {
      if (!changedLines[index] && matchOpt(sectionLines[index]!)) {
        sectionLines.splice(index, 1);
        changedLines.splice(index, 1);
        changed = true;
        msg = 'option changed';
      }
    }
  }
  if (a.state === 'present') {
    for (let index = sectionLines.length; index > 0; index--) {
      if (!blankOrComment.test(sectionLines[index - 1]!)) {
        if (option && values.length > 0) {
          for (const element of [...values].reverse()) {
            sectionLines.splice(index, 0, assignment(option, element));
            msg = 'option added';
            changed = true;
          }
        } else if (option && values.length === 0 && a.allow_no_value && !optionNoValuePresent) {
          sectionLines.splice(index, 0, `${option}\n`);
          msg = 'option added';
          changed = true;
        }
        break;
      }
    }
  }
  if (a.state === 'absent') {
    if (option) {
      let kept: string[] | undefined;
      if (a.exclusive) kept = sectionLines.filter((line) => !matchActive(line));
      else if (values.length > 0) kept = sectionLines.filter((line) => { const m = matchActive(line); return !(m && values.includes(m[6]!)); });
      if (kept && kept.length !== sectionLines.length) {
        changed = true;
        msg = 'option changed';
        sectionLines = kept;
      }
    } else if (sectionLines.length > 0) {
      sectionLines = [];
      msg = 'section removed';
      changed = true;
    }
  }
  const out = [...before, ...sectionLines, ...after];
  out.shift();
  out.pop();
  if (!withinSection && a.state === 'present') {
    out.push(`[${section}]\n`);
    msg = 'section and option added';
    if (option && values.length > 0) for (const v of values) out.push(assignment(option, v));
    else if (option && values.length === 0 && a.allow_no_value) out.push(`${option}\n`);
    else msg = 'only section added';
    changed = true;
  }
  return { text: out.join(''), changed, msg };
}

/** io.open(encoding='utf-8-sig') + universal newlines */
function decodeIni(bytes: Buffer): string {
  let text = bytes.toString('utf8');
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  return text.replace(/\r\n?/g, '\n');
}

export default defineModule({
  name: 'ini_file',
  rules: { mutually_exclusive: [['value', 'values']] },
  aliases: ['community.general.ini_file', 'community.general.files.ini_file'],
  description: 'Set or remove an option (or a section) of an INI file',
  argAliases: { dest: 'path' },
  args,
  async run(a, ctx): Promise<ModuleResult> {
    const state = a.state ?? 'present';
    const allowNoValue = a.allow_no_value ?? false;
    if (state === 'present' && !allowNoValue && a.value === undefined && !(a.values && a.values.length > 0)) {
      return { changed: false, failed: true, msg: "Parameter 'value(s)' must be defined if state=present and allow_no_value=False." };
    }
    const host = await readHostState(ctx, [a.path], { content: true });
    const file = host.paths[0]!;
    if (file.error) return { changed: false, failed: true, msg: `cannot read ${a.path}: ${file.error}` };
    if (file.stat?.type === 'directory') return { changed: false, failed: true, msg: `${a.path} is a directory` };
    const exists = file.stat !== undefined;
    if (!exists && a.create === false) return { changed: false, failed: true, rc: 257, msg: `Destination ${a.path} does not exist!` };
    const beforeText = exists ? decodeIni(file.content ?? Buffer.alloc(0)) : '';
    const edit = iniEdit(beforeText, {
      section: a.section, option: a.option, values: a.value !== undefined ? [a.value] : (a.values ?? []), state,
      exclusive: a.exclusive ?? true, no_extra_spaces: a.no_extra_spaces ?? false, allow_no_value: allowNoValue,
    });
    const diff: Diff[] = [contentDiff(`${a.path} (content)`, Buffer.from(beforeText), `${a.path} (content)`, Buffer.from(edit.text))];
    const base = { mode: exists ? file.stat!.mode : defaultFileMode(host.umask), isDir: false, uid: file.stat?.uid ?? -1, gid: file.stat?.gid ?? -1, owner: file.stat?.owner, group: file.stat?.group };
    let attrs;
    try {
      attrs = attributeChange(a, base, host.umask);
    } catch (error) {
      return { changed: false, failed: true, msg: errorMessage(error), path: a.path };
    }
    const attrsChange = exists && hasChange(attrs);
    if (attrsChange) diff.push(attributesDiff(`${a.path} (file attributes)`, attrs.before, attrs.after));
    const changed = edit.changed || attrsChange;
    const result = (extra: Record<string, unknown> = {}): ModuleResult => ({ changed, msg: edit.msg, path: a.path, ...extra, ...(ctx.diff ? { diff } : {}) });
    if (ctx.check || !changed) return result();
    if (edit.changed) {
      // the module renames its temp file over `path` itself: a link there is replaced, as in Ansible
      const written = await writeFileOnHost(ctx, {
        path: a.path, data: Buffer.from(edit.text, 'utf8'), mode: attrs.mode ?? base.mode,
        owner: attrs.owner ?? (exists ? String(base.uid) : undefined), group: attrs.group ?? (exists ? String(base.gid) : undefined),
        backup: a.backup, createParents: !exists,
      });
      if (!written.ok) return { changed: false, failed: true, msg: written.msg, path: a.path };
      return result(a.backup ? { backup_file: written.backupFile ?? '' } : {});
    }
    const set = await setAttributesOnHost(ctx, a.path, attrs);
    if (!set.ok) return { changed: false, failed: true, msg: set.msg, path: a.path };
    return result();
  },
});

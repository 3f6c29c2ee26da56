/**
 * ansible.builtin.assemble: `dest` made of the files of the directory `src`, concatenated in sorted order
 * (with `delimiter` between them, only names `regexp` matches, hidden ones left out with `ignore_hidden`).
 * With `remote_src` (the default) the fragments are on the host: they are assembled there by Python, as
 * Ansible's module does (Python's `re`, sorted(os.listdir), codecs.escape_decode); with `remote_src: false`
 * they are the controller's, assembled here and put as Ansible's action hands them to the copy module.
 * Like Ansible's action it does not run in check mode (skipped); diff only with `remote_src: false`, as there.
 *
 * Round trips (remote_src): 1 when nothing changes (assemble + stat and sha1 of dest); 1 more to write
 * atomically (validate, backup, mode, owner) or to change only mode/owner. remote_src false: copy's.
 */
import { Type } from '@sinclair/typebox';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { ValidateCommand } from './args.js';
import { putContent } from './copy.js';
import {
  READ_PROGRAM, attributeChange, defaultFileMode, errorMessage, fileAttributeArgs, fileResultFields, hasChange, parseReadOutput,
  setAttributesOnHost, writeFileOnHost,
} from './file-state.js';
import { defineModule, type ModuleContext, type ModuleResult } from './module.js';
import { pythonRegex } from '../template/regex.js';

const args = Type.Object(
  {
    src: Type.String({ description: 'the directory of fragments (on the host with remote_src, else on the controller)' }),
    dest: Type.String({ description: 'the file to make of them' }),
    delimiter: Type.Optional(Type.String({ description: 'written between fragments; backslash escapes (\\n, \\t...) are decoded' })),
    regexp: Type.Optional(Type.String({ description: 'Python regular expression: only file names it matches are assembled' })),
    ignore_hidden: Type.Optional(Type.Boolean({ default: false, description: "leave out files whose names start with '.'" })),
    remote_src: Type.Optional(Type.Boolean({ default: true, description: "false: src is the controller's" })),
    backup: Type.Optional(Type.Boolean({ default: false })),
    validate: Type.Optional(ValidateCommand),
    decrypt: Type.Optional(Type.Boolean({ default: true, description: 'accepted for compatibility: typebook reads no vault files' })),
    ...fileAttributeArgs,
  },
  { additionalProperties: false },
);

/**
 * Appended to the file reader (which prints dest's state first): assembles the fragments as Ansible's
 * assemble_from_fragments does, reading its parameters as JSON on stdin, and prints after a separator line
 * either the bytes (base64) or the module's failure message.
 */
const ASSEMBLE_PROGRAM = String.raw`
import codecs, json, re
q = json.load(sys.stdin)
def answer(**result):
    sys.stdout.write('\x1e\n' + json.dumps(result) + '\n')
    sys.exit(0)
src = os.path.expanduser(os.path.expandvars(q['src']))
if not os.path.exists(src):
    answer(error='Source (%s) does not exist' % src)
if not os.path.isdir(src):
    answer(error='Source (%s) is not a directory' % src)
compiled = None
if q['regexp'] is not None:
    try:
        compiled = re.compile(q['regexp'])
    except re.error as e:
        answer(error='Invalid Regexp (%s) in "%s"' % (e, q['regexp']))
delimiter = q['delimiter']
out = bytearray()
delimit_me = add_newline = False
for f in sorted(os.listdir(src)):
    if compiled and not compiled.search(f):
        continue
    fragment = os.path.join(src, f)
    if not os.path.isfile(fragment) or (q['ignore_hidden'] and f.startswith('.')):
        continue
    with open(fragment, 'rb') as fh:
        content = fh.read()
    if add_newline:
        out += b'\n'
    if delimit_me and delimiter:
        # decoded again at each use, as Ansible's module does
        delimiter = codecs.escape_decode(delimiter)[0]
        out += delimiter
        if delimiter[-1] != 10:
            out += b'\n'
    out += content
    delimit_me = True
    add_newline = not content.endswith(b'\n')
answer(src=src, data=base64.b64encode(bytes(out)).decode())
`;

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = { '\\': 0x5c, "'": 0x27, '"': 0x22, a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11 };

/** Python's codecs.escape_decode on bytes: backslash escapes decoded, unknown ones kept; throws where Python does. */
export function escapeDecode(input: Buffer): Buffer {
  const out: number[] = [];
  const hex = (b: number | undefined) => b !== undefined && /[0-9a-fA-F]/.test(String.fromCharCode(b));
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c !== 0x5c) {
      out.push(c);
      continue;
    }
    if (i + 1 >= input.length) throw new Error('Trailing \\ in string');
    const next = String.fromCharCode(input[++i]!);
    if (next === '\n') continue;
    if (SIMPLE_ESCAPES[next] !== undefined) out.push(SIMPLE_ESCAPES[next]);
    else if (/[0-7]/.test(next)) {
      let value = Number(next);
      for (let k = 0; k < 2 && /[0-7]/.test(String.fromCharCode(input[i + 1] ?? 0)); k++) value = value * 8 + Number(String.fromCharCode(input[++i]!));
      out.push(value & 0xff);
    } else if (next === 'x') {
      if (!hex(input[i + 1]) || !hex(input[i + 2])) throw new Error(`invalid \\x escape at position ${i - 1}`);
      out.push(Number.parseInt(String.fromCharCode(input[i + 1]!, input[i + 2]!), 16));
      i += 2;
    } else out.push(0x5c, input[i]!);
  }
  return Buffer.from(out);
}

/** Ansible's action _assemble_from_fragments, on the controller's directory `dir`. */
export async function assembleLocal(dir: string, options: { delimiter?: string; regexp?: string; ignoreHidden?: boolean }): Promise<Buffer> {
  const regex = options.regexp === undefined ? undefined : pythonRegex(options.regexp);
  // Python's sorted(): by code point, not by locale
  const names = (await readdir(dir)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const parts: Buffer[] = [];
  let delimiter: Buffer | undefined = options.delimiter === undefined ? undefined : Buffer.from(options.delimiter, 'utf8');
  let delimitMe = false;
  let addNewline = false;
  for (const name of names) {
    if (regex) {
      regex.lastIndex = 0;
      if (!regex.test(name)) continue;
    }
    const path = `${dir}/${name}`;
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile() || (options.ignoreHidden && name.startsWith('.'))) continue;
    const content = await readFile(path);
    if (addNewline) parts.push(Buffer.from('\n'));
    if (delimitMe && delimiter !== undefined && delimiter.length > 0) {
      // decoded again at each use, as Ansible's action does
      delimiter = escapeDecode(delimiter);
      parts.push(delimiter);
      if (delimiter[delimiter.length - 1] !== 10) parts.push(Buffer.from('\n'));
    }
    parts.push(content);
    delimitMe = true;
    addNewline = content[content.length - 1] !== 10;
  }
  return Buffer.concat(parts);
}

const sha1 = (data: Buffer) => createHash('sha1').update(data).digest('hex');
const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

function fail(msg: string): ModuleResult {
  return { changed: false, failed: true, msg };
}

type Args = { src: string; dest: string; delimiter?: string; regexp?: string; ignore_hidden?: boolean; backup?: boolean; validate?: string; mode?: string | number; owner?: string; group?: string };

/** remote_src: Ansible's module, run against the host's directory. */
async function assembleRemote(a: Args, ctx: ModuleContext): Promise<ModuleResult> {
  const request = { src: a.src, delimiter: a.delimiter ?? null, regexp: a.regexp ?? null, ignore_hidden: a.ignore_hidden ?? false };
  const run = await ctx.connection.run(
    { python: `${READ_PROGRAM}\n${ASSEMBLE_PROGRAM}`, args: ['s-', a.dest] },
    { stdin: JSON.stringify(request), ...(ctx.become ? { become: ctx.become } : {}), env: ctx.environment },
  );
  const split = run.stdout.lastIndexOf('\x1e\n');
  if (run.rc !== 0 || split < 0) return fail(`assemble could not run python3 on the host: ${run.stderr.trim() || `exit code ${run.rc}`}`);
  const answer = JSON.parse(run.stdout.slice(split + 2)) as { error: string } | { src: string; data: string };
  if ('error' in answer) return fail(answer.error);
  const host = parseReadOutput(run.stdout.slice(0, split), [a.dest]);
  const target = host.paths[0]!;
  const current = target.stat;
  if (target.error) return fail(`cannot read ${a.dest}: ${target.error}`);
  if (current?.type === 'directory') return fail(`attempted to take checksum of directory: ${a.dest}`);

  const data = Buffer.from(answer.data, 'base64');
  const checksum = sha1(data);
  const result: ModuleResult = { changed: false, src: answer.src, dest: a.dest, checksum, md5sum: md5(data), msg: 'OK' };
  const base = current
    ? { mode: current.mode, isDir: false, uid: current.uid, gid: current.gid, owner: current.owner, group: current.group }
    : { mode: defaultFileMode(host.umask), isDir: false, uid: -1, gid: -1 };
  let attrs;
  try {
    attrs = attributeChange(a, base, host.umask);
  } catch (error) {
    return fail(errorMessage(error));
  }

  if (target.sha1 !== checksum) {
    // atomic_move keeps an existing file's mode and owner; the mode/owner arguments then apply
    const written = await writeFileOnHost(ctx, {
      path: a.dest, data, mode: attrs.mode ?? base.mode,
      owner: attrs.owner ?? (current ? String(base.uid) : undefined), group: attrs.group ?? (current ? String(base.gid) : undefined),
      backup: a.backup === true && current !== undefined, validate: a.validate,
    });
    if (!written.ok) {
      if (written.validateFailed) return fail(`failed to validate: rc:${written.rc} error:${written.stderr ?? ''}`);
      return fail(written.msg);
    }
    return {
      ...result, changed: true, ...fileResultFields(written.stat),
      ...(written.backupFile !== undefined ? { backup_file: written.backupFile } : {}), ...(written.validation ? { validation: written.validation } : {}),
    };
  }
  if (!hasChange(attrs)) return { ...result, ...fileResultFields(current!) };
  const set = await setAttributesOnHost(ctx, a.dest, attrs);
  if (!set.ok) return fail(set.msg);
  return { ...result, changed: true, ...fileResultFields(set.stat) };
}

export default defineModule({
  name: 'assemble',
  aliases: ['ansible.builtin.assemble', 'ansible.legacy.assemble'],
  description: 'Assemble a file from a directory of fragments',
  args,
  async run(a, ctx): Promise<ModuleResult> {
    // Ansible's action sets _supports_check_mode = False
    if (ctx.check) return { changed: false, skipped: true, msg: 'check mode is not supported for this task.' };
    if (a.remote_src ?? true) return assembleRemote(a, ctx);
    const dir = ctx.findFile('files', a.src);
    const info = await stat(dir).catch(() => undefined);
    if (!info) return fail(`Could not find or access '${a.src}' on the Ansible Controller.\nIf you are using a module and expect the file to exist on the remote, see the remote_src option`);
    if (!info.isDirectory()) return fail(`Source (${dir}) is not a directory`);
    let data: Buffer;
    try {
      data = await assembleLocal(dir, { delimiter: a.delimiter, regexp: a.regexp, ignoreHidden: a.ignore_hidden });
    } catch (error) {
      return fail(errorMessage(error));
    }
    return putContent(ctx, { data, srcLabel: dir, dest: a.dest, backup: a.backup, validate: a.validate, mode: a.mode, owner: a.owner, group: a.group });
  },
});

/**
 * ansible.builtin.copy: a file from the controller (`src`, found in the role's/playbook's files/) or `content`
 * put at `dest` on the host, compared by sha1 on the host first so that an unchanged file is not sent again.
 * template.ts renders its template and hands the bytes to `putContent` here, as Ansible's template action
 * hands its result to the copy action.
 *
 * Round trips: 1 when nothing changes (read: stat + sha1 of dest, and of dest/basename(src) in case dest is a
 * directory; + the bytes with --diff); 2 when it changes (read, then one atomic write with validate, backup,
 * mode, owner — or one chmod/chown when only the attributes differ).
 */
import { Type } from '@sinclair/typebox';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import {
  attributeChange, attributesDiff, contentDiff, defaultFileMode, errorMessage, FileModeOrPreserveArg, fileResultFields, hasChange,
  octalString, readHostState, setAttributesOnHost, writeFileOnHost, type ModeArg,
} from './file-state.js';
import { defineModule, type ModuleContext, type ModuleResult } from './module.js';
import { ValidateCommand } from './args.js';

/** What copy and template share once the bytes to put are known. */
export interface PutRequest {
  data: Buffer;
  /** the name a directory `dest` gets the file under (basename of src); undefined for `content` */
  basename?: string;
  /** shown as `src` in the result and as the diff's after-header */
  srcLabel: string;
  dest: string;
  force?: boolean;
  follow?: boolean;
  backup?: boolean;
  validate?: string;
  mode?: ModeArg;
  owner?: string;
  group?: string;
}

const sha1 = (data: Buffer) => createHash('sha1').update(data).digest('hex');
const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

function fail(msg: string, extra: Record<string, unknown> = {}): ModuleResult {
  return { changed: false, failed: true, msg, ...extra };
}

/** Puts `data` at `dest` as Ansible's copy action + copy module do. */
export async function putContent(ctx: ModuleContext, request: PutRequest): Promise<ModuleResult> {
  const dest = request.dest;
  const toDir = dest.endsWith('/');
  if (toDir && request.basename === undefined) return fail('can not use content with a dir as dest');
  const candidates = toDir ? [posix.join(dest, request.basename!)] : request.basename !== undefined ? [dest, posix.join(dest, request.basename)] : [dest];
  const host = await readHostState(ctx, candidates, { sha1: true, content: ctx.diff });
  let target = host.paths[0]!;
  if (!toDir && target.stat?.type === 'directory') {
    if (request.basename === undefined) return fail('can not use content with a dir as dest');
    target = host.paths[1]!;
  }
  if (target.error) return fail(`cannot read ${target.path}: ${target.error}`);
  const follow = request.follow ?? false;
  const isLink = target.lstat?.type === 'link';
  // without follow a link at dest is looked at (and replaced) itself, as the stat Ansible runs with follow=False
  const current = follow || !isLink ? target.stat : undefined;
  const exists = follow ? target.stat !== undefined : target.lstat !== undefined;
  if (exists && request.force === false) return { changed: false, dest: target.path, src: request.srcLabel, msg: 'file already exists' };
  if (current?.type === 'directory') return fail(`${target.path} is a directory`);

  const checksum = sha1(request.data);
  const base = current
    ? { mode: current.mode, isDir: false, uid: current.uid, gid: current.gid, owner: current.owner, group: current.group }
    : { mode: defaultFileMode(host.umask), isDir: false, uid: -1, gid: -1 };
  let attrs;
  try {
    attrs = attributeChange(request, base, host.umask);
  } catch (error) {
    return fail(errorMessage(error), { dest: target.path });
  }
  const path = follow && isLink ? target.realpath : target.path;

  if (target.sha1 === undefined || target.sha1 !== checksum || (isLink && !follow)) {
    const diff = ctx.diff ? { diff: [contentDiff(target.path, current ? target.content : undefined, request.srcLabel, request.data)] } : {};
    if (ctx.check) return { changed: true, dest: target.path, src: request.srcLabel, checksum, ...diff };
    if (target.parent !== 'directory') return fail(`Destination directory ${posix.dirname(target.path)} does not exist`, { dest: target.path });
    const written = await writeFileOnHost(ctx, {
      path, data: request.data, mode: attrs.mode ?? base.mode,
      owner: attrs.owner ?? (current ? String(base.uid) : undefined), group: attrs.group ?? (current ? String(base.gid) : undefined),
      backup: request.backup, validate: request.validate,
    });
    if (!written.ok) {
      if (written.validateFailed) return fail('failed to validate', { exit_status: written.rc, stdout: written.stdout, stderr: written.stderr, dest: target.path });
      return fail(written.msg, { dest: target.path });
    }
    return {
      changed: true, dest: target.path, src: request.srcLabel, md5sum: md5(request.data), checksum, ...fileResultFields(written.stat),
      ...(written.backupFile !== undefined ? { backup_file: written.backupFile } : {}), ...diff,
    };
  }

  // same bytes: only the attributes may differ (Ansible runs the file module here)
  const unchanged = { dest: target.path, path, src: request.srcLabel, checksum };
  if (!hasChange(attrs)) return { changed: false, ...unchanged, ...fileResultFields(current!) };
  const diff = ctx.diff ? { diff: [attributesDiff(`${path} (file attributes)`, attrs.before, attrs.after)] } : {};
  if (ctx.check) return { changed: true, ...unchanged, ...fileResultFields({ ...current!, mode: attrs.mode ?? current!.mode }), ...diff };
  const set = await setAttributesOnHost(ctx, path, attrs);
  if (!set.ok) return fail(set.msg, { dest: target.path });
  return { changed: true, ...unchanged, ...fileResultFields(set.stat), ...diff };
}

/** `mode: preserve`: the local file's bits, as '0644' */
export async function preservedMode(mode: ModeArg | undefined, localPath: string): Promise<ModeArg | undefined> {
  return mode === 'preserve' ? octalString((await stat(localPath)).mode & 0o7777) : mode;
}

const args = Type.Object(
  {
    src: Type.Optional(Type.String({ description: "local file, searched in the role's/playbook's files/" })),
    content: Type.Optional(Type.String({ description: 'the file content, instead of src' })),
    dest: Type.String({ description: 'where to put the file on the host (a directory when it ends with /)' }),
    backup: Type.Optional(Type.Boolean({ default: false })),
    force: Type.Optional(Type.Boolean({ default: true, description: 'false: only when dest does not exist' })),
    validate: Type.Optional(ValidateCommand),
    mode: Type.Optional(FileModeOrPreserveArg()),
    owner: Type.Optional(Type.String()),
    group: Type.Optional(Type.String()),
    follow: Type.Optional(Type.Boolean({ default: false, description: 'write through a link at dest instead of replacing it' })),
    remote_src: Type.Optional(Type.Boolean({ default: false })),
    directory_mode: Type.Optional(Type.Union([Type.String(), Type.Integer()], { description: 'only used when copying directories' })),
    local_follow: Type.Optional(Type.Boolean({ default: true })),
    decrypt: Type.Optional(Type.Boolean({ default: true })),
    checksum: Type.Optional(Type.String({ description: 'expected sha1 of the source' })),
    unsafe_writes: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export default defineModule({
  name: 'copy',
  rules: {
    mutually_exclusive: [['content', 'src']],
    required_one_of: [['content', 'src']],
    // refused before connecting, not on the host
    only_with: [['remote_src', 'remote_src', [false], 'remote_src is not supported by typebook: copy the file with a command, or from the controller']],
  },
  aliases: ['ansible.builtin.copy', 'ansible.legacy.copy'],
  description: 'Copy a file (or content) from the controller to the host',
  args,
  localFiles: [{ arg: 'src', kind: 'files' }],
  async run(a, ctx) {
    let data: Buffer;
    let srcLabel: string;
    let basename: string | undefined;
    let mode: ModeArg | undefined = a.mode;
    if (a.content !== undefined) {
      if (mode === 'preserve') return fail('mode=preserve is not supported with content (there is no source file)');
      data = Buffer.from(a.content, 'utf8');
      srcLabel = 'content';
    } else {
      const local = ctx.findFile('files', a.src!);
      const info = await stat(local).catch(() => undefined);
      if (!info) return fail(`could not find src=${a.src}`);
      if (info.isDirectory()) return fail(`src ${a.src} is a directory: copying directories is not supported by typebook (use one copy task per file, or synchronize)`);
      data = await readFile(local);
      srcLabel = local;
      basename = posix.basename(a.src!.replace(/\/+$/, ''));
      mode = await preservedMode(a.mode, local);
    }
    if (a.checksum !== undefined && a.checksum !== sha1(data)) {
      return fail('Copied file does not match the expected checksum. Transfer failed.', { checksum: sha1(data), expected_checksum: a.checksum });
    }
    return putContent(ctx, {
      data, srcLabel, ...(basename !== undefined ? { basename } : {}), dest: a.dest, force: a.force, follow: a.follow, backup: a.backup,
      validate: a.validate, mode, owner: a.owner, group: a.group,
    });
  },
});

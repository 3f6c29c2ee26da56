/**
 * ansible.builtin.file: a path made a file (attributes only), a directory (with its parents, each new one
 * given mode/owner/group as Ansible does), a symbolic or hard link, absent, or touched; `recurse` applies
 * mode/owner/group to everything below a directory.
 *
 * Round trips: 1 when nothing changes (read: lstat/stat of path and of src, emptiness, the tree for recurse);
 * 2 when it changes (read, then one command doing the change, the attributes and the final stat).
 * state=touch always changes (it sets the times to now), as in Ansible.
 */
import { Type } from '@sinclair/typebox';
import { posix } from 'node:path';
import { StringEnum } from './args.js';
import {
  attributeChange, attributesDiff, errorMessage, fileAttributeArgs, fileResultFields, hasChange, parseStatLine, readHostState, resolveMode,
  type AttributeChange, type HostPath, type StatFields,
} from './file-state.js';
import { defineModule, type ModuleContext, type ModuleResult } from './module.js';

const args = Type.Object(
  {
    path: Type.String({ description: 'the path to manage' }),
    state: Type.Optional(StringEnum(['absent', 'directory', 'file', 'hard', 'link', 'touch'] as const)),
    src: Type.Optional(Type.String({ description: 'what a link points to (state=link or hard)' })),
    recurse: Type.Optional(Type.Boolean({ default: false, description: 'state=directory: set mode/owner/group on everything below too' })),
    force: Type.Optional(Type.Boolean({ default: false })),
    follow: Type.Optional(Type.Boolean({ default: true })),
    modification_time: Type.Optional(Type.String({ description: "'now' or 'preserve'" })),
    modification_time_format: Type.Optional(Type.String()),
    access_time: Type.Optional(Type.String({ description: "'now' or 'preserve'" })),
    access_time_format: Type.Optional(Type.String()),
    ...fileAttributeArgs,
  },
  { additionalProperties: false },
);

type PrevState = 'absent' | 'file' | 'directory' | 'link' | 'hard';

function stateOf(lstat: StatFields | undefined): PrevState {
  if (!lstat) return 'absent';
  if (lstat.type === 'link') return 'link';
  if (lstat.type === 'directory') return 'directory';
  return lstat.nlink > 1 ? 'hard' : 'file';
}

/*
 * $1 operation (none|absent|touch|mkdir|link|hard)  $2 path  $3 link source  $4 mode (octal)  $5 owner  $6 group
 * $7 object the attributes go to  $8 'h' to chown a link itself  $9 mode for recurse  $10 recurse (y/'')  $11 touch flags
 */
const APPLY_SCRIPT = `set -e
op=$1 p=$2 src=$3 mode=$4 owner=$5 group=$6 at=$7 nofollow=$8 rmode=$9; shift 9
recurse=$1 times=$2
# find reads a leading '-' as an option: \`path=-delete recurse=true\` emptied the working directory
case $p in -*) p=./$p ;; esac
case $at in -*) at=./$at ;; esac
own=$owner\${group:+:$group}
tmp=$(mktemp -u -- "$(dirname -- "$p")/.typebook.XXXXXXXX")
case $op in
  absent) rm -rf -- "$p" ;;
  touch) touch -- "$p" ;;
  mkdir)
    case $p in /*) pre=/ ;; *) pre= ;; esac
    cur=
    set -f; IFS=/
    for part in $p; do
      [ -n "$part" ] || continue
      cur=\${cur:+$cur/}$part
      if [ ! -e "$pre$cur" ]; then
        mkdir -- "$pre$cur"
        [ -z "$mode" ] || chmod -- "$mode" "$pre$cur"
        [ -z "$own" ] || chown -- "$own" "$pre$cur"
      fi
    done
    set +f; unset IFS ;;
  link)
    if [ -d "$p" ] && [ ! -L "$p" ]; then rmdir -- "$p"; fi
    ln -s -- "$src" "$tmp" && mv -fT -- "$tmp" "$p" ;;
  hard) ln -- "$src" "$tmp" && mv -fT -- "$tmp" "$p" ;;
esac
if [ -n "$at" ]; then
  [ -z "$mode" ] || chmod -- "$mode" "$at"
  [ -z "$own" ] || chown \${nofollow:+-h} -- "$own" "$at"
fi
if [ -n "$recurse" ]; then
  [ -z "$rmode" ] || find "$p" -mindepth 1 ! -type l -exec chmod -- "$rmode" {} +
  [ -z "$own" ] || chown -R -h -- "$own" "$p"
fi
case $times in
  am) touch -c -- "$p" ;;
  a|m) touch -c -"$times" -- "$p" ;;
esac
if [ "$op" != absent ]; then printf 'typebook-stat:%s\\n' "$(LC_ALL=C stat -c '%f %u %g %s %h %i %U %G' -- "$p")"; fi`;

interface Plan {
  op: 'none' | 'absent' | 'touch' | 'mkdir' | 'link' | 'hard';
  /** where mode/owner/group go; undefined: nowhere */
  attrPath?: string;
  attrs?: AttributeChange;
  noFollow?: boolean;
  linkSource?: string;
  recurse?: { mode?: string; owner?: string; group?: string };
  changed: boolean;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  /** the result's identifying fields: path, or dest and src */
  fields: Record<string, unknown>;
}

const fail = (msg: string, extra: Record<string, unknown> = {}): ModuleResult => ({ changed: false, failed: true, msg, ...extra });

function dirAttrsChange(a: { mode?: string | number; owner?: string; group?: string }, stat: StatFields, umask: number): AttributeChange {
  return attributeChange(a, { mode: stat.mode, isDir: stat.type === 'directory', uid: stat.uid, gid: stat.gid, owner: stat.owner, group: stat.group }, umask);
}

/** Whether anything below a directory differs from mode/owner/group (links: owner/group only). */
function treeDiffers(tree: HostPath['tree'], a: { mode?: string | number; owner?: string; group?: string }, umask: number): boolean {
  return (tree ?? []).some((e) => {
    if (a.owner !== undefined && a.owner !== e.owner && a.owner !== String(e.uid)) return true;
    if (a.group !== undefined && a.group !== e.group && a.group !== String(e.gid)) return true;
    return e.kind !== 'l' && a.mode !== undefined && resolveMode(a.mode, { mode: e.mode, isDir: e.kind === 'd' }, umask) !== e.mode;
  });
}

const fileRules = {
  only_with: [
    ['recurse', 'state', ['directory'], "recurse option requires state to be 'directory'"],
    ['src', 'state', ['link', 'hard'], "src option requires state to be 'link' or 'hard'"],
  ],
} as const;

export default defineModule({
  name: 'file',
  aliases: ['ansible.builtin.file', 'ansible.legacy.file'],
  description: 'Manage a file, directory, link or its absence, and its mode and owner',
  argAliases: { dest: 'path', name: 'path' },
  args,
  rules: fileRules,
  async run(a, ctx) {
    for (const [name, value] of [['modification_time', a.modification_time], ['access_time', a.access_time]] as const) {
      if (value !== undefined && value !== 'now' && value !== 'preserve') return fail(`${name}: only 'now' and 'preserve' are supported by typebook, not ${JSON.stringify(value)}`);
    }
    const path = a.path.length > 1 ? a.path.replace(/\/+$/, '') : a.path;
    const absrc = a.src === undefined ? undefined : a.state === 'hard' || a.src.startsWith('/') ? a.src : `${posix.dirname(path)}/${a.src}`;
    const host = await readHostState(ctx, absrc === undefined ? [path] : [path, absrc], { dirEmpty: true, tree: a.recurse === true });
    const file = host.paths[0]!;
    const source = host.paths[1];
    if (file.error) return fail(`cannot stat ${path}: ${file.error}`, { path });
    const prev = stateOf(file.lstat);
    const state = a.state ?? (prev !== 'absent' ? prev : a.recurse ? 'directory' : 'file');
    if (a.state === undefined) {
      // the state comes from the host here; a given one was checked against these rules before connecting
      const broken = fileRules.only_with.find(([arg, , allowed]) => a[arg] !== undefined && a[arg] !== false && !(allowed as readonly string[]).includes(state));
      if (broken) return fail(broken[3], { path });
    }
    const follow = a.follow ?? true;
    const mtime = a.modification_time ?? (state === 'touch' ? 'now' : 'preserve');
    const atime = a.access_time ?? (state === 'touch' ? 'now' : 'preserve');
    const times = `${atime === 'now' ? 'a' : ''}${mtime === 'now' ? 'm' : ''}`;
    const umask = host.umask;
    const stateDiff = (to: string): { before: Record<string, unknown>; after: Record<string, unknown> } => (prev !== to ? { before: { path, state: prev }, after: { path, state: to } } : { before: { path }, after: { path } });

    let plan: Plan;
    try {
      switch (state) {
        case 'absent':
          if (prev === 'absent') return { changed: false, path, state: 'absent' };
          plan = { op: 'absent', changed: true, ...stateDiff('absent'), fields: { path, state: 'absent' } };
          break;
        case 'file': {
          let target = path;
          let current = file.lstat;
          let prevState = prev;
          if (prev === 'link' && follow) {
            target = file.realpath;
            current = file.stat;
            prevState = stateOf(file.stat);
          }
          if (prevState !== 'file' && prevState !== 'hard') return fail(`file (${target}) is ${prevState}, cannot continue`, { path: target, state: prevState });
          const attrs = dirAttrsChange(a, current!, umask);
          plan = { op: 'none', attrPath: target, attrs, changed: hasChange(attrs), ...stateDiff('file'), fields: { path: target } };
          break;
        }
        case 'directory': {
          let target = path;
          let current = file.lstat;
          if (prev === 'link' && follow) {
            target = file.realpath;
            current = file.stat;
          }
          const prevState = stateOf(current);
          if (prevState === 'absent') {
            const attrs = attributeChange(a, { mode: 0o777 & ~umask, isDir: true, uid: -1, gid: -1 }, umask);
            // every directory mkdir creates gets the mode (resolved for a new directory) and the owner
            const created = { ...attrs, mode: a.mode === undefined ? undefined : resolveMode(a.mode, { mode: 0o777 & ~umask, isDir: true }, umask), owner: a.owner, group: a.group };
            plan = { op: 'mkdir', attrs: created, changed: true, ...stateDiff('directory'), fields: { path: target } };
            if (target !== path) plan.linkSource = target;
            break;
          }
          if (prevState !== 'directory') return fail(`${target} already exists as a ${prevState}`, { path: target });
          const attrs = dirAttrsChange(a, current!, umask);
          const recurse = a.recurse && treeDiffers(file.tree, a, umask)
            ? { ...(a.mode !== undefined ? { mode: typeof a.mode === 'number' ? a.mode.toString(8) : a.mode } : {}), owner: a.owner, group: a.group }
            : undefined;
          plan = { op: 'none', attrPath: target, attrs, changed: hasChange(attrs) || recurse !== undefined, ...stateDiff('directory'), fields: { path: target } };
          if (recurse) plan.recurse = recurse;
          break;
        }
        case 'link': {
          const src = a.src ?? (follow && prev === 'link' ? file.linkTarget : undefined);
          const force = a.force ?? false;
          if (!force && a.src !== undefined && source?.stat === undefined) {
            return fail(`src file does not exist, use "force=yes" if you really want to create the link: ${absrc}`, { path, src: a.src });
          }
          if (prev === 'directory') {
            if (!force) return fail(`refusing to convert from directory to symlink for ${path}`, { path });
            if (file.dirEmpty === false) return fail(`the directory ${path} is not empty, refusing to convert it`, { path });
          } else if ((prev === 'file' || prev === 'hard') && !force) {
            return fail(`refusing to convert from ${prev} to symlink for ${path}`, { path });
          }
          const diff = stateDiff('link');
          let changed = false;
          if (prev !== 'link') {
            if (src === undefined) return fail('src is required for creating new symlinks');
            changed = true;
          } else if (a.src !== undefined && file.linkTarget !== a.src) {
            diff.before = { ...diff.before, src: file.linkTarget };
            diff.after = { ...diff.after, src: a.src };
            changed = true;
          }
          // attributes go to what the link points to (follow), or to the link itself; not to a missing target
          const pointsTo = changed ? source?.stat : file.stat;
          const attrPath = follow ? (pointsTo ? (changed ? source!.realpath : file.realpath) : undefined) : path;
          const attrBase = follow ? pointsTo : file.lstat?.type === 'link' && !changed ? file.lstat : undefined;
          let attrs: AttributeChange | undefined;
          if (attrPath !== undefined && attrBase !== undefined) attrs = dirAttrsChange(follow ? a : { owner: a.owner, group: a.group }, attrBase, umask);
          else if (attrPath !== undefined && !follow) attrs = { owner: a.owner, group: a.group, before: {}, after: {} };
          plan = { op: changed ? 'link' : 'none', changed: changed || (attrs !== undefined && hasChange(attrs)), ...diff, fields: { dest: path, src } };
          if (attrPath !== undefined && attrs) Object.assign(plan, { attrPath, attrs, noFollow: !follow });
          if (src !== undefined) plan.linkSource = src;
          break;
        }
        case 'hard': {
          const force = a.force ?? false;
          if (prev !== 'hard' && a.src === undefined) return fail('src is required for creating new hardlinks');
          if (a.src !== undefined && source?.stat === undefined) return fail('src does not exist', { dest: path, src: a.src });
          const diff = stateDiff('hard');
          let changed = false;
          if (prev === 'absent') changed = true;
          else if (prev === 'link') {
            changed = file.linkTarget !== a.src;
            if (changed) {
              diff.before = { ...diff.before, src: file.linkTarget };
              diff.after = { ...diff.after, src: a.src };
            }
          } else if (prev === 'hard' || prev === 'file') {
            if (a.src !== undefined && file.lstat!.inode !== source!.stat!.inode) {
              changed = true;
              if (!force) return fail(prev === 'hard' ? 'Cannot link, different hard link exists at destination' : `Cannot link, ${prev} exists at destination`, { dest: path, src: a.src });
            }
          } else {
            return fail(`Cannot link: ${path} is a directory`, { dest: path, src: a.src });
          }
          const base = changed ? source!.stat! : (follow ? file.stat : file.lstat) ?? source!.stat!;
          const attrs = dirAttrsChange(a, base, umask);
          plan = { op: changed ? 'hard' : 'none', attrPath: path, attrs, changed: changed || hasChange(attrs), ...diff, fields: { dest: path, src: a.src } };
          if (a.src !== undefined) plan.linkSource = a.src;
          break;
        }
        case 'touch': {
          if (prev === 'absent' && ctx.check) return { changed: true, dest: path };
          const base = file.stat ?? { type: 'file', mode: 0o666 & ~umask, uid: -1, gid: -1, size: 0, nlink: 1, inode: 0 } satisfies StatFields;
          const attrs = dirAttrsChange(a, base, umask);
          const touchesTimes = times !== '';
          plan = { op: prev === 'absent' ? 'touch' : 'none', attrPath: path, attrs, changed: prev === 'absent' || touchesTimes || hasChange(attrs), ...stateDiff('touch'), fields: { dest: path } };
          break;
        }
      }
    } catch (error) {
      return fail(errorMessage(error), { path });
    }

    const before = { ...plan.before, ...plan.attrs?.before };
    const after = { ...plan.after, ...plan.attrs?.after };
    const diff = ctx.diff ? { diff: [attributesDiff(path, before, after)] } : {};
    const setsTimes = times !== '' && state !== 'absent';
    if (!plan.changed && !setsTimes) {
      const shown = (state === 'link' && !follow) || state === 'absent' ? file.lstat : (file.stat ?? file.lstat);
      return { changed: false, ...plan.fields, ...(shown ? fileResultFields(shown) : {}), ...diff };
    }
    if (ctx.check) return { changed: true, ...plan.fields, ...diff };
    return apply(ctx, path, plan, times, diff);
  },
});

async function apply(ctx: ModuleContext, path: string, plan: Plan, times: string, diff: Record<string, unknown>): Promise<ModuleResult> {
  const attrs = plan.attrs;
  // mkdir gets the path to create (the link's target when following a dangling link) and gives every new directory the attributes
  const target = plan.op === 'mkdir' ? (plan.linkSource ?? path) : path;
  const argv = ['/bin/sh', '-c', APPLY_SCRIPT, 'typebook-file', plan.op, target, plan.op === 'mkdir' ? '' : (plan.linkSource ?? ''),
    attrs?.mode === undefined ? '' : attrs.mode.toString(8), attrs?.owner ?? '', attrs?.group ?? '', plan.attrPath ?? '', plan.noFollow ? 'h' : '',
    plan.recurse?.mode ?? '', plan.recurse ? 'y' : '', times];
  const result = await ctx.connection.run({ argv }, { become: ctx.become, env: ctx.environment });
  if (result.rc !== 0) {
    const said = result.stderr.trim() || `exit ${result.rc}`;
    const what = plan.op === 'absent' ? 'rmtree failed' : plan.op === 'mkdir' ? `There was an issue creating ${target} as requested` : plan.op === 'link' || plan.op === 'hard' ? 'Error while linking' : 'Error while setting attributes';
    return { changed: false, failed: true, msg: `${what}: ${said}`, ...plan.fields };
  }
  const statLine = /^typebook-stat:(.*)$/m.exec(result.stdout);
  return { changed: true, ...plan.fields, ...(statLine ? fileResultFields(parseStatLine(statLine[1]!)) : {}), ...diff };
}

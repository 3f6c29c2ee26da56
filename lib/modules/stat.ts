/**
 * ansible.builtin.stat: what a path is (lstat, or stat with `follow`), as ansible-core 2.14's module returns it:
 * type flags, mode and permission bits, owner and group with their names, size, times, inode, device, links,
 * access for the connecting user, a symlink's target, the checksum, the MIME type (`file`) and the ext2
 * attributes (`lsattr`). Never changes anything; check mode is the same run.
 *
 * Round trips: 1. The path and the options reach the host as positional parameters of a fixed script.
 */
import { Type } from '@sinclair/typebox';
import { StringEnum } from './args.js';
import { defineModule, type ModuleResult } from './module.js';
import { C_LOCALE, parseSections, runScript } from './system-state.js';

const ALGORITHMS = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;

/** Python's FILE_ATTRIBUTES (ansible.module_utils.common.file): lsattr's letters and Ansible's names. */
const FILE_ATTRIBUTES: Readonly<Record<string, string>> = {
  A: 'noatime', a: 'append', c: 'compressed', C: 'nocow', d: 'nodump', D: 'dirsync', e: 'extents', E: 'encrypted', h: 'blocksize',
  i: 'immutable', I: 'indexed', j: 'journalled', N: 'inline', s: 'zero', S: 'synchronous', t: 'notail', T: 'blockroot', u: 'undelete',
  X: 'compressedraw', Z: 'compresseddirty',
};

/*
 * $1 path  $2 follow (1/0)  $3 checksum algorithm ('' for none)  $4 md5 (1/0)  $5 mime (1/0)  $6 attributes (1/0)
 * Sections: error (stat's message) or stat (its fields), access, link, names, checksum, md5, mime, attr.
 */
const SCRIPT = String.raw`p=$1 follow=$2 algo=$3 md5=$4 mime=$5 attr=$6
if [ "$follow" = 1 ]; then L=-L; else L=; fi
if ! s=$(stat $L -c '%f %u %g %s %i %d %h %.9X %.9Y %.9Z %b %o %r' -- "$p" 2>&1); then section error; printf '%s\n' "$s"; exit 0; fi
section stat; printf '%s\n' "$s"
set -f; set -- $s; set +f
uid=$2 gid=$3
section access
[ -r "$p" ] && echo 1 || echo 0; [ -w "$p" ] && echo 1 || echo 0; [ -x "$p" ] && echo 1 || echo 0
islnk=; [ "$follow" != 1 ] && [ -L "$p" ] && islnk=1
if [ -n "$islnk" ]; then section lnk_source; realpath -m -- "$p"; section lnk_target; readlink -- "$p"; fi
section pw_name; getent passwd "$uid" | cut -d: -f1
section gr_name; getent group "$gid" | cut -d: -f1
if [ -z "$islnk" ] && [ -f "$p" ] && [ -r "$p" ]; then
  if [ -n "$algo" ]; then section checksum; "$algo"sum <"$p" | cut -d' ' -f1; fi
  if [ "$md5" = 1 ]; then section md5; md5sum <"$p" | cut -d' ' -f1; fi
fi
PATH=$PATH:/sbin:/usr/sbin:/usr/local/sbin
if [ "$mime" = 1 ] && command -v file >/dev/null 2>&1; then
  section mime; file --mime-type --mime-encoding -- "$p" 2>/dev/null; echo "rc=$?"
fi
if [ "$attr" = 1 ] && command -v lsattr >/dev/null 2>&1; then
  section attr; lsattr -vd -- "$p" 2>/dev/null; echo "rc=$?"
fi
exit 0`;

/** The `stat` field of the result, as ansible-core 2.14 returns it on Linux. */
export interface StatInfo {
  exists: boolean;
  path?: string;
  mode?: string;
  isdir?: boolean; ischr?: boolean; isblk?: boolean; isreg?: boolean; isfifo?: boolean; islnk?: boolean; issock?: boolean;
  uid?: number; gid?: number; size?: number; inode?: number; dev?: number; nlink?: number;
  atime?: number; mtime?: number; ctime?: number;
  wusr?: boolean; rusr?: boolean; xusr?: boolean; wgrp?: boolean; rgrp?: boolean; xgrp?: boolean; woth?: boolean; roth?: boolean; xoth?: boolean;
  isuid?: boolean; isgid?: boolean;
  blocks?: number; block_size?: number; device_type?: number;
  readable?: boolean; writeable?: boolean; executable?: boolean;
  lnk_source?: string; lnk_target?: string;
  pw_name?: string; gr_name?: string;
  checksum?: string; md5?: string;
  mimetype?: string; charset?: string;
  version?: string | null; attributes?: string[]; attr_flags?: string;
}

/** Python's st_atime: seconds + nanoseconds * 1e-9 as a double, from GNU stat's `%.9X` ("-1.500000000" is -2 s + 0.5e9 ns). */
export function pythonTime(text: string): number {
  const m = /^(-?)(\d+)(?:\.(\d{1,9}))?$/.exec(text.trim());
  if (!m) return Number.NaN;
  let sec = Number(m[2]);
  let nsec = Number((m[3] ?? '').padEnd(9, '0'));
  if (m[1] === '-') {
    sec = -sec;
    if (nsec > 0) {
      sec -= 1;
      nsec = 1e9 - nsec;
    }
  }
  return sec + nsec * 1e-9;
}

/** Ansible's reading of `file --mime-type --mime-encoding`: [mimetype, charset], or undefined where its parse would fail. */
export function parseMime(out: string): [string, string] | undefined {
  const colon = out.lastIndexOf(':');
  if (colon < 0) return undefined;
  const parts = out.slice(colon + 1).split(';');
  if (parts.length !== 2) return undefined;
  const charset = parts[1]!.split('=');
  if (charset.length < 2) return undefined;
  return [parts[0]!.trim(), charset[1]!.trim()];
}

function section(sections: Map<string, string>, name: string): string | undefined {
  const text = sections.get(name);
  return text === undefined ? undefined : text.replace(/\n$/, '');
}

/** the stat fields from the script's sections (exported for the tests) */
export function statInfo(path: string, sections: Map<string, string>): StatInfo {
  const words = (section(sections, 'stat') ?? '').split(' ');
  const [rawMode, uid, gid, size, inode, dev, nlink, atime, mtime, ctime, blocks, blockSize, rdev] = words;
  const mode = Number.parseInt(rawMode ?? '0', 16);
  const type = mode & 0o170000;
  const bit = (b: number) => (mode & b) !== 0;
  const info: StatInfo = {
    exists: true,
    path,
    mode: (mode & 0o7777).toString(8).padStart(4, '0'),
    isdir: type === 0o040000, ischr: type === 0o020000, isblk: type === 0o060000, isreg: type === 0o100000,
    isfifo: type === 0o010000, islnk: type === 0o120000, issock: type === 0o140000,
    uid: Number(uid), gid: Number(gid), size: Number(size), inode: Number(inode), dev: Number(dev), nlink: Number(nlink),
    atime: pythonTime(atime ?? ''), mtime: pythonTime(mtime ?? ''), ctime: pythonTime(ctime ?? ''),
    wusr: bit(0o200), rusr: bit(0o400), xusr: bit(0o100), wgrp: bit(0o020), rgrp: bit(0o040), xgrp: bit(0o010),
    woth: bit(0o002), roth: bit(0o004), xoth: bit(0o001), isuid: bit(0o4000), isgid: bit(0o2000),
    blocks: Number(blocks), block_size: Number(blockSize), device_type: Number(rdev),
  };
  const [readable, writeable, executable] = (section(sections, 'access') ?? '').split('\n');
  Object.assign(info, { readable: readable === '1', writeable: writeable === '1', executable: executable === '1' });
  const lnkSource = section(sections, 'lnk_source');
  if (info.islnk && lnkSource !== undefined) {
    info.lnk_source = lnkSource;
    info.lnk_target = section(sections, 'lnk_target') ?? '';
  }
  const pw = section(sections, 'pw_name');
  if (pw) info.pw_name = pw;
  const gr = section(sections, 'gr_name');
  if (gr) info.gr_name = gr;
  const checksum = section(sections, 'checksum');
  if (checksum !== undefined) info.checksum = checksum;
  const md5 = section(sections, 'md5');
  if (md5 !== undefined) info.md5 = md5;
  return info;
}

/** `mimetype`/`charset` and the attributes, as the module sets them when asked (defaults when the tool is missing or fails). */
function addOptional(info: StatInfo, sections: Map<string, string>, mime: boolean, attributes: boolean): void {
  if (mime) {
    info.mimetype = info.charset = 'unknown';
    const out = sections.get('mime');
    const rc = out === undefined ? undefined : /rc=(\d+)\n?$/.exec(out);
    if (out !== undefined && rc?.[1] === '0') {
      const parsed = parseMime(out.slice(0, rc.index));
      if (parsed) [info.mimetype, info.charset] = parsed;
    }
  }
  if (attributes) {
    info.version = null;
    info.attributes = [];
    info.attr_flags = '';
    const out = sections.get('attr');
    const rc = out === undefined ? undefined : /rc=(\d+)\n?$/.exec(out);
    if (out !== undefined && rc?.[1] === '0') {
      const words = out.slice(0, rc.index).split(/\s+/).filter(Boolean);
      if (words.length >= 2) {
        info.version = words[0]!;
        info.attr_flags = words[1]!.replace(/-/g, '');
        info.attributes = [...info.attr_flags].filter((f) => f in FILE_ATTRIBUTES).map((f) => FILE_ATTRIBUTES[f]!);
      }
    }
  }
}

export default defineModule({
  name: 'stat',
  aliases: ['ansible.builtin.stat', 'ansible.legacy.stat'],
  description: 'Read what a path is (type, mode, owner, size, times, checksum...) without changing it',
  argAliases: {
    dest: 'path', name: 'path',
    checksum: 'checksum_algorithm', checksum_algo: 'checksum_algorithm',
    mime: 'get_mime', mime_type: 'get_mime', 'mime-type': 'get_mime',
    attr: 'get_attributes', attributes: 'get_attributes',
  },
  args: Type.Object(
    {
      path: Type.String({ minLength: 1, description: 'the path to read' }),
      follow: Type.Optional(Type.Boolean({ default: false, description: 'read what a symbolic link points to, not the link' })),
      get_checksum: Type.Optional(Type.Boolean({ default: true, description: "a regular, readable file's checksum" })),
      checksum_algorithm: Type.Optional(StringEnum(ALGORITHMS, { default: 'sha1' })),
      get_md5: Type.Optional(Type.Boolean({ default: false, description: "also the file's md5 (undocumented in Ansible, kept for old playbooks)" })),
      get_mime: Type.Optional(Type.Boolean({ default: true, description: "the MIME type and charset from `file`" })),
      get_attributes: Type.Optional(Type.Boolean({ default: true, description: 'the ext2 attributes from `lsattr`' })),
    },
    { additionalProperties: false },
  ),
  async run(args, ctx): Promise<ModuleResult> {
    const mime = args.get_mime ?? true;
    const attributes = args.get_attributes ?? true;
    const params = [
      args.path,
      args.follow === true ? '1' : '0',
      args.get_checksum === false ? '' : (args.checksum_algorithm ?? 'sha1'),
      args.get_md5 === true ? '1' : '0',
      mime ? '1' : '0',
      attributes ? '1' : '0',
    ];
    const result = await runScript(ctx, SCRIPT, params, { env: C_LOCALE });
    if (result.rc !== 0) return { changed: false, failed: true, msg: `reading ${args.path} failed: ${result.stderr.trim() || `exit code ${result.rc}`}` };
    const sections = parseSections(result.stdout);
    const error = section(sections, 'error');
    if (error !== undefined) {
      // GNU stat: "stat: cannot statx 'PATH': STRERROR"; Python's OSError.strerror is the same text
      const strerror = error.slice(error.lastIndexOf(': ') + 2);
      if (strerror === 'No such file or directory') return { changed: false, stat: { exists: false } };
      return { changed: false, failed: true, msg: strerror };
    }
    const info = statInfo(args.path, sections);
    addOptional(info, sections, mime, attributes);
    return { changed: false, stat: info };
  },
});

/**
 * What the file modules (copy, template, file, lineinfile, blockinfile, ini_file) share:
 * - the `mode` argument as Ansible takes it (octal string, symbolic mode, bare integer) and its resolution
 *   against the file's current mode, as AnsibleModule.set_mode_if_different does;
 * - the reader: ONE command that prints, for each path, its lstat, the stat of what it points to, its real
 *   path, its parent's state, and on request its sha1 and its bytes, plus the host's umask;
 * - the writer: ONE command that writes new bytes to a temp file next to the target, sets mode and owner,
 *   runs `validate` on it, makes the backup Ansible names `path.PID.YYYY-MM-DD@HH:MM:SS~`, renames it over the
 *   target and prints the result's stat;
 * - attribute-only changes (chmod/chown) in one command, and the diffs Ansible shows.
 * Every value reaches the host as a positional parameter of a fixed script, never pasted into shell text.
 */
import { Type, type SchemaOptions, type Static } from '@sinclair/typebox';
import { createHash } from 'node:crypto';
import { shlexSplit } from '../ansible/index.js';
import { pythonRegex } from '../template/regex.js';
import type { Diff, ModuleContext } from './module.js';
import type { PythonCommand } from '../connection/types.js';

const OCTAL = '(?:0[oO])?0*[0-7]{1,4}';
const SYMBOLIC_CLAUSE = '[ugoa]*(?:[-+=][rwxXstugo]*)+';
const SYMBOLIC = `${SYMBOLIC_CLAUSE}(?:,${SYMBOLIC_CLAUSE})*`;

/**
 * Ansible's `mode`: an octal string ('0644', '644', '0o644'), a symbolic mode ('u=rw,g=r,o=', 'u+x-w'), or an
 * integer taken as the number it is (YAML `0644` is 420 = 0o644; YAML `644` is 644 = 0o1204, as in Ansible).
 */
export function FileModeArg(options: SchemaOptions = {}) {
  return Type.Union([
    Type.String({ pattern: `^(?:${OCTAL}|${SYMBOLIC})$` }),
    Type.Integer({ minimum: 0, maximum: 0o7777 }),
  ], { description: "an octal string ('0644'), a symbolic mode ('u=rw,g=r,o='), or an integer (YAML 0644; a bare 644 is decimal 644 = 0o1204, as in Ansible)", ...options });
}

/** copy's and template's `mode`, which also takes 'preserve' (the source file's mode). */
export function FileModeOrPreserveArg(options: SchemaOptions = {}) {
  return Type.Union([
    Type.String({ pattern: `^(?:${OCTAL}|${SYMBOLIC}|preserve)$` }),
    Type.Integer({ minimum: 0, maximum: 0o7777 }),
  ], { description: "an octal string ('0644'), a symbolic mode ('u=rw,g=r,o='), 'preserve', or an integer (YAML 0644)", ...options });
}

/** The arguments every file module shares (Ansible's `files` documentation fragment, without SELinux). */
export const fileAttributeArgs = {
  mode: Type.Optional(FileModeArg()),
  owner: Type.Optional(Type.String({ description: 'user name or uid that should own the file' })),
  group: Type.Optional(Type.String({ description: 'group name or gid that should own the file' })),
  unsafe_writes: Type.Optional(Type.Boolean({ description: 'accepted for compatibility: writes are always atomic here' })),
};

export type ModeArg = Static<ReturnType<typeof FileModeArg>>;

export class ModeError extends Error {}

const PERM_BITS = 0o7777;
const S_IRWXU = 0o700, S_IRWXG = 0o070, S_IRWXO = 0o007;

/**
 * The permission bits `mode` asks for, given the file's current bits (symbolic modes and X depend on them)
 * and the host's umask (a symbolic clause without users, like '+x', leaves the umask's bits alone).
 */
export function resolveMode(mode: ModeArg, current: { mode: number; isDir: boolean }, umask: number): number {
  if (typeof mode === 'number') return mode;
  const octal = /^\s*(?:0[oO])?([0-7]+)\s*$/.exec(mode);
  if (octal) {
    const value = Number.parseInt(octal[1]!, 8);
    if (value !== (value & PERM_BITS)) throw new ModeError(`Invalid mode supplied, only permission info is allowed: ${mode}`);
    return value;
  }
  return symbolicMode(mode, current, umask);
}

function symbolicMode(symbolic: string, current: { mode: number; isDir: boolean }, umask: number): number {
  const bad = (clause: string) => new ModeError(`mode must be in octal or symbolic form: bad symbolic permission for mode: ${clause}`);
  let mode = current.mode & PERM_BITS;
  for (const clause of symbolic.split(',')) {
    const permlist = clause.split(/[+=-]/);
    const opers = clause.match(/[+=-]/g) ?? [];
    let users = permlist.shift()!;
    const useUmask = users === '';
    if (users === 'a' || users === '') users = 'ugo';
    if (/[^ugo]/.test(users)) throw bad(clause);
    permlist.forEach((perms, idx) => {
      if (/[^rwxXstugo]/.test(perms)) throw bad(clause);
      for (const user of users) {
        const apply = [...perms].reduce((acc, perm) => acc | permBits(user, perm, mode, current.isDir, useUmask, umask), 0);
        mode = applyOperation(user, opers[idx]!, apply, mode);
      }
    });
  }
  return mode;
}

function permBits(user: string, perm: string, prev: number, isDir: boolean, useUmask: boolean, umask: number): number {
  const shift = user === 'u' ? 6 : user === 'g' ? 3 : 0;
  const masked = (bit: number) => (useUmask ? bit & (umask ^ PERM_BITS) : bit);
  switch (perm) {
    case 'r': return masked(0o4 << shift);
    case 'w': return masked(0o2 << shift);
    case 'x': return masked(0o1 << shift);
    // X: execute when a directory, or when someone may already execute it
    case 'X': return isDir || (prev & 0o111) > 0 ? 0o1 << shift : 0;
    case 's': return user === 'u' ? 0o4000 : user === 'g' ? 0o2000 : 0;
    case 't': return user === 'o' ? 0o1000 : 0;
    // copy another class's bits ('g=u')
    default: {
      const from = perm === 'u' ? 6 : perm === 'g' ? 3 : 0;
      return ((prev >> from) & 0o7) << shift;
    }
  }
}

function applyOperation(user: string, operator: string, bits: number, mode: number): number {
  if (operator === '+') return mode | bits;
  if (operator === '-') return mode & ~bits;
  const mask = user === 'u' ? S_IRWXU | 0o4000 : user === 'g' ? S_IRWXG | 0o2000 : S_IRWXO | 0o1000;
  return (mode & (mask ^ PERM_BITS)) | bits;
}

/** '0644', as Ansible prints a mode */
export function octalString(mode: number): string {
  return '0' + mode.toString(8).padStart(3, '0');
}

// ---------------------------------------------------------------------------------------------- reading

/** One file system object as the host sees it. */
export interface StatFields {
  type: 'file' | 'directory' | 'link' | 'other';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  nlink: number;
  inode: number;
  owner?: string;
  group?: string;
}

export interface HostPath {
  path: string;
  /** lstat: the path itself (a link is a link); undefined when nothing is there */
  lstat?: StatFields;
  /** stat: what the path resolves to; undefined when missing (or a dangling link) */
  stat?: StatFields;
  /** a link's target, as readlink prints it */
  linkTarget?: string;
  /** the path with every link resolved (realpath -m) */
  realpath: string;
  /** the parent directory: a directory, missing, or something else */
  parent: 'directory' | 'missing' | 'other';
  /** sha1 of the resolved regular file, when asked */
  sha1?: string;
  /** the bytes of the resolved regular file, when asked */
  content?: Buffer;
  /** for a directory, when asked: whether it has entries */
  dirEmpty?: boolean;
  /** for a directory, when asked: everything below it (file module's recurse) */
  tree?: TreeEntry[];
  /** stat failed for another reason than a missing file (permission denied...) */
  error?: string;
}

export interface TreeEntry {
  /** find's %y: f, d, l, ... */
  kind: string;
  mode: number;
  uid: number;
  gid: number;
  owner: string;
  group: string;
}

export interface ReadOptions {
  tree?: boolean;
  content?: boolean;
  sha1?: boolean;
  dirEmpty?: boolean;
}

export interface HostState {
  umask: number;
  paths: HostPath[];
}

const STAT_FORMAT = '%f %u %g %s %h %i %U %G';

/*
 * Output, per path: `=` then `l`/`f` stat lines, `t` link target, `r` realpath, `p` parent, `h` sha1,
 * `d` dir emptiness, `e` error, and last `b` base64 bytes. First line: the umask.
 */
const READ_SCRIPT = `opts=$1; shift
umask
for p do
  case $p in -*) p=./$p ;; esac  # find reads a leading '-' as an option (-delete)
  echo =
  if s=$(LC_ALL=C stat -c '${STAT_FORMAT}' -- "$p" 2>&1); then
    printf 'l %s\\n' "$s"
    if [ -L "$p" ]; then
      printf 't %s\\n' "$(readlink -- "$p")"
      s=$(LC_ALL=C stat -L -c '${STAT_FORMAT}' -- "$p" 2>/dev/null) && printf 'f %s\\n' "$s"
    fi
  else
    case $s in
      *'No such file or directory'*|*'Not a directory'*) ;;
      *) printf 'e %s\\n' "$s" | tr '\\n' ' '; echo ;;
    esac
  fi
  printf 'r %s\\n' "$(realpath -m -- "$p")"
  d=$(dirname -- "$p")
  if [ -d "$d" ]; then echo 'p directory'; elif [ -e "$d" ]; then echo 'p other'; else echo 'p missing'; fi
  if [ -f "$p" ] && [ -r "$p" ]; then
    case $opts in *s*) printf 'h %s\\n' "$(sha1sum < "$p" | cut -d' ' -f1)" ;; esac
    case $opts in *c*) printf 'b '; base64 -w0 < "$p"; echo ;; esac
  fi
  case $opts in *R*) if [ -d "$p" ] && [ ! -L "$p" ]; then find "$p" -mindepth 1 -printf 'x %y %m %U %G %u %g\\n'; fi ;; esac
  case $opts in *d*) if [ -d "$p" ]; then if [ -z "$(ls -A -- "$p" | head -n 1)" ]; then echo 'd empty'; else echo 'd full'; fi; fi ;; esac
done`;

/**
 * READ_SCRIPT's twin for the host's executor, which runs it without starting a process per tool (stat,
 * sha1sum, base64...): the same output, byte for byte (spec/modules/file-state-reader.spec.ts compares them).
 */
export const READ_PROGRAM = String.raw`import base64, grp, hashlib, os, pwd, stat, sys
def name(lookup, ident):
    try:
        return lookup(ident)[0]
    except (KeyError, OverflowError):
        return None
def stat_line(st):
    return '%x %d %d %d %d %d %s %s' % (st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_nlink, st.st_ino,
        name(pwd.getpwuid, st.st_uid) or 'UNKNOWN', name(grp.getgrgid, st.st_gid) or 'UNKNOWN')
def dirname(p):
    p = p.rstrip('/') or '/'
    if p == '/':
        return '/'
    head = p.rpartition('/')[0].rstrip('/')
    return head or ('/' if p.startswith('/') else '.')
def kind(mode):
    for test, letter in ((stat.S_ISREG, 'f'), (stat.S_ISDIR, 'd'), (stat.S_ISLNK, 'l'), (stat.S_ISFIFO, 'p'),
                         (stat.S_ISSOCK, 's'), (stat.S_ISCHR, 'c'), (stat.S_ISBLK, 'b')):
        if test(mode):
            return letter
    return 'U'
def main(argv):
    out = []
    umask = '0022'
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith('Umask:'):
                umask = line.split()[1]
    out.append(umask)
    opts = argv[0]
    for p in argv[1:]:
        if p.startswith('-'):
            p = './' + p
        out.append('=')
        try:
            st = os.lstat(p)
            out.append('l ' + stat_line(st))
            if stat.S_ISLNK(st.st_mode):
                out.append('t ' + os.readlink(p).rstrip('\n'))
                try:
                    out.append('f ' + stat_line(os.stat(p)))
                except OSError:
                    pass
        except OSError as error:
            if not isinstance(error, (FileNotFoundError, NotADirectoryError)):
                out.append("e stat: cannot statx '%s': %s " % (p, error.strerror))
        out.append('r ' + os.path.realpath(p).rstrip('\n'))
        d = dirname(p)
        out.append('p ' + ('directory' if os.path.isdir(d) else 'other' if os.path.exists(d) else 'missing'))
        if os.path.isfile(p) and os.access(p, os.R_OK):
            data = b''
            if 's' in opts or 'c' in opts:
                try:
                    with open(p, 'rb') as f:
                        data = f.read()
                except OSError:
                    pass
            if 's' in opts:
                out.append('h ' + hashlib.sha1(data).hexdigest())
            if 'c' in opts:
                out.append('b ' + base64.b64encode(data).decode())
        if 'R' in opts and os.path.isdir(p) and not os.path.islink(p):
            for root, dirs, files in os.walk(p):
                for entry in dirs + files:
                    try:
                        st = os.lstat(os.path.join(root, entry))
                    except OSError:
                        continue
                    out.append('x %s %o %d %d %s %s' % (kind(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid,
                        name(pwd.getpwuid, st.st_uid) or st.st_uid, name(grp.getgrgid, st.st_gid) or st.st_gid))
        if 'd' in opts and os.path.isdir(p):
            try:
                with os.scandir(p) as entries:
                    full = next(entries, None) is not None
            except OSError:
                full = False
            out.append('d ' + ('full' if full else 'empty'))
    return '\n'.join(out) + '\n'

if __name__ == '__main__':
    sys.stdout.write(main(sys.argv[1:]))
`;

function fileType(rawMode: number): StatFields['type'] {
  switch (rawMode & 0o170000) {
    case 0o100000: return 'file';
    case 0o040000: return 'directory';
    case 0o120000: return 'link';
    default: return 'other';
  }
}

export function parseStatLine(line: string): StatFields {
  const [raw, uid, gid, size, nlink, inode, owner, group] = line.split(' ');
  if (group === undefined) throw new Error(`unexpected stat output: ${JSON.stringify(line)}`);
  const rawMode = Number.parseInt(raw!, 16);
  const fields: StatFields = {
    type: fileType(rawMode), mode: rawMode & PERM_BITS, uid: Number(uid), gid: Number(gid), size: Number(size),
    nlink: Number(nlink), inode: Number(inode),
  };
  if (owner !== 'UNKNOWN') fields.owner = owner;
  if (group !== 'UNKNOWN') fields.group = group;
  return fields;
}

export function parseReadOutput(output: string, paths: readonly string[]): HostState {
  const lines = output.split('\n');
  const umask = Number.parseInt(lines.shift() ?? '', 8);
  if (Number.isNaN(umask)) throw new Error(`unexpected reader output: ${JSON.stringify(output.slice(0, 200))}`);
  const result: HostPath[] = [];
  let current: HostPath | undefined;
  for (const line of lines) {
    if (line === '=') {
      current = { path: paths[result.length] ?? '', realpath: '', parent: 'missing' };
      result.push(current);
      continue;
    }
    if (!current || line.length < 2) continue;
    const value = line.slice(2);
    switch (line[0]) {
      case 'l': current.lstat = parseStatLine(value); if (current.lstat.type !== 'link') current.stat = current.lstat; break;
      case 'f': current.stat = parseStatLine(value); break;
      case 't': current.linkTarget = value; break;
      case 'r': current.realpath = value; break;
      case 'p': current.parent = value as HostPath['parent']; break;
      case 'h': current.sha1 = value; break;
      case 'b': current.content = Buffer.from(value, 'base64'); break;
      case 'd': current.dirEmpty = value === 'empty'; break;
      case 'e': current.error = value.trim(); break;
      case 'x': {
        const [kind, mode, uid, gid, owner, group] = value.split(' ');
        (current.tree ??= []).push({ kind: kind!, mode: Number.parseInt(mode!, 8), uid: Number(uid), gid: Number(gid), owner: owner!, group: group! });
        break;
      }
    }
  }
  if (result.length !== paths.length) throw new Error(`reader answered for ${result.length} of ${paths.length} paths`);
  return { umask, paths: result };
}

/** The reader, with its shell twin for hosts without python3. `opts`: letters of ReadOptions (c s d R), then `-`. */
export function readCommand(opts: string, paths: readonly string[]): PythonCommand {
  return { python: READ_PROGRAM, args: [opts, ...paths], inProcess: true, withoutPython: { argv: ['/bin/sh', '-c', READ_SCRIPT, 'typebook-read', opts, ...paths] } };
}

/** Reads everything the module needs about `paths` in one command. */
export async function readHostState(ctx: ModuleContext, paths: readonly string[], options: ReadOptions = {}): Promise<HostState> {
  const opts = `${options.content ? 'c' : ''}${options.sha1 ? 's' : ''}${options.dirEmpty ? 'd' : ''}${options.tree ? 'R' : ''}-`;
  const result = await ctx.connection.run(readCommand(opts, paths), { become: ctx.become, env: ctx.environment });
  if (result.rc !== 0) throw new Error(`reading ${paths.join(', ')} failed: ${result.stderr.trim() || `exit ${result.rc}`}`);
  return parseReadOutput(result.stdout, paths);
}

// ---------------------------------------------------------------------------------------------- attributes

export interface WantedAttributes {
  mode?: ModeArg;
  owner?: string;
  group?: string;
}

/** What has to change on an existing object (or on one about to be created with `base` bits). */
export interface AttributeChange {
  mode?: number;
  owner?: string;
  group?: string;
  before: Record<string, string>;
  after: Record<string, string>;
}

function sameOwner(wanted: string, name: string | undefined, id: number): boolean {
  return wanted === name || wanted === String(id);
}

/**
 * Compares the wanted attributes with the object's: the mode to set (resolved against its current bits),
 * the owner/group to set; empty when nothing differs. Throws ModeError for a mode Ansible refuses.
 */
export function attributeChange(wanted: WantedAttributes, current: { mode: number; isDir: boolean; uid: number; gid: number; owner?: string; group?: string }, umask: number): AttributeChange {
  const change: AttributeChange = { before: {}, after: {} };
  if (wanted.owner !== undefined && !sameOwner(wanted.owner, current.owner, current.uid)) {
    change.owner = wanted.owner;
    change.before.owner = current.owner ?? String(current.uid);
    change.after.owner = wanted.owner;
  }
  if (wanted.group !== undefined && !sameOwner(wanted.group, current.group, current.gid)) {
    change.group = wanted.group;
    change.before.group = current.group ?? String(current.gid);
    change.after.group = wanted.group;
  }
  if (wanted.mode !== undefined) {
    const mode = resolveMode(wanted.mode, current, umask);
    if (mode !== current.mode) {
      change.mode = mode;
      change.before.mode = octalString(current.mode);
      change.after.mode = octalString(mode);
    }
  }
  return change;
}

export function hasChange(change: AttributeChange): boolean {
  return change.mode !== undefined || change.owner !== undefined || change.group !== undefined;
}

/** A new file's bits before its `mode` is applied: 0666 & ~umask, as Ansible's atomic_move leaves it. */
export function defaultFileMode(umask: number): number {
  return 0o666 & ~umask;
}

// ---------------------------------------------------------------------------------------------- writing

/** The result's stat, printed by the write and attribute scripts after their change. */
const FINAL_STAT = `LC_ALL=C stat -L -c '${STAT_FORMAT}' -- "$p"`;

/**
 * Shell function `receive FILE SIZE SHA256`: stdin into FILE, then success only if exactly SIZE bytes with that
 * SHA-256 arrived. The script cannot tell the end of its input from a dropped connection or a killed
 * controller (both look like EOF), so nothing may be installed from a temp file this has not vouched for.
 * With the controller gone, writing to stderr would raise SIGPIPE and a hang-up SIGHUP, either of which kills the
 * shell without its EXIT trap (the temp file would stay): they are turned into a plain failing exit.
 */
export const RECEIVE_SETUP = `trap '' PIPE
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
receive() {
  cat > "$1" || return 1
  got=$(wc -c < "$1")
  if [ "$got" -ne "$2" ]; then echo "typebook: only $got of $2 bytes arrived (connection cut?); nothing was replaced" >&2; return 1; fi
  sum=$(sha256sum < "$1")
  if [ "\${sum%% *}" != "$3" ]; then echo "typebook: the data arrived damaged (SHA-256 mismatch); nothing was replaced" >&2; return 1; fi
}`;

/** `receive`'s SIZE and SHA256 arguments for `data`. */
export function integrityArgs(data: Buffer | string): [string, string] {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  return [String(bytes.length), createHash('sha256').update(bytes).digest('hex')];
}

/*
 * $1 target  $2 mode (octal)  $3 owner  $4 group  $5 make backup (y/'')  $6 create parent dirs (y/'')
 * $7 size  $8 sha256  $9 the word that stands for the temp path in the validate command, whose words follow.
 * The temp file is made by mktemp (O_EXCL, 0600 under umask 077) next to the target, so nobody else can read it
 * while it fills or open a planted name, and the final mv is an atomic rename; it is filled, verified, given its
 * mode and owner, validated, then renamed.
 */
const WRITE_SCRIPT = `set -e
umask 077
p=$1 mode=$2 owner=$3 group=$4 backup=$5 mkparents=$6 size=$7 sum=$8 mark=$9
shift 9
${RECEIVE_SETUP}
d=$(dirname -- "$p") b=$(basename -- "$p")
if [ -n "$mkparents" ] && [ ! -d "$d" ]; then (umask 022; mkdir -p -- "$d"); fi
t=$(mktemp -- "$d/.$b.typebook.XXXXXX")
trap 'rm -f -- "$t"' EXIT
receive "$t" "$size" "$sum"
chmod -- "$mode" "$t"
if [ -n "$owner$group" ]; then chown -- "$owner\${group:+:$group}" "$t"; fi
if [ $# -gt 0 ]; then
  n=$#
  while [ "$n" -gt 0 ]; do
    w=$1 out=
    shift
    while :; do
      case $w in
        *"$mark"*) out=$out\${w%%"$mark"*}$t w=\${w#*"$mark"} ;;
        *) break ;;
      esac
    done
    set -- "$@" "$out$w"
    n=$((n - 1))
  done
  set +e
  "$@"
  rc=$?
  set -e
  printf '\\n%s\\n' "typebook-validate-rc:$rc"
  if [ $rc -ne 0 ]; then exit 3; fi
fi
if [ -n "$backup" ] && [ -e "$p" ]; then
  bk="$p.$$.$(date +%Y-%m-%d@%H:%M:%S)~"
  cp -p -- "$p" "$bk"
  printf '%s\\n' "typebook-backup:$bk"
fi
mv -f -- "$t" "$p"
trap - EXIT
printf 'typebook-stat:%s\\n' "$(${FINAL_STAT})"`;

export interface WriteRequest {
  /** the file to replace (links already resolved where the module follows them) */
  path: string;
  data: Buffer;
  /** final permission bits */
  mode: number;
  /** owner/group to set; for an existing file, its own (Ansible's atomic_move keeps them) */
  owner?: string;
  group?: string;
  backup?: boolean;
  createParents?: boolean;
  /** Ansible's `validate`: a command with `%s` standing for the new file */
  validate?: string;
}

export type WriteOutcome =
  | { ok: true; stat: StatFields; backupFile?: string; validation?: { rc: number; stdout: string; stderr: string } }
  | { ok: false; msg: string; rc?: number; stdout?: string; stderr?: string; validateFailed?: boolean };

/** The validate command's words with %s replaced by `file` (and %% by %), as Python's `validate % file`. */
export function validateArgv(validate: string, file: string): string[] {
  return shlexSplit(validate).map((word) => word.replace(/%(%|s)/g, (_m, c: string) => (c === '%' ? '%' : file)));
}

/** A word for the validate command's `%s` that the command does not contain, replaced by the temp path on the host. */
function tempMarker(validate: string): string {
  let marker = '@typebook-temp@';
  while (validate.includes(marker)) marker = `@${marker}@`;
  return marker;
}

/** Writes the file atomically (verified, validated, backup, mode, owner) in one command. */
export async function writeFileOnHost(ctx: ModuleContext, request: WriteRequest): Promise<WriteOutcome> {
  const marker = tempMarker(request.validate ?? '');
  const validate = request.validate === undefined ? [] : validateArgv(request.validate, marker);
  const argv = ['/bin/sh', '-c', WRITE_SCRIPT, 'typebook-write', request.path, request.mode.toString(8), request.owner ?? '', request.group ?? '',
    request.backup ? 'y' : '', request.createParents ? 'y' : '', ...integrityArgs(request.data), marker, ...validate];
  const result = await ctx.connection.run({ argv }, { stdin: request.data, become: ctx.become, env: ctx.environment });
  const validateRc = /\ntypebook-validate-rc:(\d+)\n$/.exec(result.stdout);
  if (result.rc === 3 && validateRc) {
    return { ok: false, validateFailed: true, msg: 'failed to validate', rc: Number(validateRc[1]), stdout: result.stdout.slice(0, validateRc.index), stderr: result.stderr };
  }
  const statLine = /^typebook-stat:(.*)$/m.exec(result.stdout);
  if (result.rc !== 0 || !statLine) return { ok: false, msg: `could not write ${request.path}: ${result.stderr.trim() || `exit ${result.rc}`}` };
  const backup = /^typebook-backup:(.*)$/m.exec(result.stdout);
  // the validate command's output ends where its exit code is printed (assemble returns it as `validation`)
  const validated = result.stdout.lastIndexOf('\ntypebook-validate-rc:0\n');
  const validation = request.validate !== undefined && validated >= 0 ? { validation: { rc: 0, stdout: result.stdout.slice(0, validated), stderr: result.stderr } } : {};
  return { ok: true, stat: parseStatLine(statLine[1]!), ...(backup ? { backupFile: backup[1]! } : {}), ...validation };
}

/*
 * $1 path  $2 mode (octal or '')  $3 owner  $4 group  $5 'h' to chown the link itself
 */
const ATTRIBUTES_SCRIPT = `set -e
p=$1 mode=$2 owner=$3 group=$4 nofollow=$5
if [ -n "$mode" ]; then chmod -- "$mode" "$p"; fi
if [ -n "$owner$group" ]; then chown \${nofollow:+-h} -- "$owner\${group:+:$group}" "$p"; fi
printf 'typebook-stat:%s\\n' "$(${FINAL_STAT} 2>/dev/null || LC_ALL=C stat -c '${STAT_FORMAT}' -- "$p")"`;

/** Sets mode/owner/group of an existing object in one command; the object's new stat, or a failure message. */
export async function setAttributesOnHost(ctx: ModuleContext, path: string, change: AttributeChange, options: { noFollow?: boolean } = {}): Promise<{ ok: true; stat: StatFields } | { ok: false; msg: string }> {
  const argv = ['/bin/sh', '-c', ATTRIBUTES_SCRIPT, 'typebook-attrs', path, change.mode === undefined ? '' : change.mode.toString(8),
    change.owner ?? '', change.group ?? '', options.noFollow ? 'h' : ''];
  const result = await ctx.connection.run({ argv }, { become: ctx.become, env: ctx.environment });
  const statLine = /^typebook-stat:(.*)$/m.exec(result.stdout);
  if (result.rc !== 0 || !statLine) {
    const said = result.stderr.trim();
    const what = /chown/.test(said) ? 'chown failed' : /chmod/.test(said) ? 'chmod failed' : 'setting attributes failed';
    return { ok: false, msg: `${what}: ${said || `exit ${result.rc}`}` };
  }
  return { ok: true, stat: parseStatLine(statLine[1]!) };
}

// ---------------------------------------------------------------------------------------------- results and diffs

/** The file fields Ansible adds to a result (uid, gid, owner, group, mode, size, state). */
export function fileResultFields(stat: StatFields): Record<string, unknown> {
  return {
    uid: stat.uid, gid: stat.gid, owner: stat.owner ?? String(stat.uid), group: stat.group ?? String(stat.gid),
    mode: octalString(stat.mode), size: stat.size, state: stat.type === 'directory' ? 'directory' : stat.type === 'link' ? 'link' : stat.nlink > 1 ? 'hard' : 'file',
  };
}

/** Ansible's max_file_size_for_diff default: larger files are not shown */
const MAX_DIFF_BYTES = 104448;

function showable(data: Buffer | undefined, what: string): string {
  if (data === undefined) return '';
  if (data.length > MAX_DIFF_BYTES) return `(${what} is larger than ${MAX_DIFF_BYTES} bytes: not shown)\n`;
  if (data.subarray(0, 8192).includes(0)) return `(${what} is binary: not shown)\n`;
  return data.toString('utf8');
}

/** The content diff of a file: before/after text, with Ansible's headers. */
export function contentDiff(beforeHeader: string, before: Buffer | undefined, afterHeader: string, after: Buffer | undefined): Diff {
  return { before: showable(before, 'the old content'), after: showable(after, 'the new content'), beforeHeader, afterHeader };
}

/** Ansible's attribute diff ({before: {mode: '0644'}, after: {mode: '0600'}}) as text lines. */
export function attributesDiff(header: string, before: Record<string, unknown>, after: Record<string, unknown>): Diff {
  const text = (values: Record<string, unknown>) => Object.entries(values).map(([k, v]) => `${k}: ${String(v)}\n`).join('');
  return { before: text(before), after: text(after), beforeHeader: header, afterHeader: header };
}

/** The message of a failed ModeError or other controller-side refusal. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------- Python regexes on bytes

/** Text as Python's bytes: each byte one char (latin1), so regexes and lengths work per byte as on bytes in Python. */
export function toBinary(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/**
 * A Python `re` pattern compiled for searching bytes (lines kept as latin1 strings). Python's `$` also matches
 * before a final newline and its `.` takes `\r`: both are rewritten here before the shared translation.
 */
export function pythonBytesRegex(pattern: string): { regex: RegExp; multiline: boolean } {
  const inline = /^\(\?([aiLmsux]+)\)/.exec(pattern)?.[1] ?? '';
  const multiline = inline.includes('m');
  const dotAll = inline.includes('s');
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      out += c + (pattern[i + 1] ?? '');
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
      if (pattern[i + 1] === '^') out += pattern[++i];
      if (pattern[i + 1] === ']') out += pattern[++i];
    } else if (c === '$' && !multiline) out += '(?=\\n?\\Z)';
    else if (c === '.' && !dotAll) out += '[^\\n]';
    else out += c;
  }
  const global = pythonRegex(toBinary(out));
  return { regex: new RegExp(global.source, global.flags.replace('g', '')), multiline };
}

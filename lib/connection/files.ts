/**
 * File operations as shell programs run on the host in one exec each (SSH, or local with become), and the
 * error raised when such an operation fails for a reason of the host while the host itself is reachable.
 */
import type { CommandSpec, FileStat, FileType } from './types.js';

export type FileOperation = 'readFile' | 'stat' | 'openUnixSocket';

/**
 * A file operation failed on a reachable host (no such file, permission denied, unknown owner...).
 * Not a ConnectionError: the host stays reachable, the task fails.
 */
export class HostOperationError extends Error {
  readonly host: string;
  readonly operation: FileOperation;
  readonly path: string;
  /** errno-like code when recognisable: ENOENT, EACCES, EISDIR, ENOTDIR, ECONNREFUSED... */
  readonly code: string | undefined;
  constructor(host: string, operation: FileOperation, path: string, message: string, code?: string) {
    super(message);
    this.name = 'HostOperationError';
    this.host = host;
    this.operation = operation;
    this.path = path;
    this.code = code;
  }
}

const CODES: ReadonlyArray<[RegExp, string]> = [
  [/No such file or directory/i, 'ENOENT'],
  [/Permission denied|Operation not permitted/i, 'EACCES'],
  [/Is a directory/i, 'EISDIR'],
  [/Not a directory/i, 'ENOTDIR'],
  [/invalid user|invalid group/i, 'EINVAL'],
  [/No space left/i, 'ENOSPC'],
  [/Read-only file system/i, 'EROFS'],
  [/Connection refused/i, 'ECONNREFUSED'],
];

export function errorCodeOf(text: string): string | undefined {
  return CODES.find(([re]) => re.test(text))?.[1];
}

export function hostFileError(host: string, operation: FileOperation, path: string, stderr: string): HostOperationError {
  const said = stderr.trim();
  return new HostOperationError(host, operation, path,
    `${host}: ${operation} ${path} failed${said === '' ? '' : `: ${said}`}`, errorCodeOf(said));
}

export function readCommand(path: string): CommandSpec {
  return { argv: ['cat', '--', path] };
}

/* lstat in one exec: raw mode (hex), ids, size, mtime, names; then the link target for a link. */
const STAT_SCRIPT = `p=$1
if s=$(LC_ALL=C stat -c '%f %u %g %s %.3Y %U %G' -- "$p" 2>&1); then
  printf '%s\\n' "$s"
  if [ -L "$p" ]; then readlink -- "$p"; fi
else
  case $s in
    *'No such file or directory'*|*'Not a directory'*) echo missing ;;
    *) printf '%s\\n' "$s" >&2; exit 1 ;;
  esac
fi`;

export function statCommand(path: string): CommandSpec {
  return { argv: ['/bin/sh', '-c', STAT_SCRIPT, 'typebook-stat', path] };
}

export function fileTypeOfMode(mode: number): FileType {
  switch (mode & 0o170000) {
    case 0o100000: return 'file';
    case 0o040000: return 'directory';
    case 0o120000: return 'link';
    default: return 'other';
  }
}

/** Parses the output of the stat program; throws on output it does not recognise. */
export function parseStatOutput(output: string): FileStat {
  if (output === 'missing\n') return { exists: false };
  const newline = output.indexOf('\n');
  const fields = output.slice(0, newline < 0 ? undefined : newline).split(' ');
  if (fields.length !== 7) throw new Error(`unexpected stat output: ${JSON.stringify(output)}`);
  const [rawMode, uid, gid, size, mtime, owner, group] = fields as [string, string, string, string, string, string, string];
  const mode = parseInt(rawMode, 16);
  const type = fileTypeOfMode(mode);
  const stat: FileStat = {
    exists: true, type, mode: mode & 0o7777, uid: Number(uid), gid: Number(gid), size: Number(size),
    mtimeMs: Math.round(Number(mtime) * 1000),
  };
  if (owner !== 'UNKNOWN') stat.owner = owner;
  if (group !== 'UNKNOWN') stat.group = group;
  if (type === 'link' && newline >= 0) stat.linkTarget = output.slice(newline + 1).replace(/\n$/, '');
  return stat;
}

/**
 * The error raised when an operation on a host's files (opening a Unix socket) fails for a reason of the
 * host while the host itself is reachable.
 */
export type FileOperation = 'openUnixSocket';

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

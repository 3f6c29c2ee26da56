/**
 * What the engine and the modules need from a host, whatever carries it (local process, SSH).
 * A connection knows nothing of modules: it runs commands, moves bytes and opens sockets.
 */
import type { Duplex } from 'node:stream';

/** A command as an argument vector (each argument quoted by the connection), or a shell string run by `/bin/sh -c`. */
export type ProcessCommand = { argv: readonly string[] } | { shell: string };

/**
 * A Python 3 program and its arguments (sys.argv[1:]). The host's executor runs it in a forked copy of itself,
 * without starting an interpreter; elsewhere it runs as `python3 -c`, or as `withoutPython` when given (what
 * a host without python3 runs instead: the same output by other means).
 */
export interface PythonCommand {
  python: string;
  args?: readonly string[];
  withoutPython?: ProcessCommand;
  /**
   * A program that only reads and keeps no state: it defines `main(argv)`, which returns its output. The
   * executor calls it in its own process (no fork at all); elsewhere it runs as a script (`__main__`).
   */
  inProcess?: boolean;
}

export type CommandSpec = ProcessCommand | PythonCommand;

export interface Become {
  /** default root */
  user?: string;
  /** default sudo */
  method?: 'sudo' | 'su';
  /** sent on standard input only: never on a command line, never logged */
  password?: string;
}

export interface RunOptions {
  stdin?: string | Uint8Array;
  env?: Readonly<Record<string, string>>;
  /** working directory on the host */
  cwd?: string;
  /** the command is killed and the call fails with a ConnectionError of kind 'timeout' after this long */
  timeoutMs?: number;
  /** when aborted, the command is killed and the call fails with a CommandStoppedError (the abort's reason) */
  signal?: AbortSignal;
  /** bytes kept per output stream; past them the command is killed and the call fails with a CommandStoppedError */
  maxOutputBytes?: number;
  become?: Become;
}

export interface RunResult {
  rc: number;
  /** untrimmed */
  stdout: string;
  stderr: string;
}

export interface Connection {
  /** the inventory name of the host this connection reaches */
  readonly host: string;
  /** Opens the connection (idempotent). Fails with a ConnectionError. */
  connect(): Promise<void>;
  /** Runs a command; a non-zero exit is a result, not an error. Transport failures are ConnectionErrors. */
  run(command: CommandSpec, options?: RunOptions): Promise<RunResult>;
  /** A byte stream to a Unix socket on the host (HAProxy's runtime API). */
  openUnixSocket(path: string): Promise<Duplex>;
  close(): Promise<void>;
}

/** A command killed on purpose while its host stayed reachable: a task's timeout, an interrupted run, too much output. */
export class CommandStoppedError extends Error {
  readonly host: string;
  constructor(host: string, message: string) {
    super(message);
    this.name = 'CommandStoppedError';
    this.host = host;
  }
}

export type ConnectionErrorKind = 'refused' | 'timeout' | 'auth' | 'dns' | 'hostkey' | 'lost' | 'become' | 'other';

/** A failure to reach or keep talking to a host: the engine marks that host unreachable with this message. */
export class ConnectionError extends Error {
  readonly kind: ConnectionErrorKind;
  readonly host: string;
  /** the connection variable at fault (ansible_port...), when one is */
  readonly variable: string | undefined;
  constructor(host: string, kind: ConnectionErrorKind, message: string, options?: { cause?: unknown; variable?: string }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'ConnectionError';
    this.host = host;
    this.kind = kind;
    this.variable = options?.variable;
  }
}

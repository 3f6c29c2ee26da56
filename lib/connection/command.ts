/**
 * What the local and the SSH connection share: how a command, its environment, working directory and
 * privilege escalation become one argument vector, and how a running process is driven (stdin, output,
 * become prompts, timeout) into a result.
 */
import { randomBytes } from 'node:crypto';
import { constants as osConstants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { shellJoin, shellQuote } from './quote.js';
import { CommandStoppedError, ConnectionError, type Become, type CommandSpec, type ProcessCommand, type RunResult } from './types.js';

/** The outer argument vector of a command, plus what `drive` needs to handle `become`. */
export interface Invocation {
  argv: string[];
  /**
   * printed with the shell's PID (`<marker> <pid>`) on stdout by the target shell before it runs the command:
   * proves that privileges were gained, and gives the PID that a timeout kills
   */
  startMarker?: string;
  /** with become: nothing is sent on stdin before the start marker, so sudo never reads the command's input */
  stdinAfterStart?: boolean;
  /** the prompt sudo prints (on stderr) when it wants the password */
  passwordPrompt?: string;
  password?: string;
  /** for messages: e.g. "sudo -u postgres" */
  becomeLabel?: string;
  /** sent on stdin before the command's own input: the environment, read by the inner script (see innerScript) */
  stdinPrefix?: Buffer;
}

export interface InvocationOptions {
  env?: Readonly<Record<string, string>>;
  cwd?: string;
  become?: Become;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/;

export function checkEnvNames(env: Readonly<Record<string, string>> | undefined): void {
  for (const name of Object.keys(env ?? {})) {
    if (!ENV_NAME.test(name)) {
      throw new TypeError(`invalid environment variable name ${JSON.stringify(name)}: expected letters, digits and '_', not starting with a digit`);
    }
  }
}

/**
 * The script run by `/bin/sh -c` on the host: optional start marker, cd, exported env, then the command.
 * The environment's values do not appear in it (a command line is visible to every user in `ps`): they come
 * first on stdin as one base64 line (`environmentLine`), read by the shell before the command takes over stdin.
 */
export function innerScript(command: ProcessCommand, options: InvocationOptions, startMarker?: string): string {
  checkEnvNames(options.env);
  const steps: string[] = [];
  if (startMarker !== undefined) steps.push(`echo ${startMarker} $$`);
  if (Object.keys(options.env ?? {}).length > 0) steps.push(`IFS= read -r typebook_env && eval "$(printf %s "$typebook_env" | base64 -d)" && unset typebook_env`);
  steps.push(commandScript(command, options.cwd));
  return `${SESSION_WATCHDOG}\n${steps.join(' && ')}`;
}

/** The part of the script that runs the command itself: cd to its directory, then exec it. */
export function commandScript(command: ProcessCommand, cwd: string | undefined): string {
  const cd = cwd === undefined ? '' : `cd -- ${shellQuote(cwd)} && `;
  if ('argv' in command) {
    if (command.argv.length === 0) throw new TypeError('empty argv: nothing to run');
    return `${cd}exec ${shellJoin(command.argv)}`;
  }
  return `${cd}exec /bin/sh -c ${shellQuote(command.shell)}`;
}

/** The host's Python: ansible_python_interpreter, where `auto*` (Ansible's discovery) means python3 on the PATH. */
export function pythonPath(pythonInterpreter: string | undefined): string {
  return pythonInterpreter === undefined || pythonInterpreter.startsWith('auto') ? 'python3' : pythonInterpreter;
}

/** What a process runs for a command: a Python program becomes `python3 -c`, or its stand-in where it has one. */
export function processCommand(command: CommandSpec, pythonInterpreter: string | undefined): ProcessCommand {
  if (!('python' in command)) return command;
  return command.withoutPython ?? { argv: [pythonPath(pythonInterpreter), '-c', command.python, ...(command.args ?? [])] };
}

/** A command as messages name it: a Python program by its arguments, not its source. */
export function commandLabel(command: CommandSpec): string {
  if ('argv' in command) return command.argv.join(' ');
  if ('shell' in command) return command.shell;
  return ['python3 -c …', ...(command.args ?? [])].join(' ');
}

/**
 * Without a terminal, sshd leaves a command running when its session ends (a dropped connection, a killed
 * controller): nothing tells it. When the script's $0 is the PID of the sshd session process (the SSH
 * connection appends "$PPID" to the command line), a background watcher kills the command's process group
 * once that process is gone. Elsewhere $0 is not a number and nothing is started.
 */
const SESSION_WATCHDOG = `case $0 in ''|*[!0-9]*) ;; *) if [ -d "/proc/$0" ]; then { while [ -d "/proc/$0" ] && [ -d "/proc/$$" ]; do sleep 1; done; [ -d "/proc/$$" ] && kill -TERM 0; } </dev/null >/dev/null 2>&1 & fi ;; esac`;

/** The first line of stdin for a script with an environment: `export K='v' ...` in base64. */
export function environmentLine(env: Readonly<Record<string, string>> | undefined): Buffer | undefined {
  const entries = Object.entries(env ?? {});
  if (entries.length === 0) return undefined;
  return Buffer.from(`${Buffer.from(`export ${entries.map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ')}`).toString('base64')}\n`);
}

/**
 * The argument vector that runs `command` with `options`: `/bin/sh -c <script>`, wrapped in sudo or su when
 * becoming another user. The password never appears here: it is sent on stdin when sudo prompts for it.
 */
export function buildInvocation(host: string, command: ProcessCommand, options: InvocationOptions): Invocation {
  const invocation = becomeInvocation(host, command, options);
  const prefix = environmentLine(options.env);
  return prefix === undefined ? invocation : { ...invocation, stdinPrefix: prefix };
}

function becomeInvocation(host: string, command: ProcessCommand, options: InvocationOptions): Invocation {
  const become = options.become;
  const startMarker = `TYPEBOOK-START-${randomBytes(12).toString('hex')}`;
  if (become === undefined) return { argv: ['/bin/sh', '-c', innerScript(command, options, startMarker)], startMarker };

  const user = become.user ?? 'root';
  const method = become.method ?? 'sudo';
  if (!USER_NAME.test(user)) {
    throw new ConnectionError(host, 'become', `become user ${JSON.stringify(user)} is not a valid user name`);
  }
  const inner = innerScript(command, options, startMarker);
  const becomeLabel = `${method} -u ${user}`;
  if (method === 'su') {
    if (become.password !== undefined) {
      throw new ConnectionError(host, 'become',
        `become with su and a password is not supported: su reads the password from a terminal, and typebook keeps ` +
        `output byte-exact by not allocating one; use become_method: sudo, or let the user run su without a password`);
    }
    return { argv: ['su', '-s', '/bin/sh', '-c', inner, user], startMarker, stdinAfterStart: true, becomeLabel };
  }
  if (become.password === undefined) {
    return { argv: ['sudo', '-H', '-n', '-u', user, '--', '/bin/sh', '-c', inner], startMarker, stdinAfterStart: true, becomeLabel };
  }
  const passwordPrompt = `[typebook-sudo-password-${randomBytes(8).toString('hex')}]`;
  return {
    argv: ['sudo', '-H', '-S', '-p', passwordPrompt, '-u', user, '--', '/bin/sh', '-c', inner],
    startMarker, stdinAfterStart: true, passwordPrompt, password: become.password, becomeLabel,
  };
}

/**
 * The remote command line of an invocation, for an SSH exec request. The user's login shell expands the
 * unquoted "$PPID" to its parent, the sshd session process, which becomes the inner script's $0 (see
 * SESSION_WATCHDOG).
 */
export function invocationCommandLine(invocation: Invocation): string {
  return `${shellJoin(invocation.argv)} "$PPID"`;
}

/** A started process, local or remote, as `drive` sees it. */
export interface ProcessHandle {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** settles once the process exited and its output streams closed; rejects with a ConnectionError when the transport died */
  done: Promise<{ code: number | null; signal: string | null }>;
  /** stops the process (timeout, failed become); `pid` is the one the start marker gave, if it came */
  kill(pid: number | undefined): void;
}

export interface RawResult {
  rc: number;
  stdout: Buffer;
  stderr: Buffer;
}

export interface DriveOptions {
  stdin?: string | Uint8Array;
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
  /** default DEFAULT_MAX_OUTPUT_BYTES */
  maxOutputBytes?: number | undefined;
  /** for messages */
  what: string;
}

/** The shell's convention for a process killed by a signal: 128 + its number. */
export function exitCode(code: number | null, signal: string | null): number {
  if (code !== null) return code;
  if (signal !== null) {
    const name = (signal.startsWith('SIG') ? signal : `SIG${signal}`) as keyof typeof osConstants.signals;
    const num = osConstants.signals[name];
    return 128 + (typeof num === 'number' ? num : 0);
  }
  return 255;
}

/**
 * What is kept of one output stream of a command. Output is held in memory until the command ends, so with
 * many hosts at once it must be bounded; past this the command is killed and the task fails, saying so.
 */
export const DEFAULT_MAX_OUTPUT_BYTES = 128 * 1024 * 1024;

/** How long a killed process may take to report its end before the call fails anyway. */
const KILL_GRACE_MS = 3000;

/**
 * Drives a started process to its end: feeds stdin (after the start marker when becoming), answers sudo's
 * password prompt once, collects stdout and stderr as bytes, kills it on timeout.
 */
export function drive(host: string, proc: ProcessHandle, invocation: Invocation, options: DriveOptions): Promise<RawResult> {
  return new Promise<RawResult>((resolve, reject) => {
    const stdoutChunks: Buffer[] = [];
    const stderrChunks: Buffer[] = [];
    let settled = false;
    let failure: ConnectionError | CommandStoppedError | undefined;
    const maxBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const kept = { stdout: 0, stderr: 0 };
    /** false (and the command killed) once the stream passed maxBytes */
    const keep = (stream: 'stdout' | 'stderr', chunk: Buffer): boolean => {
      kept[stream] += chunk.length;
      if (kept[stream] <= maxBytes) return true;
      fail(tooMuchOutput(host, options.what, maxBytes, stream));
      return false;
    };
    let timer: NodeJS.Timeout | undefined;
    const start = new SessionStart(host, invocation, options.what, proc.stdin);

    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const fail = (error: ConnectionError | CommandStoppedError): void => {
      if (failure !== undefined) return;
      failure = error;
      proc.kill(start.pid);
      // the end is normally reported at once; a host that does not report it must not hold the caller
      setTimeout(() => finish(() => reject(error)), KILL_GRACE_MS).unref();
    };
    const sendStdin = (): void => {
      // a process that exits without reading its stdin closes the pipe: that is its business, not a failure
      proc.stdin.on('error', () => undefined);
      if (invocation.stdinPrefix !== undefined) proc.stdin.write(invocation.stdinPrefix);
      if (options.stdin === undefined || options.stdin.length === 0) proc.stdin.end();
      else proc.stdin.end(typeof options.stdin === 'string' ? Buffer.from(options.stdin) : options.stdin);
    };

    proc.stdout.on('data', (chunk: Buffer) => {
      if (start.started) {
        if (keep('stdout', chunk)) stdoutChunks.push(chunk);
        return;
      }
      const rest = start.stdout(chunk);
      if (rest === undefined) return;
      if (rest.length > 0) stdoutChunks.push(rest);
      if (invocation.stdinAfterStart === true) sendStdin();
      if (failure !== undefined) proc.kill(start.pid);
    });
    proc.stderr.on('data', (chunk: Buffer) => {
      if (start.started || invocation.passwordPrompt === undefined) {
        if (keep('stderr', chunk)) stderrChunks.push(chunk);
        return;
      }
      const refused = start.stderr(chunk);
      if (refused !== undefined) fail(refused);
    });

    if (invocation.stdinAfterStart !== true) sendStdin();
    const onAbort = (): void => fail(interrupted(host, options.what, options.signal));
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeoutMs !== undefined) {
      const timeoutMs = options.timeoutMs;
      timer = setTimeout(() => fail(timedOut(host, options.what, timeoutMs)), timeoutMs);
    }

    proc.done.then(({ code, signal }) => finish(() => {
      if (failure !== undefined) {
        reject(failure);
        return;
      }
      if (!start.started) {
        reject(start.notStarted(Buffer.concat(stderrChunks).toString('utf8')));
        return;
      }
      resolve({ rc: exitCode(code, signal), stdout: Buffer.concat(stdoutChunks), stderr: Buffer.concat(stderrChunks) });
    }), (error: unknown) => finish(() => reject(failure ?? error)));
  });
}

/**
 * The first moments of a session: the start marker on stdout (with the shell's PID), and sudo's password
 * prompt on stderr, answered once on stdin.
 */
export class SessionStart {
  started: boolean;
  pid: number | undefined;
  private readonly marker: Buffer | undefined;
  private pending = Buffer.alloc(0);
  private prompts = 0;
  private stderrText = '';

  constructor(private readonly host: string, private readonly invocation: Invocation, private readonly what: string, private readonly stdin: Writable) {
    this.marker = invocation.startMarker === undefined ? undefined : Buffer.from(`${invocation.startMarker} `);
    this.started = this.marker === undefined;
  }

  /** Reads stdout before the start; once the marker line came, what followed it. */
  stdout(chunk: Buffer): Buffer | undefined {
    this.pending = Buffer.concat([this.pending, chunk]);
    const at = this.marker === undefined ? -1 : this.pending.indexOf(this.marker);
    const eol = at < 0 ? -1 : this.pending.indexOf(0x0a, at);
    if (at < 0 || eol < 0 || this.marker === undefined) return undefined;
    this.started = true;
    this.pid = Number(this.pending.subarray(at + this.marker.length, eol).toString('latin1'));
    const rest = this.pending.subarray(eol + 1);
    this.pending = Buffer.alloc(0);
    return rest;
  }

  /** Reads stderr before the start: answers the first password prompt; a second one means a wrong password. */
  stderr(chunk: Buffer): ConnectionError | undefined {
    const prompt = this.invocation.passwordPrompt;
    this.stderrText += chunk.toString('utf8');
    if (prompt === undefined) return undefined;
    const seen = this.stderrText.split(prompt).length - 1;
    while (this.prompts < seen) {
      this.prompts += 1;
      if (this.prompts > 1) return new ConnectionError(this.host, 'become', `${this.what}: become (${this.invocation.becomeLabel}) failed: incorrect sudo password`);
      this.stdin.write(`${this.invocation.password ?? ''}\n`);
    }
    return undefined;
  }

  /** Why the session ended before its command started, with what the host said (the password scrubbed). */
  notStarted(laterStderr = ''): ConnectionError {
    const said = scrub(this.stderrText + laterStderr, this.invocation).trim();
    const detail = said === '' ? '' : `: ${said}`;
    return this.invocation.becomeLabel === undefined
      ? new ConnectionError(this.host, 'other', `${this.what}: the host's shell did not start the command${detail}`)
      : new ConnectionError(this.host, 'become', `${this.what}: become (${this.invocation.becomeLabel}) failed${detail}`);
  }
}

/* Why a command was killed on purpose: the same words whether a shell session or the host's executor ran it. */
export function tooMuchOutput(host: string, what: string, maxBytes: number, stream: 'stdout' | 'stderr'): CommandStoppedError {
  return new CommandStoppedError(host, `${what}: more than ${maxBytes / 1024 / 1024} MiB on ${stream}; the command was killed (typebook keeps at most that much of each output stream)`);
}

export function interrupted(host: string, what: string, signal: AbortSignal | undefined): CommandStoppedError {
  const reason: unknown = signal?.reason;
  return new CommandStoppedError(host, `${what}: ${reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'interrupted'}; the command was killed`);
}

export function timedOut(host: string, what: string, timeoutMs: number): ConnectionError {
  return new ConnectionError(host, 'timeout', `${what}: timed out after ${timeoutMs} ms; the command was killed`);
}

/** Removes sudo's prompt and, in case a tool echoed it, the password from text shown to a person. */
function scrub(text: string, invocation: Invocation): string {
  let out = text;
  if (invocation.passwordPrompt !== undefined) out = out.split(invocation.passwordPrompt).join('');
  if (invocation.password !== undefined && invocation.password !== '') out = out.split(invocation.password).join('********');
  return out;
}

export function toRunResult(raw: RawResult): RunResult {
  return { rc: raw.rc, stdout: raw.stdout.toString('utf8'), stderr: raw.stderr.toString('utf8') };
}

/**
 * What the local and the SSH connection share: how a command, its environment, working directory and
 * privilege escalation become one argument vector, and how a running process is driven (stdin, output,
 * become prompts, timeout) into a result.
 */
import { randomBytes } from 'node:crypto';
import { constants as osConstants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { shellJoin, shellQuote } from './quote.js';
import { CommandStoppedError, ConnectionError, type Become, type CommandSpec, type RunResult } from './types.js';

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
export function innerScript(command: CommandSpec, options: InvocationOptions, startMarker?: string): string {
  checkEnvNames(options.env);
  const steps: string[] = [];
  if (startMarker !== undefined) steps.push(`echo ${startMarker} $$`);
  if (options.cwd !== undefined) steps.push(`cd -- ${shellQuote(options.cwd)}`);
  if (Object.keys(options.env ?? {}).length > 0) steps.push(`IFS= read -r typebook_env && eval "$(printf %s "$typebook_env" | base64 -d)" && unset typebook_env`);
  if ('argv' in command) {
    if (command.argv.length === 0) throw new TypeError('empty argv: nothing to run');
    steps.push(`exec ${shellJoin(command.argv)}`);
  } else {
    steps.push(`exec /bin/sh -c ${shellQuote(command.shell)}`);
  }
  return `${SESSION_WATCHDOG}\n${steps.join(' && ')}`;
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
export function buildInvocation(host: string, command: CommandSpec, options: InvocationOptions): Invocation {
  const invocation = becomeInvocation(host, command, options);
  const prefix = environmentLine(options.env);
  return prefix === undefined ? invocation : { ...invocation, stdinPrefix: prefix };
}

function becomeInvocation(host: string, command: CommandSpec, options: InvocationOptions): Invocation {
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
      fail(new CommandStoppedError(host, `${options.what}: more than ${maxBytes / 1024 / 1024} MiB on ${stream}; the command was killed (typebook keeps at most that much of each output stream)`));
      return false;
    };
    let timer: NodeJS.Timeout | undefined;
    const marker = invocation.startMarker === undefined ? undefined : Buffer.from(`${invocation.startMarker} `);
    let started = marker === undefined;
    let pid: number | undefined;
    let pending = Buffer.alloc(0);
    let prompts = 0;
    let stderrText = '';

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
      proc.kill(pid);
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
      if (started) {
        if (keep('stdout', chunk)) stdoutChunks.push(chunk);
        return;
      }
      pending = Buffer.concat([pending, chunk]);
      const at = marker === undefined ? -1 : pending.indexOf(marker);
      const eol = at < 0 ? -1 : pending.indexOf(0x0a, at);
      if (at >= 0 && eol >= 0 && marker !== undefined) {
        started = true;
        pid = Number(pending.subarray(at + marker.length, eol).toString('latin1'));
        const rest = pending.subarray(eol + 1);
        if (rest.length > 0) stdoutChunks.push(rest);
        pending = Buffer.alloc(0);
        if (invocation.stdinAfterStart === true) sendStdin();
        if (failure !== undefined) proc.kill(pid);
      }
    });
    proc.stderr.on('data', (chunk: Buffer) => {
      if (started || invocation.passwordPrompt === undefined) {
        if (keep('stderr', chunk)) stderrChunks.push(chunk);
        return;
      }
      stderrText += chunk.toString('utf8');
      const seen = stderrText.split(invocation.passwordPrompt).length - 1;
      while (prompts < seen) {
        prompts += 1;
        if (prompts === 1) {
          proc.stdin.write(`${invocation.password ?? ''}\n`);
        } else {
          fail(new ConnectionError(host, 'become', `${options.what}: become (${invocation.becomeLabel}) failed: incorrect sudo password`));
        }
      }
    });

    if (invocation.stdinAfterStart !== true) sendStdin();
    const onAbort = (): void => {
      const reason: unknown = options.signal?.reason;
      fail(new CommandStoppedError(host, `${options.what}: ${reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'interrupted'}; the command was killed`));
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        fail(new ConnectionError(host, 'timeout', `${options.what}: timed out after ${options.timeoutMs} ms; the command was killed`));
      }, options.timeoutMs);
    }

    proc.done.then(({ code, signal }) => finish(() => {
      if (failure !== undefined) {
        reject(failure);
        return;
      }
      if (!started) {
        const said = scrub(stderrText + Buffer.concat(stderrChunks).toString('utf8'), invocation).trim();
        const detail = said === '' ? '' : `: ${said}`;
        reject(invocation.becomeLabel === undefined
          ? new ConnectionError(host, 'other', `${options.what}: the host's shell did not start the command${detail}`)
          : new ConnectionError(host, 'become', `${options.what}: become (${invocation.becomeLabel}) failed${detail}`));
        return;
      }
      resolve({ rc: exitCode(code, signal), stdout: Buffer.concat(stdoutChunks), stderr: Buffer.concat(stderrChunks) });
    }), (error: unknown) => finish(() => reject(failure ?? error)));
  });
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

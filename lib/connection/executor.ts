/**
 * The host's executor: one long-lived process per host and become user, started once on its own SSH channel,
 * that runs each command it is sent and answers with the command's exit status and output. A command then
 * costs one message each way instead of a new SSH session (sshd's fork, PAM, a login shell): about 1 ms
 * instead of about 15 on a near host. Mitogen does the same for Ansible.
 *
 * The executor is a small Python program (every Debian host has python3). A host without python3, or one
 * where it cannot start, keeps the session per command: `start` rejects, and the connection remembers it.
 *
 * Framing: one JSON object per line each way; bytes (stdin, stdout, stderr) in base64.
 *   controller → host: {"id", "argv", "env", "stdin", "max"} runs a command; {"kill": id} kills its process group
 *   host → controller: {"id", "rc" | "sig", "out", "err", "over"} when it ended; {"id", "spawn"} when it could not start
 * Each command runs in a session of its own (its own process group: a timeout kills it and all its children).
 * When its channel closes (the connection dropped, the controller died), the executor sends every command it
 * still runs SIGTERM and exits.
 */
import type { Readable, Writable } from 'node:stream';
import { commandScript, interrupted, pythonPath, timedOut, tooMuchOutput, DEFAULT_MAX_OUTPUT_BYTES, type RawResult } from './command.js';
import { ConnectionError, type CommandSpec, type ProcessCommand, type RunOptions } from './types.js';

export const EXECUTOR_READY = 'typebook-executor 1';

export const EXECUTOR_PROGRAM = String.raw`import base64, io, json, os, select, signal, subprocess, sys, threading, traceback, warnings
# loaded once here, so that the programs forked from here (the file reader, wait_for) find them loaded
import grp, hashlib, pwd, socket, stat, time
# forking from a threaded process: the child only runs the program it was forked for, never the other threads' locks
warnings.filterwarnings('ignore', category=DeprecationWarning)
os.environ.pop('PYTHONCOERCECLOCALE', None)
out = sys.stdout.buffer
write_lock = threading.Lock()
running = {}

def send(message):
    data = (json.dumps(message, separators=(',', ':')) + '\n').encode()
    with write_lock:
        out.write(data)
        out.flush()

def kill(proc, sig=signal.SIGKILL):
    try:
        os.killpg(proc.pid, sig)
    except OSError:
        # not yet the leader of its own session
        try:
            os.kill(proc.pid, sig)
        except OSError:
            pass

def feed(proc, data):
    try:
        view = memoryview(data)
        while view:
            view = view[proc.stdin.write(view):]
    except OSError:
        pass
    finally:
        try:
            proc.stdin.close()
        except OSError:
            pass

class Child:
    # a process started with three pipes; the parent's ends kept here
    def pipes(self):
        self.ends = [os.pipe(), os.pipe(), os.pipe()]
        return self.ends

    def keep_parent_ends(self):
        (r0, w0), (r1, w1), (r2, w2) = self.ends
        for fd in (r0, w1, w2):
            os.close(fd)
        self.stdin = io.FileIO(w0, 'w')
        self.stdout = io.FileIO(r1, 'r')
        self.stderr = io.FileIO(r2, 'r')

    def close_all(self):
        for pair in self.ends:
            for fd in pair:
                os.close(fd)

    def wait(self):
        _, status = os.waitpid(self.pid, 0)
        self.stdout.close()
        self.stderr.close()
        return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)

class Spawned(Child):
    # posix_spawn (vfork underneath): no copy of this process's memory, unlike fork
    def __init__(self, argv, env):
        (r0, w0), (r1, w1), (r2, w2) = self.pipes()
        actions = [(os.POSIX_SPAWN_DUP2, r0, 0), (os.POSIX_SPAWN_DUP2, w1, 1), (os.POSIX_SPAWN_DUP2, w2, 2)]
        try:
            self.pid = os.posix_spawnp(argv[0], argv, env, file_actions=actions, setsid=True)
        except BaseException:
            self.close_all()
            raise
        self.keep_parent_ends()

class Forked(Child):
    # a Python program run in a forked copy of this process: no interpreter to start, its modules already loaded
    def __init__(self, source, args, env, cwd):
        (r0, w0), (r1, w1), (r2, w2) = self.pipes()
        self.pid = os.fork()
        if self.pid == 0:
            code = 1
            try:
                os.setsid()
                os.dup2(r0, 0)
                os.dup2(w1, 1)
                os.dup2(w2, 2)
                os.closerange(3, 65536)
                sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, 'r')), encoding='utf-8', errors='surrogateescape')
                sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, 'w')), encoding='utf-8', errors='surrogateescape')
                sys.stderr = io.TextIOWrapper(io.BufferedWriter(io.FileIO(2, 'w')), encoding='utf-8', errors='backslashreplace')
                os.environ.update(env)
                if cwd is not None:
                    try:
                        os.chdir(cwd)
                    except OSError:
                        sys.stderr.write("/bin/sh: 1: cd: can't cd to %s\n" % cwd)
                        code = 2
                        raise SystemExit(2)
                sys.argv = ['-c'] + list(args)
                exec(compile(source, '<string>', 'exec'), {'__name__': '__main__', '__builtins__': __builtins__})
                code = 0
            except SystemExit as stop:
                if stop.code is None:
                    code = 0
                elif isinstance(stop.code, int):
                    code = stop.code
                else:
                    sys.stderr.write('%s\n' % (stop.code,))
                    code = 1
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                except BaseException:
                    pass
                os._exit(code & 0xff)
        self.keep_parent_ends()

programs = {}

def run_in_process(request):
    # a program that only reads (it defines main(argv) and returns its output): called here, no process at all
    rid = request['id']
    try:
        program = programs.get(request['py'])
        if program is None:
            program = {'__name__': 'typebook_program'}
            exec(compile(request['py'], '<string>', 'exec'), program)
            programs[request['py']] = program
        text = program['main'](list(request['args']))
        send({'id': rid, 'rc': 0, 'out': base64.b64encode(text.encode('utf-8', 'surrogateescape')).decode(), 'err': '', 'over': None})
    except BaseException:
        send({'id': rid, 'rc': 1, 'out': '', 'err': base64.b64encode(traceback.format_exc().encode()).decode(), 'over': None})

def spawn(argv, env):
    if hasattr(os, 'posix_spawnp'):
        return Spawned(argv, env)
    return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, start_new_session=True, close_fds=True, bufsize=0)

def run(request):
    rid = request['id']
    env = dict(os.environ)
    env.update(request.get('env') or {})
    try:
        if 'py' in request:
            proc = Forked(request['py'], request['args'], request.get('env') or {}, request.get('cwd'))
        else:
            proc = spawn(request['argv'], env)
    except (FileNotFoundError, PermissionError) as error:
        # a program run without a shell in front: what the shell's exec would have said
        name = request.get('argv', ['?'])[0]
        said = 'not found' if isinstance(error, FileNotFoundError) else 'Permission denied'
        send({'id': rid, 'rc': 127 if said == 'not found' else 126, 'out': '', 'over': None,
              'err': base64.b64encode(('/bin/sh: 1: exec: %s: %s\n' % (name, said)).encode()).decode()})
        return
    except OSError as error:
        send({'id': rid, 'spawn': str(error)})
        return
    running[rid] = proc
    threading.Thread(target=feed, args=(proc, base64.b64decode(request.get('stdin') or '')), daemon=True).start()
    limit = request.get('max') or (128 << 20)
    streams = {proc.stdout.fileno(): 'out', proc.stderr.fileno(): 'err'}
    chunks = {'out': [], 'err': []}
    sizes = {'out': 0, 'err': 0}
    over = None
    while streams:
        ready, _, _ = select.select(list(streams), [], [])
        for fd in ready:
            chunk = os.read(fd, 65536)
            name = streams[fd]
            if not chunk:
                del streams[fd]
                continue
            sizes[name] += len(chunk)
            if sizes[name] > limit:
                if over is None:
                    over = name
                    kill(proc)
                continue
            chunks[name].append(chunk)
    code = proc.wait()
    running.pop(rid, None)
    answer = {'id': rid, 'out': base64.b64encode(b''.join(chunks['out'])).decode(),
              'err': base64.b64encode(b''.join(chunks['err'])).decode(), 'over': over}
    if code < 0:
        answer['sig'] = -code
    else:
        answer['rc'] = code
    send(answer)

send_ready = sys.argv[1] if len(sys.argv) > 1 else ''
out.write((send_ready + '\n').encode())
out.flush()
for line in sys.stdin.buffer:
    request = json.loads(line)
    if 'kill' in request:
        proc = running.get(request['kill'])
        if proc is not None:
            kill(proc)
        continue
    threading.Thread(target=run_in_process if request.get('inproc') else run, args=(request,), daemon=True).start()
# the session ended: as a shell's session would, commands get SIGTERM (a write removes its temporary file)
for proc in list(running.values()):
    kill(proc, signal.SIGTERM)
os._exit(0)
`;

/** The command that starts the executor (inside the usual session script: become, start marker). */
export function executorCommand(pythonInterpreter: string | undefined): ProcessCommand {
  // in the C locale Python sets LC_CTYPE=C.UTF-8 for itself (PEP 538), which its children would inherit: tools
  // would then quote with ‘’ and print other bytes than in a session of their own
  return { argv: ['env', 'PYTHONCOERCECLOCALE=0', pythonPath(pythonInterpreter), '-c', EXECUTOR_PROGRAM, EXECUTOR_READY] };
}

interface Answer {
  id: number;
  rc?: number;
  sig?: number;
  out?: string;
  err?: string;
  over?: 'out' | 'err' | null;
  spawn?: string;
}

interface Pending {
  resolve: (result: RawResult) => void;
  reject: (error: Error) => void;
  what: string;
  maxBytes: number;
}

/** The channel the executor runs on, already past its start marker and ready line. */
export interface ExecutorChannel {
  stdin: Writable;
  stdout: Readable;
  /** settles when the channel closed, for whatever reason */
  closed: Promise<void>;
  close(): void;
}

export class Executor {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buffered = '';
  private ended: Error | undefined;

  /**
   * @param lost the error each command still running gets when the channel closes under it
   */
  constructor(private readonly host: string, private readonly channel: ExecutorChannel, rest: Buffer, private readonly lost: (what: string) => Error) {
    channel.stdout.on('data', (chunk: Buffer) => this.receive(chunk.toString('utf8')));
    if (rest.length > 0) this.receive(rest.toString('utf8'));
    void channel.closed.then(() => {
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.reject(this.lost(p.what));
      }
      this.ended ??= this.lost('the executor');
    });
  }

  /** false once the channel closed: the connection starts another on next use */
  get alive(): boolean {
    return this.ended === undefined;
  }

  run(command: CommandSpec, options: RunOptions, what: string): Promise<RawResult> {
    if (this.ended !== undefined) return Promise.reject(this.lost(what));
    const id = this.nextId++;
    const maxBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const stdin = options.stdin === undefined ? '' : Buffer.from(options.stdin).toString('base64');
    // an argument vector without a directory to change to needs no shell in front
    const program = 'python' in command
      ? { py: command.python, args: command.args ?? [], cwd: options.cwd ?? null, ...(command.inProcess === true && options.cwd === undefined ? { inproc: true } : {}) }
      : 'argv' in command && options.cwd === undefined && command.argv.length > 0
        ? { argv: command.argv }
        : { argv: ['/bin/sh', '-c', commandScript(command, options.cwd)] };
    const request = { id, ...program, env: options.env ?? {}, stdin, max: maxBytes };
    return new Promise<RawResult>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const stop = (error: Error): void => {
        if (!this.pending.has(id)) return;
        this.pending.delete(id);
        cleanup();
        this.channel.stdin.write(`${JSON.stringify({ kill: id })}\n`);
        reject(error);
      };
      const onAbort = (): void => stop(interrupted(this.host, what, options.signal));
      const cleanup = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      this.pending.set(id, {
        resolve: (result) => { cleanup(); resolve(result); },
        reject: (error) => { cleanup(); reject(error); },
        what, maxBytes,
      });
      if (options.signal?.aborted) {
        onAbort();
        return;
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const timeoutMs = options.timeoutMs;
      if (timeoutMs !== undefined) timer = setTimeout(() => stop(timedOut(this.host, what, timeoutMs)), timeoutMs);
      this.channel.stdin.write(`${JSON.stringify(request)}\n`);
    });
  }

  close(): void {
    this.ended ??= this.lost('the executor');
    this.channel.close();
  }

  private receive(text: string): void {
    this.buffered += text;
    for (let eol = this.buffered.indexOf('\n'); eol >= 0; eol = this.buffered.indexOf('\n')) {
      const line = this.buffered.slice(0, eol);
      this.buffered = this.buffered.slice(eol + 1);
      this.answer(JSON.parse(line) as Answer);
    }
  }

  private answer(answer: Answer): void {
    const p = this.pending.get(answer.id);
    if (p === undefined) return; // a command stopped on purpose: its end is no news
    this.pending.delete(answer.id);
    if (answer.spawn !== undefined) {
      p.reject(new ConnectionError(this.host, 'other', `${p.what}: the host's executor could not start /bin/sh: ${answer.spawn}`));
      return;
    }
    if (answer.over === 'out' || answer.over === 'err') {
      p.reject(tooMuchOutput(this.host, p.what, p.maxBytes, answer.over === 'out' ? 'stdout' : 'stderr'));
      return;
    }
    p.resolve({
      rc: answer.sig !== undefined ? 128 + answer.sig : (answer.rc ?? 255),
      stdout: Buffer.from(answer.out ?? '', 'base64'),
      stderr: Buffer.from(answer.err ?? '', 'base64'),
    });
  }
}

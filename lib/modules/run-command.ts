/** What command and shell share: creates/removes, check mode, and Ansible's result fields. */
import { shlexSplit } from '../ansible/index.js';
import type { ModuleContext, ModuleResult } from './module.js';

export interface CommandArgs {
  shell: boolean;
  cmd?: string;
  argv?: string[];
  chdir?: string;
  creates?: string;
  removes?: string;
  executable?: string;
  stdin?: string;
  stdin_add_newline?: boolean;
  strip_empty_ends?: boolean;
}

/** Ansible's `delta`/`start` formats: "0:00:00.012345", "2024-01-01 12:00:00.123456". */
function formatDelta(ms: number): string {
  const micro = Math.round(ms * 1000);
  const seconds = Math.floor(micro / 1e6);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(micro % 1e6).padStart(6, '0')}`;
}

function formatTime(date: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds() * 1000, 6)}`;
}

function lines(text: string): string[] {
  return text === '' ? [] : text.split(/\r?\n/);
}

/** true when some path matching the glob exists on the host; globs are expanded by the host's shell, never evaluated */
async function globExists(ctx: ModuleContext, pattern: string): Promise<boolean> {
  // as Python's glob.glob: the pattern is expanded, never split on spaces (IFS empty)
  const script = 'IFS=; for f in $1; do [ -e "$f" ] || [ -L "$f" ] && exit 0; done; exit 1';
  const result = await ctx.connection.run({ argv: ['sh', '-c', script, 'sh', pattern] }, { become: ctx.become });
  return result.rc === 0;
}

export async function runCommand(args: CommandArgs, ctx: ModuleContext): Promise<ModuleResult> {
  let argv: string[] | undefined;
  if (!args.shell) {
    argv = args.argv ?? (args.cmd !== undefined ? shlexSplit(args.cmd) : undefined);
    if (!argv || argv.length === 0) return { changed: false, failed: true, msg: 'no command given' };
  }
  const shown = args.shell ? args.cmd! : argv!;
  if (args.creates !== undefined && (await globExists(ctx, args.creates))) {
    return { changed: false, cmd: shown, rc: 0, stdout: `skipped, since ${args.creates} exists`, stdout_lines: [`skipped, since ${args.creates} exists`], stderr: '', stderr_lines: [], msg: 'Did not run command since path exists' };
  }
  if (args.removes !== undefined && !(await globExists(ctx, args.removes))) {
    return { changed: false, cmd: shown, rc: 0, stdout: `skipped, since ${args.removes} does not exist`, stdout_lines: [`skipped, since ${args.removes} does not exist`], stderr: '', stderr_lines: [], msg: 'Did not run command since path does not exist' };
  }
  // Ansible 2.14's result, so that a task reading the registered rc or stdout goes on in check mode
  if (ctx.check) return { changed: false, skipped: true, msg: 'Command would have run if not in check mode', cmd: shown, rc: 0, stdout: '', stderr: '', stdout_lines: [], stderr_lines: [], start: null, end: null, delta: null };

  const stdin = args.stdin === undefined ? undefined : args.stdin + (args.stdin_add_newline === false ? '' : '\n');
  const command = args.shell
    ? { argv: [args.executable ?? '/bin/sh', '-c', args.cmd!] }
    : { argv: argv! };
  const startedAt = new Date();
  const started = performance.now();
  const result = await ctx.connection.run(command, { stdin, cwd: args.chdir, env: ctx.environment, become: ctx.become });
  const ended = performance.now();
  const strip = args.strip_empty_ends !== false;
  const stdout = strip ? result.stdout.replace(/[\r\n]+$/, '') : result.stdout;
  const stderr = strip ? result.stderr.replace(/[\r\n]+$/, '') : result.stderr;
  const out: ModuleResult = {
    changed: true,
    cmd: shown,
    rc: result.rc,
    stdout,
    stderr,
    stdout_lines: lines(stdout),
    stderr_lines: lines(stderr),
    start: formatTime(startedAt),
    end: formatTime(new Date(startedAt.getTime() + (ended - started))),
    delta: formatDelta(ended - started),
    msg: '',
  };
  if (result.rc !== 0) {
    out.failed = true;
    out.msg = 'non-zero return code';
  }
  return out;
}

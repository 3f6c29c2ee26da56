/**
 * What the user and group modules share: the Python the host runs to read its accounts as Ansible's modules
 * read them (pwd, grp, get_bin_path's search for tools, /etc/os-release), to run a command as Ansible's
 * run_command does, and the TypeScript side of both (a failure as fail_json returns it, the refusal of systems
 * these modules do not handle). Each module sends its own program made of these functions and its own.
 */
import type { ModuleContext, ModuleResult } from './module.js';

/**
 * Python functions: bin_paths() / tools(names) as ansible.module_utils.common.process.get_bin_path searches
 * (PATH, then /sbin, /usr/sbin, /usr/local/sbin when they exist and are not in it), os_id() (os-release's ID,
 * as distro.id() reads it), run(argv, data) as run_command (data with a newline added on standard input).
 */
export const PY_COMMON = String.raw`
import grp, json, os, pwd, stat, subprocess, sys
def bin_paths():
    paths = os.environ.get('PATH', '').split(os.pathsep)
    for d in ('/sbin', '/usr/sbin', '/usr/local/sbin'):
        if d not in paths and os.path.exists(d):
            paths.append(d)
    return paths
def find_bin(tool, paths):
    for d in paths:
        if not d:
            continue
        f = os.path.join(d, tool)
        if os.path.exists(f) and not os.path.isdir(f) and os.stat(f).st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH):
            return f
    return None
def tools(names):
    paths = bin_paths()
    return {'paths': os.pathsep.join(paths), 'bins': dict((t, find_bin(t, paths)) for t in names)}
def os_id():
    for f in ('/etc/os-release', '/usr/lib/os-release'):
        if os.path.isfile(f):
            with open(f) as h:
                for line in h:
                    if line.startswith('ID='):
                        return line[3:].strip().strip('"\'').lower()
            return ''
    return ''
def text(b):
    return b.decode('utf-8', 'surrogateescape')
def run(argv, data=None):
    stdin = None
    if data:
        stdin = (data + '\n').encode('utf-8', 'surrogateescape')
    try:
        p = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as e:
        return {'rc': 2, 'out': '', 'err': str(e)}
    out, err = p.communicate(stdin)
    return {'rc': p.returncode, 'out': text(out), 'err': text(err)}
def local_entry(path, name):
    # Ansible's test of a local account: a line of the file starting with "NAME:"
    with open(path, 'rb') as f:
        return any(line.startswith((name + ':').encode('utf-8', 'surrogateescape')) for line in f)
`;

/** The tools found as get_bin_path finds them, and its search path for its message. */
export interface Tools {
  paths: string;
  bins: Readonly<Record<string, string | null>>;
}

/** A command's outcome as run_command returns it. */
export interface CommandRun {
  rc: number;
  out: string;
  err: string;
}

/** A run of the module that ends where Ansible's calls fail_json (or exit_json): its result then. */
export class AccountFailure extends Error {
  constructor(readonly result: ModuleResult) {
    super(String(result.msg));
  }
}

/** fail_json(msg=..., other fields) */
export function failJson(msg: string, fields: Record<string, unknown> = {}): AccountFailure {
  return new AccountFailure({ changed: false, ...fields, failed: true, msg });
}

/** Python's str.splitlines(), as Ansible's executor makes stdout_lines and stderr_lines */
function splitlines(text: string): string[] {
  const parts = text.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/);
  if (parts.at(-1) === '') parts.pop();
  return parts;
}

/** The commands' output in the result, where Ansible's main() puts it (only when not empty), with its _lines. */
export function putOutput(result: ModuleResult, out: string, err: string): void {
  if (out) Object.assign(result, { stdout: out, stdout_lines: splitlines(out) });
  if (err) Object.assign(result, { stderr: err, stderr_lines: splitlines(err) });
}

/** get_bin_path(tool, required=True): the tool's path, or Ansible's message. */
export function requireBin(tools: Tools, tool: string): string {
  const path = tools.bins[tool];
  if (path === null || path === undefined) throw failJson(`Failed to find required executable "${tool}" in paths: ${tools.paths}`);
  return path;
}

/**
 * The systems Ansible's generic Linux classes handle (useradd, groupadd...): other systems and Alpine (BusyBox's
 * adduser and addgroup there) are refused with a message rather than handled otherwise than Ansible would.
 */
export function unsupportedSystem(module: string, os: string, osId: string): ModuleResult | undefined {
  if (os !== 'Linux') return { changed: false, failed: true, msg: `typebook's ${module} module supports Linux hosts only; this one is ${os || 'of an unknown system'}` };
  if (osId === 'alpine') return { changed: false, failed: true, msg: `typebook's ${module} module does not handle Alpine (BusyBox's adduser and addgroup, as Ansible's Alpine class uses)` };
  return undefined;
}

/** Runs a Python program of PY_COMMON's functions on the host with `input` as JSON on standard input: its JSON answer, the last line it printed. */
export async function runAccountsProgram<T>(ctx: ModuleContext, program: string, input: unknown): Promise<T> {
  const run = await ctx.connection.run(
    { python: `${PY_COMMON}\n${program}` },
    { stdin: JSON.stringify(input), env: ctx.environment, ...(ctx.become ? { become: ctx.become } : {}) },
  );
  const last = run.stdout.trimEnd().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new AccountFailure({ changed: false, failed: true, msg: `could not read the host's accounts with python3: ${run.stderr.trim() || `exit code ${run.rc}`}` });
  }
}

/**
 * What the system modules (sysctl, apt, service, wait_for, uri) share: running a fixed host-side script with
 * the values as positional parameters (never pasted into the script), and reading back its output, which is
 * split into named sections so one round trip can bring back several things.
 */
import type { RunResult } from '../connection/types.js';
import type { ModuleContext } from './module.js';

/** The byte that starts a section header line; printed by `section NAME` in the scripts. */
const SEPARATOR = '\x1e';

/** A shell function every script may use to start a named section of its output. */
export const SECTION_FUNCTION = String.raw`section() { printf '\036%s\n' "$1"; }`;

/** Messages in the C locale: modules read tools' output (sysctl's errors, apt's summary) by its English text. */
export const C_LOCALE: Readonly<Record<string, string>> = { LANG: 'C', LC_ALL: 'C', LC_MESSAGES: 'C' };

export interface ScriptOptions {
  stdin?: string;
  env?: Readonly<Record<string, string>>;
  timeoutMs?: number;
}

/** Runs `script` with `sh -c` on the host, its values as "$1", "$2"...: one round trip. */
export function runScript(ctx: ModuleContext, script: string, params: readonly string[], options: ScriptOptions = {}): Promise<RunResult> {
  return ctx.connection.run(
    { argv: ['sh', '-c', `${SECTION_FUNCTION}\n${script}`, 'sh', ...params] },
    {
      ...(ctx.become ? { become: ctx.become } : {}),
      env: { ...ctx.environment, ...(options.env ?? {}) },
      ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    },
  );
}

/**
 * The sections of a script's output, by name; text before the first section is under ''.
 * A section's text is kept exactly (no trimming), so a file printed last comes back byte for byte.
 */
export function parseSections(output: string): Map<string, string> {
  const sections = new Map<string, string>();
  const headers: number[] = [];
  for (let i = output.indexOf(SEPARATOR); i >= 0; i = output.indexOf(SEPARATOR, i + 1)) {
    if (i === 0 || output[i - 1] === '\n') headers.push(i);
  }
  sections.set('', output.slice(0, headers[0] ?? output.length));
  headers.forEach((at, k) => {
    const lineEnd = output.indexOf('\n', at);
    const bodyStart = lineEnd < 0 ? output.length : lineEnd + 1;
    const name = output.slice(at + 1, lineEnd < 0 ? output.length : lineEnd);
    sections.set(name, output.slice(bodyStart, headers[k + 1] ?? output.length));
  });
  return sections;
}

/** A command a script ran with `step LABEL cmd...`: its exit code and output, from the LABEL.rc/.out/.err sections. */
export interface Step {
  rc: number;
  out: string;
  err: string;
}

export function stepOf(sections: Map<string, string>, label: string): Step | undefined {
  const rc = sections.get(`${label}.rc`);
  if (rc === undefined) return undefined;
  return { rc: Number(rc.trim()), out: sections.get(`${label}.out`) ?? '', err: sections.get(`${label}.err`) ?? '' };
}

/** Python's str(list of ints), for Ansible's messages: [200, 201]. */
export function pyList(values: readonly (string | number)[]): string {
  return `[${values.map((v) => (typeof v === 'number' ? String(v) : `'${v}'`)).join(', ')}]`;
}

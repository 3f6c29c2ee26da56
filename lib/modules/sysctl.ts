/**
 * ansible.posix.sysctl: a kernel parameter in a sysctl file (default /etc/sysctl.conf) and, with `reload` or
 * `sysctl_set`, in the running kernel.
 *
 * Round trips: 1 to read the live value and the file (every run; all a run that changes nothing or runs in
 * check mode needs), 1 more to apply (set the live value, write the file atomically, `sysctl -p`) when changed.
 */
import { Type } from '@sinclair/typebox';
import { StringEnum } from './args.js';
import { RECEIVE_SETUP, integrityArgs } from './file-state.js';
import { defineModule, type ModuleResult } from './module.js';
import { C_LOCALE, parseSections, runScript } from './system-state.js';
import { ansibleBoolean } from '../ansible/index.js';


/** The value as the module compares and writes it: yes/true -> 1, no/false -> 0, else trimmed (Ansible's _parse_value). */
export function normalizeValue(value: string): string {
  // Ansible lowercases without stripping here
  const word = value === value.trim() ? ansibleBoolean(value) : undefined;
  return word === true ? '1' : word === false ? '0' : value.trim();
}

/** Equal as whitespace-separated tokens: "4096 87380  6291456" equals "4096\t87380 6291456". */
export function sameTokens(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = a.split(/\s+/).filter(Boolean);
  const y = b.split(/\s+/).filter(Boolean);
  return x.length === y.length && x.every((t, i) => t === y[i]);
}

export interface SysctlFile {
  /** the value of each key (the last assignment wins, as when Ansible reads the file)... */
  values: Map<string, string>;
  /** ...and the file rewritten with `name` set to `value` (undefined: removed), laid out as Ansible writes it */
  fixed: string;
}

/**
 * Reads a sysctl file and rewrites it as ansible.posix.sysctl does: every line stripped, `key = value` lines
 * written `key=value`, later duplicates of a key dropped, comments and blank lines kept, a new key appended.
 */
export function fixSysctlFile(content: string, name: string, value: string | undefined): SysctlFile {
  const lines = content === '' ? [] : content.replace(/\n$/, '').split('\n').map((l) => l.trim());
  const values = new Map<string, string>();
  for (const line of lines) {
    if (!line || line.startsWith('#') || line.startsWith(';') || !line.includes('=')) continue;
    const eq = line.indexOf('=');
    values.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  const out: string[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    if (!line || line.startsWith('#') || line.startsWith(';') || !line.includes('=')) {
      out.push(line);
      continue;
    }
    const eq = line.indexOf('=');
    const key = line.slice(0, eq).trim();
    if (seen.has(key)) continue;
    seen.add(key);
    if (key === name) {
      if (value !== undefined) out.push(`${key}=${value}`);
    } else out.push(`${key}=${line.slice(eq + 1).trim()}`);
  }
  if (!seen.has(name) && value !== undefined) out.push(`${name}=${value}`);
  return { values, fixed: out.map((l) => `${l}\n`).join('') };
}

/** Prints the live value (with sysctl's exit code) and the file, last so it comes back byte for byte. */
const READ_SCRIPT = String.raw`
v=$(sysctl -e -n "$1" 2>/dev/null); rc=$?
section procrc; echo "$rc"
section proc; printf '%s\n' "$v"
if [ -f "$2" ]; then section file; cat -- "$2" || exit 5; else section nofile; fi
`;

/**
 * $1 file, $2 name, $3 value, $4 set live value (0/1), $5 write file from stdin (0/1), $6 reload (0/1),
 * $7 ignoreerrors (0/1), $8 $9 the file's size and SHA-256 (see RECEIVE_SETUP). Stops at the first step that
 * fails; sysctl may exit 0 when it fails, so its stderr is checked too (the errors ansible.posix.sysctl looks for).
 */
const APPLY_SCRIPT = String.raw`
${RECEIVE_SETUP}
t=$(mktemp -d) || exit 10
trap 'rm -rf "$t"' EXIT
e=; [ "$7" = 1 ] && e=-e
failed() { [ "$1" != 0 ] || grep -Eq '^sysctl: setting key "[^"]+": (Invalid argument|Read-only file system)$' "$t/err"; }
report() { section "$1"; cat "$t/out" "$t/err"; }
if [ "$4" = 1 ]; then
  sysctl $e -w "$2=$3" >"$t/out" 2>"$t/err"; rc=$?
  if failed "$rc"; then report set; exit 11; fi
fi
if [ "$5" = 1 ]; then
  tmp=$(umask 077; mktemp "$(dirname -- "$1")/.typebook_sysctl_XXXXXX.conf") || exit 12
  trap 'rm -rf "$t"; rm -f "$tmp"' EXIT
  receive "$tmp" "$8" "$9" || exit 12
  if [ -e "$1" ]; then chmod --reference="$1" "$tmp" && chown --reference="$1" "$tmp"; else chmod 0644 "$tmp"; fi || exit 12
  mv -f "$tmp" "$1" || exit 12
fi
if [ "$6" = 1 ]; then
  sysctl $e -p "$1" >"$t/out" 2>"$t/err"; rc=$?
  if failed "$rc"; then report reload; exit 13; fi
fi
exit 0
`;

export default defineModule({
  name: 'sysctl',
  aliases: ['ansible.posix.sysctl', 'ansible.builtin.sysctl'],
  description: 'Set a kernel parameter in a sysctl file and, optionally, in the running kernel',
  argAliases: { key: 'name', val: 'value' },
  args: Type.Object(
    {
      name: Type.String({ description: 'the dot-separated key, e.g. net.ipv4.ip_forward' }),
      value: Type.Optional(Type.String({ description: 'the desired value; yes/no/true/false mean 1/0' })),
      state: Type.Optional(StringEnum(['present', 'absent'] as const, { default: 'present' })),
      reload: Type.Optional(Type.Boolean({ default: true, description: 'run `sysctl -p FILE` when the file changed' })),
      sysctl_file: Type.Optional(Type.String({ default: '/etc/sysctl.conf' })),
      sysctl_set: Type.Optional(Type.Boolean({ default: false, description: 'check and set the live value with `sysctl -w`' })),
      ignoreerrors: Type.Optional(Type.Boolean({ default: false, description: 'ignore errors about unknown keys' })),
    },
    { additionalProperties: false },
  ),
  rules: { required_if: [['state', 'present', ['value']]] },
  async run(args, ctx): Promise<ModuleResult> {
    const name = args.name.trim();
    const state = args.state ?? 'present';
    const reload = args.reload ?? true;
    const file = args.sysctl_file ?? '/etc/sysctl.conf';
    if (name === '') return { changed: false, failed: true, msg: 'name cannot be blank' };
    if (state === 'present' && args.value === '') return { changed: false, failed: true, msg: 'value cannot be blank' };
    const value = normalizeValue(args.value ?? '');

    const read = await runScript(ctx, READ_SCRIPT, [name, file], { env: C_LOCALE });
    if (read.rc !== 0) return { changed: false, failed: true, msg: `Failed to open ${file}: ${read.stderr.trim()}` };
    const sections = parseSections(read.stdout);
    const procValue = sections.get('procrc')?.trim() === '0' ? sections.get('proc') : undefined;
    const before = sections.get('file') ?? '';
    const { values, fixed } = fixSysctlFile(before, name, state === 'present' ? value : undefined);
    const fileValue = values.get(name);

    // the decision of ansible.posix.sysctl's process(), branch for branch
    let changed = false;
    let writeFile = false;
    let setProc = false;
    if (fileValue === undefined && state === 'present') changed = writeFile = true;
    else if (fileValue === undefined && state === 'absent') changed = false;
    else if (fileValue !== undefined && fileValue !== '' && state === 'absent') changed = writeFile = true;
    else if (fileValue !== value) changed = writeFile = true;
    else if (reload && !sameTokens(procValue, value)) changed = true;
    if (args.sysctl_set && state === 'present' && !sameTokens(procValue, value)) {
      changed = true;
      if (procValue !== undefined) setProc = true;
    }

    const result: ModuleResult = { changed };
    if (writeFile && ctx.diff) result.diff = [{ before, after: fixed, beforeHeader: file, afterHeader: file }];
    if (!changed || ctx.check) return result;

    const applied = await runScript(
      ctx,
      APPLY_SCRIPT,
      [file, name, value, setProc ? '1' : '0', writeFile ? '1' : '0', reload ? '1' : '0', args.ignoreerrors ? '1' : '0', ...integrityArgs(writeFile ? fixed : '')],
      { env: C_LOCALE, stdin: writeFile ? fixed : '' },
    );
    if (applied.rc === 0) return result;
    const out = parseSections(applied.stdout);
    const failure = (msg: string): ModuleResult => ({ ...result, changed: applied.rc !== 11, failed: true, msg });
    switch (applied.rc) {
      case 11:
        return failure(`setting ${name} failed: ${out.get('set') ?? ''}`);
      case 13:
        return failure(`Failed to reload sysctl: ${out.get('reload') ?? ''}`);
      default:
        return failure(`Failed to write ${file}: ${applied.stderr.trim() || `exit code ${applied.rc}`}`);
    }
  },
});

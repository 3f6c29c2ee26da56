/**
 * ansible.builtin.slurp: a file's bytes, base64-encoded (`content`, `encoding: base64`, `source`), read on the
 * host and encoded there, so binary files come back intact. Fails as Ansible does on a missing file, an
 * unreadable one, or a directory. Never changes anything; check mode is the same run.
 *
 * Round trips: 1. The path reaches the host as a positional parameter of a fixed script.
 */
import { Type } from '@sinclair/typebox';
import { defineModule, type ModuleResult } from './module.js';
import { C_LOCALE, parseSections, runScript } from './system-state.js';

/* $1 source. cat's exit code and message come back beside the encoded bytes. */
const SCRIPT = String.raw`t=$(mktemp -d) || exit 10
trap 'rm -rf "$t"' EXIT
section content
{ cat -- "$1" 2>"$t/err" </dev/null; echo "$?" >"$t/rc"; } | base64 -w0
echo
section rc; cat "$t/rc"
section err; cat "$t/err"
exit 0`;

/** errno numbers of the messages a read may end with, for Python's "[Errno N] message: 'path'" */
const ERRNO: Readonly<Record<string, number>> = {
  'Operation not permitted': 1, 'Input/output error': 5, 'No such device or address': 6, 'Not a directory': 20,
  'Too many open files': 24, 'File name too long': 36, 'Too many levels of symbolic links': 40, 'Stale file handle': 116,
};

/** Python's repr of a str, for the path in an OSError message (the common cases: no quote, or a single quote) */
function pyRepr(text: string): string {
  const escaped = text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r');
  return escaped.includes("'") && !escaped.includes('"') ? `"${escaped}"` : `'${escaped.replace(/'/g, "\\'")}'`;
}

/** Ansible's message for a file it could not read, from cat's "cat: PATH: STRERROR" */
export function slurpFailure(source: string, catError: string): string {
  const line = catError.trim().split('\n')[0] ?? '';
  const strerror = line.slice(line.lastIndexOf(': ') + 2);
  if (strerror === 'No such file or directory') return `file not found: ${source}`;
  if (strerror === 'Permission denied') return `file is not readable: ${source}`;
  if (strerror === 'Is a directory') return `source is a directory and must be a file: ${source}`;
  const errno = ERRNO[strerror];
  return `unable to slurp file: ${errno === undefined ? strerror || line : `[Errno ${errno}] ${strerror}: ${pyRepr(source)}`}`;
}

export default defineModule({
  name: 'slurp',
  aliases: ['ansible.builtin.slurp', 'ansible.legacy.slurp'],
  description: "Read a file's contents from the host, base64-encoded",
  argAliases: { path: 'src' },
  args: Type.Object(
    { src: Type.String({ minLength: 1, description: 'the file to read on the host' }) },
    { additionalProperties: false },
  ),
  async run(args, ctx): Promise<ModuleResult> {
    const source = args.src;
    const result = await runScript(ctx, SCRIPT, [source], { env: C_LOCALE });
    const sections = parseSections(result.stdout);
    const rc = sections.get('rc')?.trim();
    if (result.rc !== 0 || rc === undefined) return { changed: false, failed: true, msg: `unable to slurp file: ${result.stderr.trim() || `exit code ${result.rc}`}` };
    if (rc !== '0') return { changed: false, failed: true, msg: slurpFailure(source, sections.get('err') ?? '') };
    return { changed: false, content: (sections.get('content') ?? '').trim(), source, encoding: 'base64' };
  },
});

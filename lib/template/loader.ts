/**
 * Where `{% include %}`, `{% extends %}` and `{% import %}` find the templates they name: Jinja's FileSystemLoader
 * over a search path (lib/ansible/search-path.ts computes the one Ansible's template module and lookup give it).
 */
import { readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';

/** Jinja's split_template_path: the name's segments, `.` and empty ones dropped; undefined for a `..` (never found) */
function segments(name: string): string[] | undefined {
  const out: string[] = [];
  for (const piece of name.split('/')) {
    if (piece === '..') return undefined;
    if (piece !== '' && piece !== '.') out.push(piece);
  }
  return out;
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}

export class TemplateLoader {
  constructor(
    /** the directories searched, in order */
    readonly searchPath: readonly string[],
  ) {}

  /** FileSystemLoader.get_source: the first `dir/name` of the search path that is a file (an absolute name too is under it) */
  find(name: string): string | undefined {
    const pieces = segments(name);
    if (!pieces) return undefined;
    for (const dir of this.searchPath) {
      const file = posix.join(dir, ...pieces);
      if (isFile(file)) return posix.normalize(file);
    }
    return undefined;
  }

  /** a found template's text as Jinja lexes an included one: Ansible's environment keeps no trailing newline */
  read(file: string): string {
    return withoutTrailingNewline(readFileSync(file, 'utf8'));
  }
}

/** The text without its one trailing newline (Jinja's keep_trailing_newline=False). */
export function withoutTrailingNewline(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  return text.endsWith('\n') || text.endsWith('\r') ? text.slice(0, -1) : text;
}

/**
 * Ansible's Templar.do_template after rendering: the newlines the template's text ends with and its output lacks
 * (Jinja dropped one) are added back, so a template ending in `{% endif %}\n` still ends in a newline.
 */
export function restoreTrailingNewlines(text: string, output: string): string {
  const wanted = trailingNewlines(text) - trailingNewlines(output);
  return wanted > 0 ? output + '\n'.repeat(wanted) : output;
}

function trailingNewlines(s: string): number {
  let n = 0;
  while (n < s.length && s[s.length - 1 - n] === '\n') n++;
  return n;
}

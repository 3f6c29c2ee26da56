/** Python `re` patterns and replacement strings, translated to JavaScript RegExp for the regex filters and tests. */
import { TemplateRuntimeError } from './python.js';

export interface RegexFlags {
  ignorecase?: boolean;
  multiline?: boolean;
}

const cache = new Map<string, RegExp>();

/** A Python pattern as a JavaScript RegExp (global, so it can be used for every match). */
export function pythonRegex(pattern: string, flags: RegexFlags = {}, sticky = false): RegExp {
  const key = `${flags.ignorecase ? 'i' : ''}${flags.multiline ? 'm' : ''}${sticky ? 'y' : ''}/${pattern}`;
  const hit = cache.get(key);
  if (hit) {
    hit.lastIndex = 0;
    return hit;
  }
  let source = '';
  let inClass = false;
  let inlineFlags = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      i++;
      if (!inClass && next === 'A') source += '(?<![\\s\\S])';
      else if (!inClass && next === 'Z') source += '(?![\\s\\S])';
      else source += '\\' + next;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      source += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      source += c;
      if (pattern[i + 1] === '^') source += pattern[++i];
      if (pattern[i + 1] === ']') source += '\\' + pattern[++i];
      continue;
    }
    if (c === '(' && pattern.startsWith('(?P<', i)) {
      source += '(?<';
      i += 3;
      continue;
    }
    if (c === '(' && pattern.startsWith('(?P=', i)) {
      const end = pattern.indexOf(')', i);
      source += `\\k<${pattern.slice(i + 4, end)}>`;
      i = end;
      continue;
    }
    const inline = /^\(\?([aiLmsux]+)\)/.exec(pattern.slice(i));
    if (c === '(' && inline && i === 0) {
      inlineFlags += inline[1]!;
      i += inline[0].length - 1;
      continue;
    }
    source += c;
  }
  let jsFlags = 'gu';
  if (flags.ignorecase || inlineFlags.includes('i')) jsFlags += 'i';
  if (flags.multiline || inlineFlags.includes('m')) jsFlags += 'm';
  if (inlineFlags.includes('s')) jsFlags += 's';
  if (sticky) jsFlags += 'y';
  let re: RegExp;
  try {
    re = new RegExp(source, jsFlags);
  } catch {
    try {
      re = new RegExp(source, jsFlags.replace('u', ''));
    } catch (err) {
      throw new TemplateRuntimeError(`invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`);
    }
  }
  if (cache.size > 500) cache.clear();
  cache.set(key, re);
  return re;
}

/** Expands a Python replacement template (`\1`, `\g<name>`, `\n`) for one match. */
export function expandReplacement(template: string, match: RegExpExecArray): string {
  return template.replace(/\\(?:g<([^>]+)>|(\d{1,2})|([\s\S]))/g, (all, group: string | undefined, num: string | undefined, esc: string | undefined) => {
    const ref = group ?? num;
    if (ref !== undefined) {
      const value = /^\d+$/.test(ref) ? match[Number(ref)] : match.groups?.[ref];
      if (/^\d+$/.test(ref) ? Number(ref) >= match.length : !match.groups || !(ref in match.groups)) throw new TemplateRuntimeError(`invalid group reference ${ref} in the replacement`);
      return value ?? '';
    }
    const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', a: '\x07', b: '\b', '\\': '\\' };
    if (esc! in escapes) return escapes[esc!]!;
    return all;
  });
}

/** re.sub(pattern, replacement, value, count) */
export function regexReplace(value: string, pattern: string, replacement: string, flags: RegexFlags, count = 0): string {
  const re = pythonRegex(pattern, flags);
  let n = 0;
  return value.replace(re, (...args: unknown[]) => {
    if (count > 0 && n >= count) return args[0] as string;
    n++;
    const hasGroups = typeof args[args.length - 1] === 'object';
    const groups = hasGroups ? (args[args.length - 1] as Record<string, string> | undefined) : undefined;
    const captureCount = args.length - (hasGroups ? 3 : 2);
    const match = args.slice(0, captureCount) as unknown as RegExpExecArray;
    match.groups = groups;
    return expandReplacement(replacement, match);
  });
}

/** re.escape as Python 3.7+ does it */
export function regexEscape(s: string): string {
  return s.replace(/[()[\]{}?*+\-|^$\\.&~# \t\n\r\v\f]/g, (c) => '\\' + c);
}

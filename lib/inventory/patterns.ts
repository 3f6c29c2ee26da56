/**
 * Ansible host patterns (ansible/inventory/manager.py): `a:b`, `a,b`, `a:&b`, `a:!b`, shell wildcards,
 * `~regex`, subscripts `grp[0]`, `grp[1:3]`, `grp[-1]`; unions first, then intersections, then exclusions,
 * whatever the order written; results in inventory order.
 */
import { problem, type Problem, type SourcePos } from '../source/index.js';
import { localhostNames, parseAddress } from './address.js';
import type { Inventory } from './inventory.js';
import { globToRegExp } from '../ansible/index.js';

export interface SelectOptions {
  /** `--limit`: keep only hosts that also match this pattern */
  limit?: string | readonly string[];
  /** where the pattern was written, for problems (a playbook's `hosts:`); the command line otherwise */
  at?: SourcePos;
}

export interface Selection {
  /** host names, in Ansible's order, each once */
  hosts: string[];
  /** a part that matches nothing is a warning, as in Ansible; a bad regex or subscript is an error */
  problems: Problem[];
}

/** Splits `a:b,c:&d` into its parts as Ansible's split_host_pattern does (IPv6 addresses and `host:port` stay whole). */
export function splitHostPattern(pattern: string | readonly string[]): string[] {
  if (typeof pattern !== 'string') return pattern.flatMap((p) => splitHostPattern(p));
  let parts: string[];
  if (pattern.includes(',')) parts = pattern.split(',');
  else if (parseAddress(pattern, true)) parts = [pattern];
  else parts = pattern.match(/(?:[^\s:[\]]|\[[^\]]*\])+/g) ?? [];
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

/** Unions, then intersections (`&`), then exclusions (`!`); `all` when there is no union. */
export function orderPatterns(patterns: readonly string[]): string[] {
  const regular = patterns.filter((p) => p && p[0] !== '!' && p[0] !== '&');
  const intersection = patterns.filter((p) => p[0] === '&');
  const exclusion = patterns.filter((p) => p[0] === '!');
  return [...(regular.length > 0 ? regular : ['all']), ...intersection, ...exclusion];
}

/** A `~regex` pattern: Python's re.match, anchored at the start only; `(?P<n>...)` written the Python way works. */
function pythonRegExp(source: string): RegExp {
  const js = source.replace(/\(\?P</g, '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>').replace(/\\A/g, '^').replace(/\\Z/g, '$');
  return new RegExp(`^(?:${js})`);
}

const subscriptPattern = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/;

type Subscript = { start: number; end?: number };

export function selectHosts(inv: Inventory, pattern: string | readonly string[], opts: SelectOptions = {}): Selection {
  const at = opts.at ?? { file: '<host pattern>', line: 0, col: 0 };
  const problems: Problem[] = [];
  const cache = new Map<string, string[]>();
  const groupNames = [...inv.groups.keys()];
  const hostNames = [...inv.hosts.keys()];

  const matchList = (items: readonly string[], expr: string): string[] | undefined => {
    let re: RegExp;
    try {
      re = expr[0] === '~' ? pythonRegExp(expr.slice(1)) : globToRegExp(expr);
    } catch (err) {
      problems.push(problem(at, `invalid host pattern '${expr}': ${(err as Error).message}`, { expected: 'a valid regular expression after ~' }));
      return undefined;
    }
    return items.filter((item) => re.test(item));
  };

  const enumerate = (expr: string): string[] => {
    const results: string[] = [];
    const groups = matchList(groupNames, expr);
    if (!groups) return results;
    for (const g of groups) results.push(...inv.groupHosts(g));
    if (groups.length === 0 || expr[0] === '~' || /[.?*[]/.test(expr)) results.push(...(matchList(hostNames, expr) ?? []));
    if (results.length === 0 && localhostNames.includes(expr)) {
      const local = inv.getHost(expr);
      if (local) results.push(local.name);
    }
    if (results.length === 0 && groups.length === 0 && expr !== 'all') {
      problems.push(problem(at, `Could not match supplied host pattern, ignoring: ${expr}`, { severity: 'warning' }));
    }
    return results;
  };

  const splitSubscript = (p: string): [string, Subscript | undefined] => {
    if (p[0] === '~') return [p, undefined];
    const m = subscriptPattern.exec(p);
    if (!m) return [p, undefined];
    const [, expr, idx, start, sep, end] = m;
    if (idx !== undefined) return [expr!, { start: Number.parseInt(idx, 10) }];
    if (sep === '-') problems.push(problem(at, `Use [x:y] inclusive subscripts instead of [x-y] which has been removed`, { severity: 'warning' }));
    return [expr!, { start: Number.parseInt(start!, 10), end: end ? Number.parseInt(end, 10) : -1 }];
  };

  const matchOne = (raw: string): string[] => {
    const p = raw[0] === '&' || raw[0] === '!' ? raw.slice(1) : raw;
    const known = cache.get(p);
    if (known) return known;
    const [expr, sub] = splitSubscript(p);
    let hosts = enumerate(expr);
    if (hosts.length > 0 && sub) {
      // Python semantics: `[2:0]` is item 2 (an end of 0 counts as none), negative single indexes count from the end
      if (sub.end) {
        const end = sub.end === -1 ? hosts.length - 1 : sub.end;
        hosts = hosts.slice(sub.start, end + 1);
      } else {
        const i = sub.start < 0 ? hosts.length + sub.start : sub.start;
        if (i < 0 || i >= hosts.length) {
          problems.push(problem(at, `No hosts matched the subscripted pattern '${p}'`, { expected: `an index from ${-hosts.length} to ${hosts.length - 1}` }));
          hosts = [];
        } else hosts = [hosts[i]!];
      }
    }
    cache.set(p, hosts);
    return hosts;
  };

  const evaluate = (patterns: readonly string[]): string[] => {
    let hosts: string[] = [];
    for (const p of orderPatterns(patterns)) {
      if (inv.hosts.has(p)) {
        hosts.push(p);
        continue;
      }
      const that = matchOne(p);
      if (p[0] === '!') {
        const drop = new Set(that);
        hosts = hosts.filter((h) => !drop.has(h));
      } else if (p[0] === '&') {
        const keep = new Set(that);
        hosts = hosts.filter((h) => keep.has(h));
      } else {
        const existing = new Set(hosts);
        hosts.push(...that.filter((h) => !existing.has(h)));
      }
    }
    return hosts;
  };

  let hosts = evaluate(splitHostPattern(pattern));
  if (opts.limit !== undefined) {
    const subset = new Set(evaluate(splitHostPattern(opts.limit)));
    hosts = hosts.filter((h) => subset.has(h));
  }
  return { hosts: [...new Set(hosts)], problems };
}

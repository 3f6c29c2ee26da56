/**
 * Host names, addresses and `[x:y:step]` ranges as Ansible reads them (ansible/parsing/utils/addresses.py and
 * expand_hostname_range in ansible/plugins/inventory/__init__.py), ported regex for regex so that an
 * inventory key means the same hosts here as there.
 */

/** Host names that mean this machine when no inventory host has them (Ansible's C.LOCALHOST). */
export const localhostNames: readonly string[] = ['127.0.0.1', 'localhost', '::1'];

const numericRange = String.raw`\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const hexadecimalRange = String.raw`\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]`;

const ipv6Component = String.raw`(?:[0-9a-f]{1,4}|${hexadecimalRange})`;
const ipv4Component = String.raw`(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${numericRange})`;

// Python's `\w` with re.UNICODE: letters, digits (any script) and underscore
const word = String.raw`[\p{L}\p{N}_]`;
// spelled without the i flag: with u, V8 would build the case closure of \p{L} (milliseconds at every start)
const anyCaseRange = String.raw`\[(?:[a-zA-Z]:[a-zA-Z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const label = String.raw`(?:${word}|${anyCaseRange})(?:${word}|[_-]|${anyCaseRange})*(?<![_-])`;

const c6 = ipv6Component;
const ipv6Source = [
  String.raw`(?:${c6}:){7}${c6}`,
  String.raw`(?:${c6}:){1,6}:`,
  String.raw`(?:${c6}:)(?::${c6}){1,6}`,
  String.raw`(?:${c6}:){2}(?::${c6}){1,5}`,
  String.raw`(?:${c6}:){3}(?::${c6}){1,4}`,
  String.raw`(?:${c6}:){4}(?::${c6}){1,3}`,
  String.raw`(?:${c6}:){5}(?::${c6}){1,2}`,
  String.raw`(?:${c6}:){6}(?::${c6})`,
  String.raw`:(?::${c6}){1,6}`,
  String.raw`${c6}?::`,
  String.raw`(?:0:){6}(?:${c6}\.){3}${c6}`,
  String.raw`::(?:ffff:)?(?:${c6}\.){3}${c6}`,
  // the last alternative alone carries the `$` in Ansible's verbose regex; the others are anchored at the start only
  String.raw`(?:0:){5}ffff:(?:${c6}\.){3}${c6}$`,
].join('|');

const patterns = {
  bracketedHostport: /^\[(.+)\]:([0-9]+)$/,
  hostport: /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/,
  ipv4: new RegExp(String.raw`^(?:${ipv4Component}\.){3}${ipv4Component}$`, 'i'),
  ipv6: new RegExp(`^(?:${ipv6Source})`, 'i'),
  hostname: new RegExp(String.raw`^${label}(?:\.${label})*$`, 'u'),
};

export function isIpAddress(name: string): boolean {
  return patterns.ipv4.test(name) || patterns.ipv6.test(name);
}

/**
 * Splits `host:port` (or `[v6addr]:port`) and checks that what remains is a host name or address.
 * Returns undefined where Ansible's parse_address raises.
 */
export function parseAddress(address: string, allowRanges: boolean): { host: string; port?: number } | undefined {
  let rest = address;
  let port: number | undefined;
  for (const re of [patterns.bracketedHostport, patterns.hostport]) {
    const m = re.exec(rest);
    if (m) {
      rest = m[1]!;
      port = Number.parseInt(m[2]!, 10);
    }
  }
  if (!(patterns.ipv4.test(rest) || patterns.ipv6.test(rest) || patterns.hostname.test(rest))) return undefined;
  if (!allowRanges && rest.includes('[')) return undefined;
  return port === undefined ? { host: rest } : { host: rest, port };
}

const asciiLetters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

export type RangeResult = { ok: true; hosts: string[] } | { ok: false; message: string };

/**
 * Expands `web[01:10:2]`, `db-[a:f]` and several ranges in one name; leading zeros are kept.
 * Where Ansible would silently yield no hosts (begin after end) or fail obscurely, this says why.
 */
export function expandHostRange(name: string): RangeResult {
  const open = name.indexOf('[');
  if (open < 0) return { ok: true, hosts: [name] };
  const close = name.indexOf(']', open);
  if (close < 0) return { ok: false, message: `unclosed '[' in host range '${name}'` };
  const head = name.slice(0, open);
  const inner = name.slice(open + 1, close);
  const tail = name.slice(close + 1);
  const bounds = inner.split(':');
  if (bounds.length !== 2 && bounds.length !== 3) return { ok: false, message: `host range '[${inner}]' in '${name}' must be begin:end or begin:end:step` };
  const beg = bounds[0] || '0';
  const end = bounds[1]!;
  const stepText = bounds[2] ?? '1';
  if (!end) return { ok: false, message: `host range '[${inner}]' in '${name}' has no end value` };
  if (!/^\s*[+-]?\d+\s*$/.test(stepText)) return { ok: false, message: `host range step '${stepText}' in '${name}' is not a number` };
  const step = Number.parseInt(stepText, 10);
  if (step <= 0) return { ok: false, message: `host range step ${step} in '${name}' must be 1 or more` };

  let seq: string[];
  const ib = asciiLetters.indexOf(beg);
  const ie = asciiLetters.indexOf(end);
  if (beg.length === 1 && end.length === 1 && ib >= 0 && ie >= 0) {
    if (ib > ie) return { ok: false, message: `host range '[${inner}]' in '${name}' begins after it ends` };
    seq = [];
    for (let i = ib; i <= ie; i += step) seq.push(asciiLetters[i]!);
  } else {
    if (!/^\d+$/.test(beg) || !/^\d+$/.test(end)) {
      return { ok: false, message: `host range '[${inner}]' in '${name}' mixes or misspells its bounds` };
    }
    const width = beg[0] === '0' && beg.length > 1 ? beg.length : 0;
    if (width && width !== end.length) return { ok: false, message: `host range '[${inner}]' in '${name}' must write begin and end with the same number of digits` };
    const b = Number.parseInt(beg, 10);
    const e = Number.parseInt(end, 10);
    if (b > e) return { ok: false, message: `host range '[${inner}]' in '${name}' begins after it ends` };
    seq = [];
    for (let i = b; i <= e; i += step) seq.push(width ? String(i).padStart(width, '0') : String(i));
  }
  const hosts: string[] = [];
  for (const part of seq) {
    const expanded = expandHostRange(head + part + tail);
    if (!expanded.ok) return expanded;
    hosts.push(...expanded.hosts);
  }
  return { ok: true, hosts };
}

/** An inventory `hosts:` key: one or more host names (ranges expanded) and the port written after them, if any. */
export function expandHostKey(key: string): { ok: true; hosts: string[]; port?: number } | { ok: false; message: string } {
  const parsed = parseAddress(key, true);
  const pattern = parsed?.host ?? key;
  const expanded: RangeResult = pattern.includes('[') ? expandHostRange(pattern) : { ok: true, hosts: [pattern] };
  if (!expanded.ok) return expanded;
  return parsed?.port === undefined ? { ok: true, hosts: expanded.hosts } : { ok: true, hosts: expanded.hosts, port: parsed.port };
}

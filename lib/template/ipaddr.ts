/**
 * ansible.utils' ipaddr filter family (ipaddr, ipv4, ipv6, ipwrap, ipmath, ipsubnet, nthhost, network_in_network,
 * ...) as Ansible 2.14 runs them: the plugins of Debian's ansible.utils over python3-netaddr 0.8, ported function by
 * function (plugins/plugin_utils/base/ipaddr_utils.py and plugins/filter/*.py). Their quirks are kept on purpose,
 * since roles are written against what Ansible renders: an IPv6 network's first usable address printed as IPv4
 * when its value is small, `ipwrap` ignoring a positional query, `ipaddr('bogus')` failing with Python's TypeError.
 *
 * Addresses are bigints for both versions; results are Python values (str, int, bool, None, lists), an int beyond
 * 2^53 a bigint. Parsing follows glibc, as Python's socket module does: inet_pton for networks, inet_aton where
 * netaddr's IPAddress() uses it (ipmath), inet_ntop's IPv6 text.
 */
import { TemplateRuntimeError, isFloat, isInt, isTuple, repr, str, truthy, typeName, type Dict } from './python.js';
import type { FilterDef } from './filters.js';

// ---- Python's int(), float() and str.isdigit() of a string ----

const PY_SPACE = '[ \\t\\n\\r\\x0b\\x0c\\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*';
const PY_INT = new RegExp(`^${PY_SPACE}([-+]?)([0-9]+(?:_[0-9]+)*)${PY_SPACE}$`);
const DIGITS = '[0-9]+(?:_[0-9]+)*';
const PY_FLOAT = new RegExp(`^${PY_SPACE}[-+]?(?:(?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:[eE][-+]?${DIGITS})?|inf|infinity|nan)${PY_SPACE}$`, 'i');

/** int(s) for a str, or undefined where Python raises ValueError */
function pyInt(s: string): bigint | undefined {
  const m = PY_INT.exec(s);
  if (!m) return undefined;
  const n = BigInt(m[2]!.replace(/_/g, ''));
  return m[1] === '-' ? -n : n;
}

function isDigits(s: string): boolean {
  return /^[0-9]+$/.test(s);
}

/** an int result as typebook holds ints: a number when exact, a bigint beyond 2^53 */
function pyIntValue(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** a Python int (or bool) as a bigint, or undefined for anything else */
function intOf(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  return isInt(v) ? BigInt(v) : undefined;
}

function filterError(message: string): TemplateRuntimeError {
  return new TemplateRuntimeError(message);
}

// ---- addresses: glibc's inet_pton, inet_aton and inet_ntop ----

type Version = 4 | 6;
interface Addr {
  readonly version: Version;
  readonly value: bigint;
}
/** netaddr's IPNetwork: an address (host bits kept) and a prefix length */
interface Net extends Addr {
  readonly prefixlen: number;
}

const widthOf = (version: Version): number => (version === 4 ? 32 : 128);
const maxOf = (version: Version): bigint => (1n << BigInt(widthOf(version))) - 1n;
const MAX4 = maxOf(4);
const MAX6 = maxOf(6);

function pton4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    // glibc refuses a leading zero ("01") and anything but decimal digits
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function hexDigit(ch: string): number {
  return /^[0-9a-fA-F]$/.test(ch) ? Number.parseInt(ch, 16) : -1;
}

/** glibc's inet_pton6, step for step (a trailing IPv4 part, one `::`, at most four hex digits a group) */
function pton6(src: string): bigint | undefined {
  const bytes = new Array<number>(16).fill(0);
  const end = 16;
  let tp = 0;
  let colonp = -1;
  let i = 0;
  const n = src.length;
  if (n === 0) return undefined;
  if (src[0] === ':') {
    i++;
    if (i === n || src[i] !== ':') return undefined;
  }
  let curtok = i;
  let xdigits = 0;
  let val = 0;
  while (i < n) {
    const ch = src[i++]!;
    const digit = hexDigit(ch);
    if (digit >= 0) {
      if (xdigits === 4) return undefined;
      val = (val << 4) | digit;
      xdigits++;
      continue;
    }
    if (ch === ':') {
      curtok = i;
      if (xdigits === 0) {
        if (colonp >= 0) return undefined;
        colonp = tp;
        continue;
      } else if (i === n) return undefined;
      if (tp + 2 > end) return undefined;
      bytes[tp++] = (val >> 8) & 0xff;
      bytes[tp++] = val & 0xff;
      xdigits = 0;
      val = 0;
      continue;
    }
    if (ch === '.' && tp + 4 <= end) {
      const v4 = pton4(src.slice(curtok));
      if (v4 !== undefined) {
        for (let k = 0; k < 4; k++) bytes[tp++] = Number((v4 >> BigInt(24 - 8 * k)) & 0xffn);
        xdigits = 0;
        break;
      }
    }
    return undefined;
  }
  if (xdigits > 0) {
    if (tp + 2 > end) return undefined;
    bytes[tp++] = (val >> 8) & 0xff;
    bytes[tp++] = val & 0xff;
  }
  if (colonp >= 0) {
    if (tp === end) return undefined;
    const moved = bytes.slice(colonp, tp);
    bytes.fill(0, colonp);
    moved.forEach((b, k) => (bytes[end - moved.length + k] = b));
    tp = end;
  }
  if (tp !== end) return undefined;
  return bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

/** glibc's inet_aton (what netaddr's IPAddress('...') uses for IPv4): 1 to 4 parts, C's hex and octal, trailing blanks */
function aton4(s: string): bigint | undefined {
  const parts: bigint[] = [];
  let i = 0;
  let val = 0n;
  for (;;) {
    if (!/[0-9]/.test(s[i] ?? '')) return undefined;
    // strtoul(..., 0): 0x for hex, a leading 0 for octal
    let base = 10;
    let digits = /[0-9]/;
    if (s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && hexDigit(s[i + 2] ?? '') >= 0) {
      base = 16;
      digits = /[0-9a-fA-F]/;
      i += 2;
    } else if (s[i] === '0') {
      base = 8;
      digits = /[0-7]/;
    }
    val = 0n;
    while (i < s.length && digits.test(s[i]!)) {
      val = val * BigInt(base) + BigInt(Number.parseInt(s[i]!, base));
      if (val > 0xffffffffn) return undefined;
      i++;
    }
    if (s[i] !== '.') break;
    if (parts.length > 2 || val > 0xffn) return undefined;
    parts.push(val);
    i++;
  }
  if (i < s.length && !/[ \t\n\v\f\r]/.test(s[i]!)) return undefined;
  if (s.includes('\0')) return undefined;
  const limits = [0xffffffffn, 0xffffffn, 0xffffn, 0xffn];
  if (val > limits[parts.length]!) return undefined;
  return parts.reduce((acc, p, k) => acc | (p << BigInt(24 - 8 * k)), val);
}

function ntop4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** glibc's inet_ntop for IPv6: the first longest run of zero groups as `::`, IPv4-compatible and -mapped dotted */
function ntop6(value: bigint): string {
  const words = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (cur.base === -1) cur = { base: i, len: 1 };
      else cur.len++;
    } else if (cur.base !== -1) {
      if (best.base === -1 || cur.len > best.len) best = cur;
      cur = { base: -1, len: 0 };
    }
  }
  if (cur.base !== -1 && (best.base === -1 || cur.len > best.len)) best = cur;
  if (best.base !== -1 && best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
      out += ntop4(value & 0xffffffffn);
      return out;
    }
    out += words[i]!.toString(16);
  }
  if (best.base !== -1 && best.base + best.len === 8) out += ':';
  return out;
}

function addrText(a: Addr): string {
  return a.version === 4 ? ntop4(a.value) : ntop6(a.value);
}

function netText(n: Net): string {
  return `${addrText(n)}/${n.prefixlen}`;
}

/** netaddr's IPAddress(int) without a version: IPv4 up to 2^32-1, IPv6 above */
function implicitAddr(value: bigint): Addr {
  if (value >= 0n && value <= MAX4) return { version: 4, value };
  if (value > MAX4 && value <= MAX6) return { version: 6, value };
  throw filterError(`failed to detect a valid IP address from ${value}`);
}

/** netaddr's IPAddress(str) without a version: inet_aton for IPv4, then inet_pton for IPv6 */
function parseAddr(s: string): Addr | undefined {
  const v4 = aton4(s);
  if (v4 !== undefined) return { version: 4, value: v4 };
  const v6 = pton6(s);
  return v6 === undefined ? undefined : { version: 6, value: v6 };
}

// ---- networks ----

const hostmaskOf = (n: Net): bigint => (1n << BigInt(widthOf(n.version) - n.prefixlen)) - 1n;
const netmaskOf = (n: Net): bigint => maxOf(n.version) ^ hostmaskOf(n);
const firstOf = (n: Net): bigint => n.value & netmaskOf(n);
const lastOf = (n: Net): bigint => n.value | hostmaskOf(n);
const sizeOf = (n: Net): bigint => lastOf(n) - firstOf(n) + 1n;
const cidrOf = (n: Net): Net => ({ version: n.version, value: firstOf(n), prefixlen: n.prefixlen });
const ipOf = (n: Net): Addr => ({ version: n.version, value: n.value });
/** netaddr 0.8 has no broadcast for IPv4 /31 and /32 (but has one for every IPv6 network) */
function broadcastOf(n: Net): bigint | null {
  return n.version === 4 && widthOf(n.version) - n.prefixlen <= 1 ? null : lastOf(n);
}

/** the prefix of a netmask or hostmask address, as netaddr's netmask_to_prefix/hostmask_to_prefix */
function maskPrefix(mask: bigint, version: Version): number | undefined {
  const width = widthOf(version);
  const isPow2 = (x: bigint): boolean => (x & (x - 1n)) === 0n;
  const log2 = (x: bigint): number => x.toString(2).length - 1;
  const inverted = (mask ^ maxOf(version)) + 1n;
  if (isPow2(inverted)) return width - log2(inverted);
  if (isPow2(mask + 1n)) return width - log2(mask + 1n);
  return undefined;
}

type Parsed = Net | { error: string };

/** netaddr's parse_ip_network for one version (implicit_prefix=False) */
function parseNetAs(version: Version, addr: string): Parsed | undefined {
  const slash = addr.indexOf('/');
  const val1 = slash < 0 ? addr : addr.slice(0, slash);
  const val2 = slash < 0 ? undefined : addr.slice(slash + 1);
  let value = version === 4 ? pton4(val1) : pton6(val1);
  if (value === undefined && version === 4) value = expandPartial(val1);
  if (value === undefined) return undefined;
  let prefixlen: number;
  if (val2 === undefined) prefixlen = widthOf(version);
  else {
    const n = pyInt(val2);
    if (n !== undefined) {
      if (n < 0n || n > BigInt(widthOf(version))) return undefined;
      prefixlen = Number(n);
    } else {
      // IPAddress() of the mask refuses a '/' with a ValueError, which IPNetwork() does not catch
      if (val2.includes('/')) return { error: 'IPAddress() does not support netmasks or subnet prefixes! See documentation for details.' };
      const mask = version === 4 ? pton4(val2) : pton6(val2);
      const p = mask === undefined ? undefined : maskPrefix(mask, version);
      if (p === undefined) return undefined;
      prefixlen = p;
    }
  }
  return { version, value, prefixlen };
}

/** netaddr's expand_partial_address: '10.1' is 10.1.0.0 (Python's int() reads each part) */
function expandPartial(addr: string): bigint | undefined {
  if (addr.includes(':')) return undefined;
  const tokens = addr.includes('.') ? addr.split('.').map(pyInt) : [pyInt(addr)];
  if (tokens.length < 1 || tokens.length > 4 || tokens.some((t) => t === undefined)) return undefined;
  while (tokens.length < 4) tokens.push(0n);
  return pton4(tokens.map(String).join('.'));
}

/** netaddr.IPNetwork(str): IPv4 first, then IPv6; the error is netaddr's message */
function parseNetOrError(addr: string): Parsed {
  return parseNetAs(4, addr) ?? parseNetAs(6, addr) ?? { error: `invalid IPNetwork ${addr}` };
}

function parseNet(addr: string): Net | undefined {
  const parsed = parseNetOrError(addr);
  return 'error' in parsed ? undefined : parsed;
}

function netOrThrow(addr: string): Net {
  const parsed = parseNetOrError(addr);
  if ('error' in parsed) throw filterError(parsed.error);
  return parsed;
}

// netaddr's containment: a network in a network (`self in cidr`), an address in a network or an IPRange
function netInNet(inner: Net, outer: Net): boolean {
  if (inner.version !== outer.version) return false;
  const shift = BigInt(widthOf(outer.version) - outer.prefixlen);
  return inner.value >> shift === outer.value >> shift && outer.prefixlen <= inner.prefixlen;
}
function addrInNet(a: Addr, outer: Net): boolean {
  return a.version === outer.version && a.value >= firstOf(outer) && a.value <= lastOf(outer);
}
/** netaddr 0.8's IPRange.__contains__ of a network wants the range to end beyond the next network (a `>`) */
function netInRange(inner: Net, start: bigint, end: bigint): boolean {
  if (inner.version !== 4) return false;
  const shift = BigInt(widthOf(inner.version) - inner.prefixlen);
  const otherStart = (inner.value >> shift) << shift;
  return start <= otherStart && end > otherStart + (1n << shift);
}

const net = (text: string): Net => netOrThrow(text);
const V4_PRIVATE = ['10.0.0.0/8', '100.64.0.0/10', '172.16.0.0/12', '192.0.0.0/24', '192.168.0.0/16', '198.18.0.0/15'].map(net);
const V4_ADMIN_MULTICAST = [pton4('239.0.0.0')!, pton4('239.255.255.255')!] as const;
const V6_PRIVATE = ['fc00::/7', 'fec0::/10'].map(net);
const LINK_LOCAL = { 4: net('169.254.0.0/16'), 6: net('fe80::/10') };
const MULTICAST = { 4: net('224.0.0.0/4'), 6: net('ff00::/8') };
const V4_LOOPBACK = net('127.0.0.0/8');

function isPrivateNet(n: Net): boolean {
  if (n.version === 4 && (V4_PRIVATE.some((c) => netInNet(n, c)) || netInRange(n, ...V4_ADMIN_MULTICAST))) return true;
  if (n.version === 6 && V6_PRIVATE.some((c) => netInNet(n, c))) return true;
  return netInNet(n, LINK_LOCAL[n.version]);
}
function isPrivateAddr(a: Addr): boolean {
  if (a.version === 4 && (V4_PRIVATE.some((c) => addrInNet(a, c)) || (a.value >= V4_ADMIN_MULTICAST[0] && a.value <= V4_ADMIN_MULTICAST[1]))) return true;
  if (a.version === 6 && V6_PRIVATE.some((c) => addrInNet(a, c))) return true;
  return addrInNet(a, LINK_LOCAL[a.version]);
}
const isLoopbackAddr = (a: Addr): boolean => (a.version === 4 ? addrInNet(a, V4_LOOPBACK) : a.value === 1n);
const isPow2 = (x: bigint): boolean => (x & (x - 1n)) === 0n;
const isNetmaskAddr = (a: Addr): boolean => isPow2((a.value ^ maxOf(a.version)) + 1n);
const isHostmaskAddr = (a: Addr): boolean => isPow2(a.value + 1n);

function reverseDns(a: Addr): string {
  if (a.version === 4) return `${ntop4(a.value).split('.').reverse().join('.')}.in-addr.arpa.`;
  return `${[...a.value.toString(16).padStart(32, '0')].reverse().join('.')}.ip6.arpa.`;
}

/** IPNetwork.ipv4() of an IPv6 network; undefined where netaddr raises */
function netToV4(n: Net): Net | undefined {
  let v4: bigint;
  if (n.value <= MAX4) v4 = n.value;
  else if (n.value <= 0xffffffffffffn) v4 = n.value - 0xffff00000000n;
  else return undefined;
  if (v4 < 0n) return undefined;
  return parseNet(`${ntop4(v4)}/${n.prefixlen - 96}`);
}

// ---- ipaddr() (ipaddr_utils.py) ----

type VType = 'address' | 'network';
interface Query {
  v: Net;
  vtype: VType;
  /** the value as given (or as normalized from an integer) */
  value: unknown;
  iplist?: Net;
}

/** ipaddr_utils' _first_last: the usable range of a network of 2 or more addresses */
function firstLast(v: Net): [bigint, bigint] {
  const first = firstOf(v);
  const last = lastOf(v);
  return sizeOf(v) === 2n ? [first, last] : [first + 1n, last - 1n];
}

function notNetwork(vtype: VType): void {
  if (vtype === 'address') throw filterError('Not a network address');
}

const ipNotNetwork = (v: Net): boolean => v.value !== firstOf(v);
const hostmaskText = (v: Net): string => addrText({ version: v.version, value: hostmaskOf(v) });

function usableStep(q: Query, step: bigint): string | null {
  notNetwork(q.vtype);
  if (sizeOf(q.v) <= 1n) return null;
  const [first, last] = firstLast(q.v);
  const target = implicitAddr(q.v.value + step);
  return target.value >= first && target.value <= last ? addrText(target) : null;
}

function sixToFour(q: Query): unknown {
  const { v, vtype } = q;
  if (v.version === 4) {
    if (sizeOf(v) > 1n && !ipNotNetwork(v)) return false;
    const ipconv = addrText(ipOf(v));
    if (!truthy(ipaddr(ipconv, 'public')) && !truthy(ipaddr(ipconv, 'private'))) return false;
    const hex = ipconv.split('.').map((o) => Number(o).toString(16).padStart(2, '0'));
    return `2002:${hex[0]}${hex[1]}:${hex[2]}${hex[3]}::1/48`;
  }
  if (vtype === 'address') return truthy(ipaddr(netText(v), '2002::/16')) ? q.value : false;
  if (ipNotNetwork(v) && truthy(ipaddr(addrText(ipOf(v)), '2002::/16'))) return q.value;
  return false;
}

const QUERIES: Readonly<Record<string, (q: Query) => unknown>> = (() => {
  const ip = ({ v }: Query): string | null => {
    if (sizeOf(v) === 1n) return addrText(ipOf(v));
    const broadcast = broadcastOf(v);
    // /31 networks have no broadcast in netaddr; an IPv6 network's first address is a host address too
    if (ipNotNetwork(v) || !broadcast || v.version === 6) return addrText(ipOf(v));
    return null;
  };
  const addressPrefix = ({ v }: Query): string | false => {
    const broadcast = broadcastOf(v);
    if (sizeOf(v) > 2n && (v.value === firstOf(v) || (broadcast !== null && v.value === broadcast))) return false;
    return netText(v);
  };
  const subnet = ({ v }: Query): string => netText(cidrOf(v));
  const hostmask = ({ v }: Query): string => hostmaskText(v);
  const loopback = ({ v, value }: Query): unknown => (isLoopbackAddr(ipOf(v)) ? value : null);
  const ipv4 = ({ v, value }: Query): unknown => {
    if (v.version === 4) return value;
    const converted = netToV4(v);
    return converted ? netText(converted) : false;
  };
  const ipv6 = ({ v, value }: Query): unknown => (v.version === 4 ? netText({ version: 6, value: 0xffff00000000n + v.value, prefixlen: v.prefixlen + 96 }) : value);
  const type = ({ v }: Query): VType => (sizeOf(v) === 1n || ipNotNetwork(v) ? 'address' : 'network');
  return {
    '': ({ v, vtype }) => (vtype === 'address' ? addrText(ipOf(v)) : netText(v)),
    '6to4': sixToFour,
    address: ip,
    'address/prefix': addressPrefix,
    bool: () => true,
    broadcast: ({ v }) => (sizeOf(v) > 2n ? addrText({ version: v.version, value: lastOf(v) }) : null),
    cidr: ({ v }) => netText(v),
    cidr_lookup: ({ v, iplist, value }) => (iplist && netInNet(v, iplist) ? value : null),
    first_usable: ({ v, vtype }) => {
      notNetwork(vtype);
      const size = sizeOf(v);
      if (size === 2n) return addrText(implicitAddr(firstOf(v)));
      return size > 1n ? addrText(implicitAddr(firstOf(v) + 1n)) : null;
    },
    gateway: addressPrefix,
    gw: addressPrefix,
    host: ({ v }) => {
      if (sizeOf(v) === 1n) return netText(v);
      return ipNotNetwork(v) || !broadcastOf(v) ? netText(v) : null;
    },
    'host/prefix': addressPrefix,
    hostmask,
    hostnet: addressPrefix,
    int: ({ v, vtype }) => (vtype === 'address' ? pyIntValue(v.value) : `${v.value}/${v.prefixlen}`),
    ip,
    'ip/prefix': ({ v }) => (sizeOf(v) === 2n || (sizeOf(v) > 1n && ipNotNetwork(v)) ? netText(v) : null),
    ip_netmask: ({ v }) => (sizeOf(v) === 2n || (sizeOf(v) > 1n && ipNotNetwork(v)) ? `${addrText(ipOf(v))} ${addrText({ version: v.version, value: netmaskOf(v) })}` : null),
    ipv4,
    ipv6,
    last_usable: ({ v, vtype }) => {
      notNetwork(vtype);
      return sizeOf(v) > 1n ? addrText(implicitAddr(firstLast(v)[1])) : null;
    },
    'link-local': ({ v, value }) => (truthy(ipaddr(addrText(ipOf(v)), v.version === 4 ? '169.254.0.0/16' : 'fe80::/10')) ? value : null),
    lo: loopback,
    loopback,
    multicast: ({ v, value }) => (netInNet(v, MULTICAST[v.version]) ? value : null),
    net: ({ v }) => (sizeOf(v) > 1n && !ipNotNetwork(v) ? netText(cidrOf(v)) : null),
    next_usable: (q) => usableStep(q, 1n),
    netmask: ({ v }) => addrText({ version: v.version, value: netmaskOf(v) }),
    network: ({ v }) => addrText({ version: v.version, value: firstOf(v) }),
    network_id: ({ v }) => addrText({ version: v.version, value: firstOf(v) }),
    'network/prefix': subnet,
    network_netmask: ({ v }) => `${addrText({ version: v.version, value: firstOf(v) })} ${addrText({ version: v.version, value: netmaskOf(v) })}`,
    network_wildcard: ({ v }) => `${addrText({ version: v.version, value: firstOf(v) })} ${hostmaskText(v)}`,
    peer: ({ v, vtype }) => {
      notNetwork(vtype);
      const size = sizeOf(v);
      if (size === 2n) return addrText(implicitAddr(v.value ^ 1n));
      if (size === 4n) {
        if (v.value % 4n === 0n) throw filterError('Network address of /30 has no peer');
        if (v.value % 4n === 3n) throw filterError('Broadcast address of /30 has no peer');
        return addrText(implicitAddr(v.value ^ 3n));
      }
      throw filterError('Not a point-to-point network');
    },
    prefix: ({ v }) => v.prefixlen,
    previous_usable: (q) => usableStep(q, -1n),
    private: ({ v, value }) => (isPrivateNet(v) ? value : null),
    public: ({ v, value }) => {
      const a = ipOf(v);
      const isPublic = !addrInNet(a, MULTICAST[a.version]) && !isPrivateAddr(a) && !isLoopbackAddr(a) && !isNetmaskAddr(a) && !isHostmaskAddr(a);
      return isPublic ? value : null;
    },
    range_usable: ({ v, vtype }) => {
      notNetwork(vtype);
      if (sizeOf(v) <= 1n) return null;
      const [first, last] = firstLast(v);
      return `${addrText(implicitAddr(first))}-${addrText(implicitAddr(last))}`;
    },
    revdns: ({ v }) => reverseDns(ipOf(v)),
    router: addressPrefix,
    size: ({ v }) => pyIntValue(sizeOf(v)),
    size_usable: ({ v }) => {
      const size = sizeOf(v);
      return pyIntValue(size === 1n ? 0n : size === 2n ? 2n : size - 2n);
    },
    subnet,
    type,
    unicast: ({ v, value }) => (netInNet(v, MULTICAST[v.version]) ? null : value),
    // the plugin maps these to the ipv4/ipv6 functions but gives them no value argument
    v4: () => {
      throw filterError("_ipv4_query() missing 1 required positional argument: 'value'");
    },
    v6: () => {
      throw filterError("_ipv6_query() missing 1 required positional argument: 'value'");
    },
    version: ({ v }) => v.version,
    wildcard: hostmask,
    wrap: ({ v, vtype, value }) => {
      if (v.version === 4) return value;
      return vtype === 'address' ? `[${addrText(ipOf(v))}]` : `[${addrText(ipOf(v))}]/${v.prefixlen}`;
    },
  };
})();

function hasQuery(query: unknown): query is string {
  return typeof query === 'string' && Object.prototype.hasOwnProperty.call(QUERIES, query);
}

/** The value as a network and how it was written, or false where ipaddr() gives up on it. */
function recognize(value: unknown, version: unknown): { v: Net; vtype: VType; value: unknown } | false {
  const text = str(value);
  if (isDigits(text)) {
    // an integer is an address: IPv4 first (unless version=6 is asked), IPv6 if it is too big
    const n = BigInt(text);
    let v: Net | undefined;
    if (!truthy(version) || versionIs(version, 4)) v = n <= MAX4 ? { version: 4, value: n, prefixlen: 32 } : undefined;
    else if (versionIs(version, 6)) v = undefined;
    else throw filterError("cannot access local variable 'v' where it is not associated with a value");
    v ??= n <= MAX6 ? { version: 6, value: n, prefixlen: 128 } : undefined;
    return v ? { v, vtype: 'address', value: netText(v) } : false;
  }
  if (typeof value !== 'string') return false;
  const parsed = parseNet(value);
  if (parsed) return { v: parsed, vtype: value.split('/').length === 2 ? 'network' : 'address', value };
  // a numerical CIDR, '<integer>/<prefix>'
  const parts = value.split('/');
  if (parts.length !== 2) return false;
  const address = pyInt(parts[0]!);
  const prefix = pyInt(parts[1]!);
  if (address === undefined || prefix === undefined) return false;
  for (const ver of [4, 6] as const) {
    if (address >= 0n && address <= maxOf(ver) && prefix >= 0n && prefix <= BigInt(widthOf(ver))) {
      const v: Net = { version: ver, value: address, prefixlen: Number(prefix) };
      return { v, vtype: 'network', value: netText(v) };
    }
  }
  return false;
}

function versionIs(version: unknown, n: number): boolean {
  return intOf(version) === BigInt(n);
}

/** ipaddr_utils.ipaddr(value, query, version, alias) */
function ipaddr(value: unknown, query: unknown = '', version: unknown = false, alias: unknown = 'ipaddr'): unknown {
  if (Array.isArray(value)) {
    // a list is filtered: the items the query keeps (the recursion does not pass the alias on)
    return value.map((item) => ipaddr(item, str(query), version)).filter((r) => truthy(r));
  }
  if (!truthy(value) || value === true) return false;
  const found = recognize(value, version);
  if (!found) return false;
  const q: Query = { ...found };
  let name = query;
  // a query that is an address or network (not a query name, not digits) asks whether the value is inside it
  if (truthy(query) && (!hasQuery(query) || query === 'cidr_lookup') && !isDigits(str(query)) && truthy(ipaddr(query, 'network'))) {
    const inside = typeof query === 'string' ? parseNet(query) : undefined;
    if (inside) {
      q.iplist = cidrOf(inside);
      name = 'cidr_lookup';
    }
  }
  if (truthy(version) && intOf(version) !== BigInt(q.v.version)) return false;
  if (name === 'cidr_lookup' && !q.iplist) throw filterError("'iplist'");
  if (hasQuery(name)) return QUERIES[name]!(q);
  // as Ansible: a number is an index into the network
  if (typeof name === 'string' && PY_FLOAT.test(name)) {
    const size = sizeOf(q.v);
    if (size === 1n) return q.vtype === 'address' ? addrText(ipOf(q.v)) : netText(q.v);
    const index = pyInt(name);
    if (index === undefined) return false;
    let at: bigint;
    if (index < 0n && index >= -size) at = lastOf(q.v) + index + 1n;
    else if (index >= 0n && index < size) at = firstOf(q.v) + index;
    else return false;
    return `${addrText({ version: q.v.version, value: at })}/${q.v.prefixlen}`;
  }
  // Ansible's `alias + ": unknown filter type"`, where the ipaddr filter leaves alias None
  if (typeof alias !== 'string') throw filterError(`unsupported operand type(s) for +: '${typeName(alias)}' and 'str'`);
  throw filterError(`${alias}: unknown filter type: ${str(name)}`);
}

/** ipaddr(value, 'type') then 'cidr' or 'subnet': the value as a network, as several filters begin */
function normalized(value: unknown): Net | undefined {
  const vtype = ipaddr(value, 'type');
  if (vtype !== 'address' && vtype !== 'network') return undefined;
  return parseNet(str(ipaddr(value, vtype === 'address' ? 'cidr' : 'subnet')));
}

// ---- the other filters (plugins/filter/*.py) ----

function ipwrap(value: unknown, query: unknown): unknown {
  try {
    if (Array.isArray(value)) return value.map((item) => (truthy(ipaddr(item, query, false, 'ipwrap')) ? ipaddr(item, 'wrap') : item));
    const result = ipaddr(value, query, false, 'ipwrap');
    return truthy(result) ? ipaddr(result, 'wrap') : value;
  } catch {
    // as Ansible: whatever fails leaves the value as it is
    return value;
  }
}

function ipmath(value: string | null, amount: unknown): string {
  if (value === null) throw filterError("argument of type 'NoneType' is not iterable");
  let ip: Addr | undefined;
  if (value.includes('/')) {
    const n = parseNet(value);
    ip = n && ipOf(n);
  } else ip = parseAddr(value);
  if (!ip) throw filterError(`You must pass a valid IP address; ${value} is invalid`);
  const n = intOf(amount);
  if (n === undefined) throw filterError(`You must pass an integer for arithmetic; ${str(amount)} is not a valid integer`);
  const result = ip.value + n;
  if (result < 0n || result > maxOf(ip.version)) throw filterError('result outside valid IP address boundary!');
  return addrText({ version: ip.version, value: result });
}

function ipsubnet(valueText: unknown, query: string | null, index: unknown): unknown {
  const given = normalized(valueText);
  if (!given) return false;
  const value = cidrOf(given);
  // ipaddr(IPNetwork, 'type'): an address when it is a single one
  const vtype: VType = sizeOf(value) === 1n ? 'address' : 'network';
  if (!query) return netText(value);
  const total = widthOf(value.version);
  if (isDigits(query)) {
    const size = Number(query);
    if (size < 0 || size > total) return false;
    const supernet = (i: bigint): string => {
      // IPNetwork.supernet(size): the networks from /size up to (not including) the address's own prefix
      const count = BigInt(value.prefixlen - size);
      const at = i < 0n ? i + count : i;
      if (at < 0n || at >= count) throw filterError('list index out of range');
      return netText(cidrOf({ ...value, prefixlen: size + Number(at) }));
    };
    if (index === null || index === undefined) {
      if (vtype === 'address') return supernet(0n);
      if (size - value.prefixlen < 0) throw filterError(`Requested subnet size of ${size} is invalid`);
      return (2n ** BigInt(size - value.prefixlen)).toString();
    }
    let i = intOf(index)!;
    if (vtype === 'address') {
      if (i > BigInt(total + 1) - i || i < BigInt(size - total)) return false;
      return supernet(i);
    }
    if (size < value.prefixlen) {
      // Python's 2 ** -n is a float between 0 and 1: index 0 is inside it (and gives the supernet), no other
      if (i !== 0n) return false;
    } else {
      const subnets = 2n ** BigInt(size - value.prefixlen);
      if (i < 0n) i += subnets;
      if (i < 0n || i >= subnets) return false;
    }
    const start = implicitAddr(value.value + (i << BigInt(total - size)));
    return netText(netOrThrow(`${addrText(start)}/${size}`));
  }
  const qtype = ipaddr(query, 'type');
  if (qtype !== 'address' && qtype !== 'network') throw filterError(`You must pass a valid subnet or IP address; ${query} is invalid`);
  const container = netOrThrow(str(ipaddr(query, qtype === 'address' ? 'cidr' : 'subnet')));
  const shift = total - container.prefixlen;
  if (shift < 0) throw filterError('negative shift count');
  if (value.value >> BigInt(shift) === container.value >> BigInt(shift)) {
    // Python's 2 ** (negative) is a float, which `<<` refuses
    if (value.prefixlen < container.prefixlen) throw filterError("unsupported operand type(s) for <<: 'float' and 'int'");
    const hostBits = BigInt(total - value.prefixlen);
    const mask = ((1n << BigInt(value.prefixlen - container.prefixlen)) - 1n) << hostBits;
    return String(((value.value & mask) >> hostBits) + 1n);
  }
  throw filterError(`${netText(value)} is not in the subnet ${netText(cidrOf(container))}`);
}

function nthhost(value: unknown, query: unknown): unknown {
  const v = normalized(value);
  if (!v || !truthy(query)) return false;
  const nth = pyInt(str(query));
  if (nth === undefined) return false;
  const size = sizeOf(v);
  if (size <= nth) return false;
  if (nth < -size) throw filterError('index out range for address range size!');
  return addrText({ version: v.version, value: nth < 0n ? lastOf(v) + nth + 1n : firstOf(v) + nth });
}

function nthUsable(value: unknown, offset: unknown, sign: 1n | -1n): string | null | false {
  const v = normalized(value);
  if (!v) return false;
  if (typeof offset !== 'number' && typeof offset !== 'bigint') throw filterError('Must pass in an integer');
  if (sizeOf(v) <= 1n) return null;
  const [first, last] = firstLast(v);
  const target = implicitAddr(v.value + sign * BigInt(offset));
  return target.value >= first && target.value <= last ? addrText(target) : null;
}

/** ipaddr_utils' _address_normalizer: the value's subnet text, or False */
function addressNormalizer(value: unknown): unknown {
  try {
    const vtype = ipaddr(value, 'type');
    return vtype === 'address' || vtype === 'network' ? ipaddr(value, 'subnet') : false;
  } catch {
    return false;
  }
}

/** ipaddr(ipaddr(v, a) or ipaddr(v, b), 'int'), compared as Python compares it (False is 0) */
function boundInt(v: unknown, query: string, fallback: string): bigint {
  const first = ipaddr(v, query);
  const got = ipaddr(truthy(first) ? first : ipaddr(v, fallback), 'int');
  const n = intOf(got);
  if (n === undefined) throw filterError(`'<=' not supported between instances of 'int' and '${typeName(got)}'`);
  return n;
}

function rangeOf(v: unknown, usable: boolean): [bigint, bigint] {
  return [boundInt(v, usable ? 'first_usable' : 'network', 'address'), boundInt(v, usable ? 'last_usable' : 'broadcast', 'address')];
}

function inRange(inner: [bigint, bigint], outer: [bigint, bigint]): boolean {
  return inner[0] >= outer[0] && inner[0] <= outer[1] && inner[1] >= outer[0] && inner[1] <= outer[1];
}

/** netaddr.cidr_merge: overlapping and adjacent networks joined; one left alone keeps its host bits */
function cidrMerge(items: string[]): string[] {
  type Range = { version: Version; last: bigint; first: bigint; net?: Net };
  const ranges: Range[] = items.map((item) => {
    const n = netOrThrow(item);
    return { version: n.version, last: lastOf(n), first: firstOf(n), net: n };
  });
  const cmp = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);
  // Python sorts the tuples (version, last, first, IPNetwork); IPNetworks order by prefix, then host bits
  ranges.sort((a, b) => a.version - b.version || cmp(a.last, b.last) || cmp(a.first, b.first) || a.net!.prefixlen - b.net!.prefixlen || cmp(a.net!.value, b.net!.value));
  for (let i = ranges.length - 1; i > 0; i--) {
    const [prev, cur] = [ranges[i - 1]!, ranges[i]!];
    if (cur.version === prev.version && cur.first - 1n <= prev.last) {
      ranges[i - 1] = { version: cur.version, last: cur.last, first: prev.first < cur.first ? prev.first : cur.first };
      ranges.splice(i, 1);
    }
  }
  return ranges.flatMap((r) => (r.net ? [netText(r.net)] : rangeToCidrs(r.version, r.first, r.last).map(netText)));
}

/** the fewest CIDR networks covering first..last, in order */
function rangeToCidrs(version: Version, first: bigint, last: bigint): Net[] {
  const width = widthOf(version);
  const out: Net[] = [];
  let start = first;
  while (start <= last) {
    let bits = 0;
    while (bits < width && (start & ((1n << BigInt(bits + 1)) - 1n)) === 0n && start + (1n << BigInt(bits + 1)) - 1n <= last) bits++;
    out.push({ version, value: start, prefixlen: width - bits });
    start += 1n << BigInt(bits);
  }
  return out;
}

/** netaddr.spanning_cidr: the smallest network holding all of them */
function spanningCidr(items: string[]): string {
  const nets = items.map(netOrThrow);
  // IPNetwork's sort_key: version, first address, prefix length, host bits
  const key = (n: Net): bigint[] => [BigInt(n.version), firstOf(n), BigInt(n.prefixlen - 1), n.value - firstOf(n)];
  const less = (a: Net, b: Net): boolean => {
    const [ka, kb] = [key(a), key(b)];
    const i = ka.findIndex((x, k) => x !== kb[k]);
    return i >= 0 && ka[i]! < kb[i]!;
  };
  let [min, max] = less(nets[0]!, nets[1]!) ? [nets[0]!, nets[1]!] : [nets[1]!, nets[0]!];
  for (const n of nets.slice(2)) {
    if (less(n, min)) min = n;
    if (less(max, n)) max = n;
  }
  if (min.version !== max.version) throw filterError('IP sequence cannot contain both IPv4 and IPv6!');
  const width = widthOf(max.version);
  let ipnum = lastOf(max);
  let prefixlen = max.prefixlen;
  const lowest = firstOf(min);
  while (prefixlen > 0 && ipnum > lowest) {
    prefixlen--;
    ipnum &= maxOf(max.version) ^ ((1n << BigInt(width - prefixlen)) - 1n);
  }
  return netText({ version: min.version, value: ipnum, prefixlen });
}

function cidrMergeFilter(value: string[] | null, action: unknown): unknown {
  if (value === null) throw filterError('cidr_merge: expected iterable, got None');
  const items = value;
  const netaddr = <T>(f: () => T): T => {
    try {
      return f();
    } catch (err) {
      throw filterError(`cidr_merge: error in netaddr:\n${(err as Error).message}`);
    }
  };
  if (action === 'merge') return netaddr(() => cidrMerge(items));
  if (action === 'span') {
    if (items.length === 0) return null;
    if (items.length === 1) return netaddr(() => netText(netOrThrow(items[0]!)));
    return netaddr(() => spanningCidr(items));
  }
  throw filterError(`cidr_merge: invalid action '${str(action)}'`);
}

/** Python's format(n, '02x') */
function hex2(n: bigint): string {
  const digits = (n < 0n ? -n : n).toString(16);
  return n < 0n ? `-${digits}` : digits.padStart(2, '0');
}

function ip4Hex(arg: string | null, delimiter: unknown): string {
  if (arg === null) throw filterError("'NoneType' object has no attribute 'split'");
  const numbers = arg.split('.').map((part) => {
    const n = pyInt(part);
    if (n === undefined) throw filterError(`invalid literal for int() with base 10: ${repr(part)}`);
    return n;
  });
  if (numbers.length < 4) throw filterError(`Replacement index ${numbers.length} out of range for positional args tuple`);
  return numbers.slice(0, 4).map(hex2).join(str(delimiter));
}

// ---- hardware addresses (netaddr.EUI) ----

interface Eui {
  version: 48 | 64;
  value: bigint;
}

const hexWord = (n: number): string => `[0-9A-Fa-f]{1,${n}}`;
const sep = (words: number, sz: number, by: string): string => Array.from({ length: words }, () => `(${hexWord(sz)})`).join(by);
// netaddr's formats; Python's `$` also matches before a final newline
const EUI48_FORMATS = [sep(6, 2, ':'), sep(6, 2, '-'), sep(3, 4, ':'), sep(3, 4, '-'), sep(3, 4, '\\.'), '([0-9A-Fa-f]{5,6})-([0-9A-Fa-f]{5,6})', '([0-9A-Fa-f]{5,6}):([0-9A-Fa-f]{5,6})', '([0-9A-Fa-f]{12})', '([0-9A-Fa-f]{11})'].map((f) => new RegExp(`^${f}\\n?$`));
const EUI64_FORMATS = [sep(8, 2, ':'), sep(8, 2, '-'), sep(4, 4, ':'), sep(4, 4, '-'), sep(4, 4, '\\.'), '([0-9A-Fa-f]{16})'].map((f) => new RegExp(`^${f}\\n?$`));

function euiWords(text: string, formats: RegExp[], total: number): bigint | undefined {
  for (const re of formats) {
    const m = re.exec(text);
    if (!m) continue;
    const words = m.slice(1);
    const bits = BigInt(total / words.length);
    return words.reduce((acc, w) => (acc << bits) | BigInt(`0x${w}`), 0n);
  }
  return undefined;
}

/** netaddr.EUI(str): EUI-48 formats, else an integer up to 2^48-1, then the same for EUI-64 */
function parseEui(text: string): Eui | undefined {
  const asInt = pyInt(text);
  const v48 = euiWords(text, EUI48_FORMATS, 48) ?? (asInt !== undefined && asInt >= 0n && asInt < 1n << 48n ? asInt : undefined);
  if (v48 !== undefined) return { version: 48, value: v48 };
  const v64 = euiWords(text, EUI64_FORMATS, 64) ?? (asInt !== undefined && asInt >= 0n && asInt < 1n << 64n ? asInt : undefined);
  return v64 === undefined ? undefined : { version: 64, value: v64 };
}

interface Dialect {
  wordSize: number;
  numWords: number;
  sep: string;
  format: (word: bigint) => string;
}
const pad = (width: number, upper = false) => (w: bigint): string => {
  const h = w.toString(16).padStart(width, '0');
  return upper ? h.toUpperCase() : h;
};
const DIALECTS: Readonly<Record<string, Dialect>> = {
  bare: { wordSize: 48, numWords: 1, sep: '', format: pad(12, true) },
  cisco: { wordSize: 16, numWords: 3, sep: '.', format: pad(4) },
  eui48: { wordSize: 8, numWords: 6, sep: '-', format: pad(2, true) },
  linux: { wordSize: 8, numWords: 6, sep: ':', format: pad(2) },
  pgsql: { wordSize: 24, numWords: 2, sep: ':', format: pad(6) },
  unix: { wordSize: 8, numWords: 6, sep: ':', format: pad(1) },
};
const DIALECT_OF: Readonly<Record<string, string>> = { bare: 'bare', cisco: 'cisco', eui48: 'eui48', win: 'eui48', linux: 'linux', pgsql: 'pgsql', postgresql: 'pgsql', psql: 'pgsql', unix: 'unix' };

function euiText(eui: Eui, dialect: Dialect): string {
  const max = (1n << BigInt(dialect.wordSize * dialect.numWords)) - 1n;
  if (eui.value > max) throw filterError(`integer out of bounds: '0x${eui.value.toString(16)}'!`);
  const mask = (1n << BigInt(dialect.wordSize)) - 1n;
  const words = Array.from({ length: dialect.numWords }, (_, i) => (eui.value >> BigInt(dialect.wordSize * (dialect.numWords - 1 - i))) & mask);
  return words.map(dialect.format).join(dialect.sep);
}

function hwaddr(value: string | null, query: unknown, alias: unknown): unknown {
  const eui = value === null ? undefined : parseEui(value);
  if (!eui && truthy(query) && query !== 'bool') throw filterError(`${str(alias)}: not a hardware address: ${str(value)}`);
  if (query === '') return eui ? value : null;
  if (query === 'bool') return eui ? true : null;
  if (query === 'int') return pyIntValue(eui!.value);
  const dialect = typeof query === 'string' && Object.prototype.hasOwnProperty.call(DIALECT_OF, query) ? DIALECTS[DIALECT_OF[query]!] : undefined;
  if (!dialect) throw filterError(`${str(alias)}: unknown filter type: ${str(query)}`);
  return euiText(eui!, dialect);
}

function slaac(value: unknown, query: unknown): unknown {
  const v = normalized(value);
  if (!v || ipaddr(value, 'version') !== 6 || !truthy(query)) return false;
  const mac = hwaddr(str(query), '', 'slaac');
  const eui = typeof mac === 'string' ? parseEui(mac) : undefined;
  if (!eui) return false;
  // the modified EUI-64 interface identifier (RFC 4291): ff:fe in the middle of a MAC, the u bit flipped
  const eui64 = eui.version === 48 ? ((eui.value >> 24n) << 40n) | 0xfffe000000n | (eui.value & 0xffffffn) : eui.value;
  const address = firstOf(v) + (eui64 ^ (0x02n << 56n));
  if (address > MAX6) throw filterError(`bad address format: ${address}`);
  return addrText({ version: 6, value: address });
}

// ---- the plugins' argument handling: positional names, then Ansible's argument spec validation ----

type OptionType = 'raw' | 'str' | 'int' | 'list';
interface Option {
  type: OptionType;
  default?: unknown;
  required?: boolean;
}
interface Spec {
  name: string;
  /** the names the plugin gives its positional arguments (`keys`; the piped value first); extra ones are dropped */
  keys: string[];
  options: Record<string, Option>;
  /** the types the plugin accepts for `value` before validating (ipaddr, ipv4, ipv6, ipwrap) */
  accepts?: (value: unknown) => boolean;
}

const isPyInt = (v: unknown): boolean => typeof v === 'boolean' || typeof v === 'bigint' || isInt(v);

/** Ansible's check_type_* conversions; a string is the reason of the TypeError */
function convert(value: unknown, type: OptionType): unknown {
  switch (type) {
    case 'raw':
      return value;
    case 'str':
      return typeof value === 'string' ? value : str(value);
    case 'int': {
      if (isPyInt(value)) return value;
      const n = typeof value === 'string' ? pyInt(value) : undefined;
      if (n !== undefined) return pyIntValue(n);
      return new TypeError(`<class '${typeName(value)}'> cannot be converted to an int`);
    }
    case 'list':
      if (Array.isArray(value) && !isTuple(value)) return value.map((x) => (typeof x === 'string' ? x : str(x)));
      if (typeof value === 'string') return value.split(',');
      if (isPyInt(value) || isFloat(value)) return [str(value)];
      return new TypeError(`<class '${typeName(value)}'> cannot be converted to a list`);
  }
}

function validate(spec: Spec, value: unknown, args: unknown[], kwargs: Dict): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  [value, ...args].slice(0, spec.keys.length).forEach((v, i) => (data[spec.keys[i]!] = v));
  for (const [k, v] of Object.entries(kwargs)) data[k] = v;
  const given = data.value;
  if (spec.accepts && !spec.accepts(given)) throw filterError(`Unrecognized type <<class '${typeName(given)}'>> for ${spec.name} filter <value>`);
  const errors: string[] = [];
  const names = Object.keys(spec.options).sort();
  const unsupported = Object.keys(data).filter((k) => !Object.prototype.hasOwnProperty.call(spec.options, k)).sort();
  if (unsupported.length > 0) errors.push(`${unsupported.join(', ')}. Supported parameters include: ${names.join(', ')}.`);
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const option = spec.options[name]!;
    const v = Object.prototype.hasOwnProperty.call(data, name) ? data[name] : undefined;
    // a None given is passed on as None, even for a str option with a default
    if (v === undefined || v === null) {
      out[name] = v === undefined && option.default !== undefined ? option.default : null;
      continue;
    }
    const converted = convert(v, option.type);
    if (converted instanceof TypeError) errors.push(`argument '${name}' is of type <class '${typeName(v)}'> and we were unable to convert to ${option.type}: ${converted.message}`);
    else out[name] = converted;
  }
  // AnsibleFilterError(errors): the message is the list's str()
  if (errors.length > 0) throw filterError(repr(errors));
  return out;
}

const valueTypes = (v: unknown): boolean => typeof v === 'string' || (Array.isArray(v) && !isTuple(v)) || isPyInt(v);
const wrapTypes = (v: unknown): boolean => typeof v === 'string' || (Array.isArray(v) && !isTuple(v)) || typeof v === 'boolean';

const str0 = (d?: unknown): Option => (d === undefined ? { type: 'str' } : { type: 'str', default: d });
const SPECS = {
  ipaddr: { name: 'ipaddr', keys: ['value', 'query', 'version', 'alias'], options: { value: { type: 'raw', required: true }, query: str0(''), version: { type: 'int' }, alias: str0() }, accepts: valueTypes },
  ipv4: { name: 'ipv4', keys: ['value', 'query'], options: { value: { type: 'raw', required: true }, query: str0('') }, accepts: valueTypes },
  ipv6: { name: 'ipv6', keys: ['value', 'query'], options: { value: { type: 'raw', required: true }, query: str0('') }, accepts: valueTypes },
  ipwrap: { name: 'ipwrap', keys: ['value'], options: { value: { type: 'raw', required: true }, query: str0('') }, accepts: wrapTypes },
  ipmath: { name: 'ipmath', keys: ['value', 'amount'], options: { value: { type: 'str', required: true }, amount: { type: 'int' } } },
  ipsubnet: { name: 'ipsubnet', keys: ['value', 'query', 'index'], options: { value: { type: 'str', required: true }, query: str0(''), index: { type: 'int' } } },
  nthhost: { name: 'nthhost', keys: ['value', 'query'], options: { value: { type: 'str', required: true }, query: str0() } },
  next_nth_usable: { name: 'next_nth_usable', keys: ['value', 'offset'], options: { value: { type: 'str', required: true }, offset: { type: 'int' } } },
  previous_nth_usable: { name: 'previous_nth_usable', keys: ['value', 'offset'], options: { value: { type: 'str', required: true }, offset: { type: 'int' } } },
  network_in_network: { name: 'network_in_network', keys: ['value', 'test'], options: { value: { type: 'str', required: true }, test: str0() } },
  network_in_usable: { name: 'network_in_usable', keys: ['value', 'test'], options: { value: { type: 'str', required: true }, test: str0() } },
  reduce_on_network: { name: 'reduce_on_network', keys: ['value', 'network'], options: { value: { type: 'list', required: true }, network: str0() } },
  cidr_merge: { name: 'cidr_merge', keys: ['value', 'action'], options: { value: { type: 'list', required: true }, action: str0('merge') } },
  ip4_hex: { name: 'ip4_hex', keys: ['arg', 'delimiter'], options: { arg: { type: 'str', required: true }, delimiter: str0('') } },
  hwaddr: { name: 'hwaddr', keys: ['value', 'query', 'alias'], options: { value: { type: 'str', required: true }, query: str0(''), alias: str0('hwaddr') } },
  macaddr: { name: 'macaddr', keys: ['value', 'query'], options: { value: { type: 'str', required: true }, query: str0('') } },
  slaac: { name: 'slaac', keys: ['value', 'query'], options: { value: { type: 'str', required: true }, query: str0() } },
} satisfies Record<string, Spec>;

type Impl = (p: Record<string, unknown>) => unknown;
/** a str option after validation: a string, or None when None was given */
const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const strings = (v: unknown): string[] | null => (Array.isArray(v) ? (v as string[]) : null);
const IMPLS: Record<keyof typeof SPECS, Impl> = {
  ipaddr: (p) => ipaddr(p.value, p.query, p.version, p.alias),
  ipv4: (p) => ipaddr(p.value, p.query, 4, 'ipv4'),
  ipv6: (p) => ipaddr(p.value, p.query, 6, 'ipv6'),
  ipwrap: (p) => ipwrap(p.value, p.query),
  ipmath: (p) => ipmath(text(p.value), p.amount),
  ipsubnet: (p) => ipsubnet(p.value, text(p.query), p.index),
  nthhost: (p) => nthhost(p.value, p.query),
  next_nth_usable: (p) => nthUsable(p.value, p.offset, 1n),
  previous_nth_usable: (p) => nthUsable(p.value, p.offset, -1n),
  network_in_network: (p) => {
    const [v, w] = [addressNormalizer(p.value), addressNormalizer(p.test)];
    return inRange(rangeOf(w, false), rangeOf(v, false));
  },
  network_in_usable: (p) => {
    const [v, w] = [addressNormalizer(p.value), addressNormalizer(p.test)];
    return inRange(rangeOf(w, false), rangeOf(v, true));
  },
  reduce_on_network: (p) => {
    const n = rangeOf(addressNormalizer(p.network), false);
    const value = strings(p.value);
    if (value === null) throw filterError("'NoneType' object is not iterable");
    return value.filter((address) => inRange(rangeOf(addressNormalizer(address), false), n));
  },
  cidr_merge: (p) => cidrMergeFilter(strings(p.value), p.action),
  ip4_hex: (p) => ip4Hex(text(p.arg), p.delimiter),
  hwaddr: (p) => hwaddr(text(p.value), p.query, p.alias),
  macaddr: (p) => hwaddr(text(p.value), p.query, 'macaddr'),
  slaac: (p) => slaac(p.value, p.query),
};

/**
 * The names Ansible 2.14 resolves: the short ones through ansible.builtin's routing to ansible.netcommon, which
 * redirects to ansible.utils; macaddr has no short name, ip4_hex neither (and netcommon's redirect of it is broken).
 */
const ROUTES: Record<keyof typeof SPECS, readonly string[]> = {
  ipaddr: ['', 'ansible.netcommon.'],
  ipv4: ['', 'ansible.netcommon.'],
  ipv6: ['', 'ansible.netcommon.'],
  ipwrap: ['', 'ansible.netcommon.'],
  ipmath: ['', 'ansible.netcommon.'],
  ipsubnet: ['', 'ansible.netcommon.'],
  nthhost: ['', 'ansible.netcommon.'],
  next_nth_usable: ['', 'ansible.netcommon.'],
  previous_nth_usable: ['', 'ansible.netcommon.'],
  network_in_network: ['', 'ansible.netcommon.'],
  network_in_usable: ['', 'ansible.netcommon.'],
  reduce_on_network: ['', 'ansible.netcommon.'],
  cidr_merge: ['', 'ansible.netcommon.'],
  ip4_hex: [],
  hwaddr: ['', 'ansible.netcommon.'],
  macaddr: ['ansible.netcommon.'],
  slaac: ['', 'ansible.netcommon.'],
};

function filterOf(name: keyof typeof SPECS): FilterDef {
  const spec: Spec = SPECS[name];
  return { fn: (_ctx, value, args, kwargs) => IMPLS[name](validate(spec, value, args, kwargs)) };
}

/** The ipaddr family by every name Ansible knows it by (`ansible.utils.X`, and the short and netcommon ones). */
export const ipaddrFilters: Readonly<Record<string, FilterDef>> = Object.fromEntries(
  (Object.keys(SPECS) as (keyof typeof SPECS)[]).flatMap((name) => {
    const def = filterOf(name);
    return ['ansible.utils.', ...ROUTES[name]].map((prefix) => [`${prefix}${name}`, def] as const);
  }),
);

/**
 * OpenSSH's known_hosts: parsing (markers, comma-separated patterns with wildcards and negation, hashed
 * `|1|salt|hash` names, `[host]:port`), look-up of a presented key, and fingerprints as OpenSSH prints them.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';

export interface KnownHostEntry {
  file: string;
  /** 1-based */
  line: number;
  marker: 'revoked' | 'cert-authority' | undefined;
  patterns: string;
  keyType: string;
  /** the key blob */
  key: Buffer;
}

/** The name a host is recorded under: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** `SHA256:` and the unpadded base64 of the key blob's SHA-256, as `ssh-keygen -l` and ssh print it. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The algorithm name inside an SSH public key blob (its first string). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const len = key.readUInt32BE(0);
  return key.subarray(4, 4 + len).toString('latin1');
}

/** How OpenSSH names a key type in messages: ED25519, RSA, ECDSA. */
export function keyTypeLabel(keyType: string): string {
  if (keyType === 'ssh-ed25519') return 'ED25519';
  if (keyType === 'ssh-rsa') return 'RSA';
  if (keyType.startsWith('ecdsa-')) return 'ECDSA';
  if (keyType === 'ssh-dss') return 'DSA';
  return keyType;
}

export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') {
      marker = fields[0] === '@revoked' ? 'revoked' : 'cert-authority';
      fields.shift();
    }
    const [patterns, keyType, base64] = fields;
    if (patterns === undefined || keyType === undefined || base64 === undefined) return;
    const key = Buffer.from(base64, 'base64');
    // a line whose blob does not name its own type is corrupt: OpenSSH skips it too
    if (keyTypeOf(key) !== keyType) return;
    entries.push({ file, line: index + 1, marker, patterns, keyType, key });
  });
  return entries;
}

export async function loadKnownHosts(file: string): Promise<KnownHostEntry[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return parseKnownHosts(text, file);
}

function wildcardMatch(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}

function hashedMatch(pattern: string, name: string): boolean {
  const [, magic, salt, hash] = pattern.split('|');
  if (magic !== '1' || salt === undefined || hash === undefined) return false;
  const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return digest === hash;
}

/** Whether a line's patterns name `name` (already in `[host]:port` form): a negated match excludes. */
export function patternsMatch(patterns: string, name: string): boolean {
  if (patterns.startsWith('|')) return hashedMatch(patterns, name);
  let matched = false;
  for (const pattern of patterns.split(',')) {
    if (pattern.startsWith('!')) {
      if (wildcardMatch(pattern.slice(1), name)) return false;
    } else if (wildcardMatch(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

export type HostKeyVerdict =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry }
  | { status: 'changed'; entry: KnownHostEntry }
  | { status: 'unknown' };

/** The verdict on `key` presented by the host recorded as `name`. */
export function verifyHostKey(entries: readonly KnownHostEntry[], name: string, key: Buffer): HostKeyVerdict {
  const forHost = entries.filter((e) => e.marker !== 'cert-authority' && patternsMatch(e.patterns, name));
  const revoked = forHost.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked !== undefined) return { status: 'revoked', entry: revoked };
  const plain = forHost.filter((e) => e.marker === undefined);
  const known = plain.find((e) => e.key.equals(key));
  if (known !== undefined) return { status: 'known', entry: known };
  // only a recorded key of the same type makes it a change: the algorithm order asks for recorded types first
  const sameType = plain.find((e) => e.keyType === keyTypeOf(key));
  if (sameType !== undefined) return { status: 'changed', entry: sameType };
  const other = plain[0];
  if (other !== undefined) return { status: 'changed', entry: other };
  return { status: 'unknown' };
}

/** The host key algorithms to offer, those already recorded for the host first (as OpenSSH orders them). */
export function hostKeyAlgorithms(entries: readonly KnownHostEntry[], name: string): string[] {
  const all = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  const recorded = new Set(entries.filter((e) => e.marker === undefined && patternsMatch(e.patterns, name)).map((e) => e.keyType));
  const first = all.filter((alg) => recorded.has(alg === 'rsa-sha2-512' || alg === 'rsa-sha2-256' ? 'ssh-rsa' : alg));
  return [...first, ...all.filter((alg) => !first.includes(alg))];
}

/** A known_hosts line for `name`, hashed as `HashKnownHosts yes` writes it. */
export function knownHostsLine(name: string, key: Buffer, hashed: boolean): string {
  let patterns = name;
  if (hashed) {
    const salt = randomBytes(20);
    patterns = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
  }
  return `${patterns} ${keyTypeOf(key)} ${key.toString('base64')}`;
}

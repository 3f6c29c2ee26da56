/**
 * Everything about a lab that follows from its name alone: subnet, bridge and link names, addresses, paths.
 * Pure, so two labs can be told apart (and checked for clashes) before anything is created.
 */
import { join, resolve } from 'node:path';

export const DEFAULT_LAB_NAME = 'default';
export const DEFAULT_STATE_ROOT = '/var/lib/typebook/lab';
export const DEFAULT_CACHE_DIR = '/var/cache/typebook/lab/debs';
export const MAX_HOSTS = 200;
/** Where a host sees the lab's apt repository (a read-only bind mount). */
export const HOST_REPO_DIR = '/var/lib/typebook-lab/apt';

const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;
/** Second octet range: 10.20.0.0/24 .. 10.239.0.0/24, away from the 10.0.x and 10.255.x that networks favour. */
const OCTET_FIRST = 20;
const OCTET_COUNT = 220;
/** Host i gets 10.X.0.(10+i); .1 is the controller, .2-.9 and .211-.254 are never given to a host. */
const HOST_OFFSET = 10;

export interface LabLayout {
  name: string;
  /** state dir: keys, inventory, pids, upper layers */
  dir: string;
  octet: number;
  /** 10.X.0.0/24 */
  subnet: string;
  prefixLength: 24;
  /** the bridge's address in the root namespace, where typebook runs */
  controller: string;
  /** an address in the subnet no host gets, for a virtual IP (keepalived) */
  vip: string;
  bridge: string;
  /** written on the bridge and each veth, so a link is known to be this lab's */
  linkAlias: string;
  inventoryPath: string;
  knownHostsPath: string;
  privateKeyPath: string;
  statePath: string;
  lockPath: string;
  repoDir: string;
}

export interface HostLayout {
  /** node1, node2, ... */
  name: string;
  index: number;
  address: string;
  /** the root namespace's end of the host's veth pair */
  veth: string;
  dir: string;
  upper: string;
  work: string;
  merged: string;
  consoleLog: string;
}

export function validateLabName(name: string): string | undefined {
  if (NAME_PATTERN.test(name)) return undefined;
  return `invalid lab name '${name}': expected 1 to 32 characters of a-z, 0-9, '-' or '_', starting with a letter or digit`;
}

export function validateHostCount(hosts: number): string | undefined {
  if (Number.isInteger(hosts) && hosts >= 1 && hosts <= MAX_HOSTS) return undefined;
  return `invalid number of hosts '${hosts}': expected a whole number from 1 to ${MAX_HOSTS}`;
}

/** FNV-1a: a stable spread of names over the octet range (collisions are detected at `lab up`). */
export function labOctet(name: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(name, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return OCTET_FIRST + (hash % OCTET_COUNT);
}

export function labLayout(name: string, dir?: string): LabLayout {
  const invalid = validateLabName(name);
  if (invalid) throw new Error(invalid);
  const octet = labOctet(name);
  // Absolute, as recorded in state.json: the same dir is recognised whatever the working directory.
  const stateDir = dir === undefined ? join(DEFAULT_STATE_ROOT, name) : resolve(dir);
  return {
    name,
    dir: stateDir,
    octet,
    subnet: `10.${octet}.0.0/24`,
    prefixLength: 24,
    controller: `10.${octet}.0.1`,
    vip: `10.${octet}.0.250`,
    // Link names are at most 15 characters; the octet keeps them unique per lab.
    bridge: `tb${octet}-br`,
    linkAlias: `typebook-lab:${name}`,
    inventoryPath: join(stateDir, 'inventory.yml'),
    knownHostsPath: join(stateDir, 'known_hosts'),
    privateKeyPath: join(stateDir, 'id_ed25519'),
    statePath: join(stateDir, 'state.json'),
    lockPath: `${stateDir}.lock`,
    repoDir: join(stateDir, 'apt'),
  };
}

export function hostLayout(lab: LabLayout, index: number): HostLayout {
  const name = `node${index}`;
  const dir = join(lab.dir, 'hosts', name);
  return {
    name,
    index,
    address: `10.${lab.octet}.0.${HOST_OFFSET + index}`,
    veth: `tb${lab.octet}-${name}`,
    dir,
    upper: join(dir, 'upper'),
    work: join(dir, 'work'),
    merged: join(dir, 'merged'),
    consoleLog: join(dir, 'console.log'),
  };
}

/** True when the two IPv4 prefixes share an address. */
export function prefixesOverlap(a: string, b: string): boolean {
  const pa = parsePrefix(a);
  const pb = parsePrefix(b);
  if (!pa || !pb) return false;
  const len = Math.min(pa.length, pb.length);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return ((pa.address & mask) >>> 0) === ((pb.address & mask) >>> 0);
}

function parsePrefix(text: string): { address: number; length: number } | undefined {
  const [addr, len] = text.split('/');
  const parts = (addr ?? '').split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  const length = len === undefined ? 32 : Number(len);
  if (!Number.isInteger(length) || length < 0 || length > 32) return undefined;
  const address = parts.reduce((acc, p) => ((acc << 8) | p) >>> 0, 0);
  return { address, length };
}

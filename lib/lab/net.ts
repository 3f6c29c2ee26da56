/**
 * The lab's wiring in the root namespace: one bridge holding the controller's address (10.X.0.1), one veth per
 * host whose other end is the host's eth0. No forwarding off the bridge and no NAT: hosts reach each other and
 * the controller, nothing else.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { HostLayout, LabLayout } from './layout.js';
import { labOctet, prefixesOverlap, validateLabName } from './layout.js';
import { LabError, run } from './system.js';

const ALIAS_PREFIX = 'typebook-lab:';

export interface LinkInfo {
  ifname: string;
  ifalias?: string;
}

export interface RouteInfo {
  dst: string;
  dev?: string;
}

export async function listLinks(): Promise<LinkInfo[]> {
  const out = await run('ip', ['-j', 'link', 'show']);
  return JSON.parse(out.stdout) as LinkInfo[];
}

/**
 * The links of this lab that exist now: those carrying its alias. Never by name alone: two lab names can give the
 * same network number, and a link of the other lab has the same name. Every link is created under a temporary
 * name, given the alias, then renamed, so no link of a lab ever has its final name without its alias.
 */
export function labLinks(links: readonly LinkInfo[], lab: LabLayout): string[] {
  return links.filter((l) => l.ifalias === lab.linkAlias).map((l) => linkName(l));
}

/**
 * Refuses, before anything is created, a network another lab or the machine already uses: a link named like
 * this lab's (same network number) that is not this lab's, or a route overlapping its subnet.
 */
export async function checkNetworkFree(lab: LabLayout): Promise<void> {
  const links = await listLinks();
  const routes = JSON.parse((await run('ip', ['-j', 'route', 'show'])).stdout) as RouteInfo[];
  const prefix = `tb${lab.octet}-`;
  const foreign = links.filter((l) => linkName(l).startsWith(prefix) && l.ifalias !== lab.linkAlias);
  const retry = (): string => {
    const other = suggestLabName(lab.name, links, routes);
    return other === undefined ? 'choose another lab name' : `choose another lab name (e.g. --name ${other}, on 10.${labOctet(other)}.0.0/24)`;
  };
  if (foreign.length > 0) {
    const owners = [...new Set(foreign.map((l) => l.ifalias ?? ''))];
    const labs = owners.filter((a) => a.startsWith(ALIAS_PREFIX)).map((a) => a.slice(ALIAS_PREFIX.length));
    const names = foreign.map((l) => linkName(l)).join(', ');
    const who =
      labs.length > 0
        ? `lab ${labs.map((n) => `'${n}'`).join(', ')} already has it up (${names}): the names give the same network number ${lab.octet}`
        : `links ${names} without a typebook lab alias use it (another program's? delete them with ip link delete dev NAME if they are stale)`;
    throw new LabError(`lab '${lab.name}' would use subnet ${lab.subnet} and links ${prefix}*, but ${who}; ${retry()}`);
  }
  const ours = new Set(labLinks(links, lab));
  const clash = routes.find((r) => !ours.has(r.dev ?? '') && r.dst !== 'default' && prefixesOverlap(r.dst, lab.subnet));
  if (clash) {
    throw new LabError(
      `lab '${lab.name}' would use subnet ${lab.subnet}, which overlaps the route ${clash.dst} via ${clash.dev ?? '?'} on this machine; ${retry()}`,
    );
  }
}

/** A name like `name` whose network number no link or route of the machine uses now. */
export function suggestLabName(name: string, links: readonly LinkInfo[], routes: readonly RouteInfo[]): string | undefined {
  for (let i = 2; i < 100; i++) {
    const suffix = `-${i}`;
    const candidate = `${name.slice(0, 32 - suffix.length)}${suffix}`;
    if (validateLabName(candidate) !== undefined) continue;
    const octet = labOctet(candidate);
    const subnet = `10.${octet}.0.0/24`;
    const used =
      links.some((l) => linkName(l).startsWith(`tb${octet}-`)) ||
      routes.some((r) => r.dst !== 'default' && prefixesOverlap(r.dst, subnet));
    if (!used) return candidate;
  }
  return undefined;
}

export async function createBridge(lab: LabLayout): Promise<void> {
  const temp = tempLinkName();
  await run('ip', ['-batch', '-'], {
    input: [
      `link add name ${temp} type bridge`,
      `link set dev ${temp} alias ${lab.linkAlias}`,
      // fails if another lab's bridge has the name: this lab's is then found by its alias and deleted alone
      `link set dev ${temp} name ${lab.bridge}`,
    ].join('\n') + '\n',
  });
  // Before the link is up, so the root namespace never gets an IPv6 address on it.
  writeFileSync(`/proc/sys/net/ipv6/conf/${lab.bridge}/disable_ipv6`, '1');
  // Packets from the hosts are never routed on, even if the machine forwards between its other interfaces.
  writeFileSync(`/proc/sys/net/ipv4/conf/${lab.bridge}/forwarding`, '0');
  await run('ip', ['address', 'add', `${lab.controller}/${lab.prefixLength}`, 'dev', lab.bridge]);
  await run('ip', ['link', 'set', 'dev', lab.bridge, 'up']);
}

/** One veth pair per host, its far end created directly inside the host's network namespace as eth0. */
export async function plugHosts(lab: LabLayout, hosts: readonly { host: HostLayout; initPid: number }[]): Promise<void> {
  const batch = hosts.flatMap(({ host, initPid }) => {
    const temp = tempLinkName();
    return [
      `link add ${temp} type veth peer name eth0 netns ${initPid}`,
      `link set dev ${temp} alias ${lab.linkAlias}`,
      // fails (and stops the batch) if another lab's link has the name: that one is never touched
      `link set dev ${temp} name ${host.veth}`,
      `link set dev ${host.veth} master ${lab.bridge} up`,
    ];
  });
  await run('ip', ['-batch', '-'], { input: batch.join('\n') + '\n' });
}

/** Deletes links by name; a veth goes with its peer, so each host's namespace loses eth0 first. */
export async function deleteLinks(names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  // -force: keep going past a link that has gone already (its peer's namespace died first).
  await run('ip', ['-force', '-batch', '-'], { input: names.map((n) => `link delete dev ${n}`).join('\n') + '\n', allowFailure: true });
  const left = labLinksByName(await listLinks(), names);
  if (left.length > 0) throw new LabError(`could not delete links: ${left.join(', ')}`);
}

function labLinksByName(links: readonly LinkInfo[], names: readonly string[]): string[] {
  const wanted = new Set(names);
  return links.map(linkName).filter((n) => wanted.has(n));
}

function linkName(link: LinkInfo): string {
  return link.ifname.replace(/@.*$/, '');
}

/** A name no lab link has (15 characters at most): a link lives under it only until it carries its alias. */
function tempLinkName(): string {
  return `tbnew-${randomBytes(4).toString('hex')}`;
}

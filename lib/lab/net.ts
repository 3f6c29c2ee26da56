/**
 * The lab's wiring in the root namespace: one bridge holding the controller's address (10.X.0.1), one veth per
 * host whose other end is the host's eth0. No forwarding off the bridge and no NAT: hosts reach each other and
 * the controller, nothing else.
 */
import { writeFileSync } from 'node:fs';
import type { HostLayout, LabLayout } from './layout.js';
import { prefixesOverlap } from './layout.js';
import { LabError, run } from './system.js';

interface LinkInfo {
  ifname: string;
  ifalias?: string;
}

interface RouteInfo {
  dst: string;
  dev?: string;
}

export async function listLinks(): Promise<LinkInfo[]> {
  const out = await run('ip', ['-j', 'link', 'show']);
  return JSON.parse(out.stdout) as LinkInfo[];
}

/** The links of this lab that exist now, found by name (so leftovers of a crash are found without state). */
export function labLinks(links: readonly LinkInfo[], lab: LabLayout): string[] {
  const prefix = `tb${lab.octet}-`;
  return links
    .map((l) => l.ifname.replace(/@.*$/, ''))
    .filter((n) => n === lab.bridge || (n.startsWith(prefix) && /^node\d+$/.test(n.slice(prefix.length))));
}

/** Refuses a subnet or link names another lab or the machine's own network already uses. */
export async function checkNetworkFree(lab: LabLayout): Promise<void> {
  const links = await listLinks();
  const bridge = links.find((l) => l.ifname === lab.bridge);
  if (bridge && bridge.ifalias !== lab.linkAlias) {
    const owner = bridge.ifalias?.startsWith('typebook-lab:') ? `lab '${bridge.ifalias.slice(13)}'` : 'something else';
    throw new LabError(
      `lab '${lab.name}' would use subnet ${lab.subnet} and bridge ${lab.bridge}, but ${owner} has them; choose another lab name`,
    );
  }
  const routes = JSON.parse((await run('ip', ['-j', 'route', 'show'])).stdout) as RouteInfo[];
  const clash = routes.find((r) => r.dev !== lab.bridge && r.dst !== 'default' && prefixesOverlap(r.dst, lab.subnet));
  if (clash) {
    throw new LabError(
      `lab '${lab.name}' would use subnet ${lab.subnet}, which overlaps the route ${clash.dst} via ${clash.dev ?? '?'} on this machine; choose another lab name`,
    );
  }
}

export async function createBridge(lab: LabLayout): Promise<void> {
  await run('ip', ['link', 'add', 'name', lab.bridge, 'type', 'bridge']);
  await run('ip', ['link', 'set', 'dev', lab.bridge, 'alias', lab.linkAlias]);
  // Before the link is up, so the root namespace never gets an IPv6 address on it.
  writeFileSync(`/proc/sys/net/ipv6/conf/${lab.bridge}/disable_ipv6`, '1');
  // Packets from the hosts are never routed on, even if the machine forwards between its other interfaces.
  writeFileSync(`/proc/sys/net/ipv4/conf/${lab.bridge}/forwarding`, '0');
  await run('ip', ['address', 'add', `${lab.controller}/${lab.prefixLength}`, 'dev', lab.bridge]);
  await run('ip', ['link', 'set', 'dev', lab.bridge, 'up']);
}

/** One veth pair per host, its far end created directly inside the host's network namespace as eth0. */
export async function plugHosts(lab: LabLayout, hosts: readonly { host: HostLayout; initPid: number }[]): Promise<void> {
  const batch = hosts.flatMap(({ host, initPid }) => [
    `link add ${host.veth} type veth peer name eth0 netns ${initPid}`,
    `link set dev ${host.veth} alias ${lab.linkAlias}`,
    `link set dev ${host.veth} master ${lab.bridge} up`,
  ]);
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
  return links.map((l) => l.ifname.replace(/@.*$/, '')).filter((n) => wanted.has(n));
}

/**
 * A loaded inventory: its groups and hosts, each host's variables by layer in Ansible's precedence, and
 * host patterns.
 */
import { positionOf, type SourcePos } from '../source/index.js';
import { dirname, isAbsolute } from 'node:path';
import { isIpAddress, localhostNames } from './address.js';
import { varPositionOf } from './build.js';
import { combineVars } from './merge.js';
import { selectHosts, type SelectOptions, type Selection } from './patterns.js';
import type { InventoryGroup, InventoryHost, VarLayer, Vars } from './types.js';
import type { VarsDir } from './vars-files.js';

export class Inventory {
  readonly groups: ReadonlyMap<string, InventoryGroup>;
  readonly hosts: ReadonlyMap<string, InventoryHost>;
  /** the inventory sources as given (`-i`), in order */
  readonly sources: readonly string[];
  /** `group_vars/`/`host_vars/` beside each source (file: its directory; directory: itself), in source order */
  readonly varsDirs: readonly VarsDir[];
  private readonly groupHostsCache = new Map<string, string[]>();

  constructor(groups: ReadonlyMap<string, InventoryGroup>, hosts: ReadonlyMap<string, InventoryHost>, sources: readonly string[], varsDirs: readonly VarsDir[]) {
    this.groups = groups;
    this.hosts = hosts;
    this.sources = sources;
    this.varsDirs = varsDirs;
  }

  /**
   * The host named, or the implicit localhost for `localhost`/`127.0.0.1`/`::1` when the inventory has no
   * such host (as Ansible makes it up: connection local, only `all`'s variables). As in Ansible, when the
   * inventory has another of those names, that host stands for them all.
   */
  getHost(name: string): InventoryHost | undefined {
    const host = this.hosts.get(name);
    if (host || !localhostNames.includes(name)) return host;
    for (const h of this.hosts.values()) if (localhostNames.includes(h.name)) return h;
    return { name, vars: { ansible_connection: 'local' }, groups: [], implicit: true };
  }

  /**
   * The hosts of a group and of all groups below it: breadth first, each level in inventory order, no host
   * twice. (ansible-core 2.14 walks each level as a Python set, so where several groups of one level have
   * child groups its own order varies from run to run; this is the order its walk means.)
   */
  groupHosts(name: string): string[] {
    const cached = this.groupHostsCache.get(name);
    if (cached) return cached;
    const start = this.groups.get(name);
    if (!start) return [];
    const ordered: InventoryGroup[] = [start];
    const seen = new Set([start.name]);
    let level = [start];
    while (level.length > 0) {
      const next: InventoryGroup[] = [];
      for (const g of level) {
        for (const kid of g.children) {
          if (seen.has(kid)) continue;
          seen.add(kid);
          const k = this.groups.get(kid)!;
          next.push(k);
          ordered.push(k);
        }
      }
      level = next;
    }
    const hosts: string[] = [];
    const have = new Set<string>();
    for (const g of ordered) {
      for (const h of g.hosts) {
        if (!have.has(h)) {
          have.add(h);
          hosts.push(h);
        }
      }
    }
    this.groupHostsCache.set(name, hosts);
    return hosts;
  }

  /** Every group the host belongs to, directly or through children, `all` included, sorted as Ansible merges them: by depth, priority, name. */
  hostGroups(hostName: string): InventoryGroup[] {
    const host = this.getHost(hostName);
    if (!host) return [];
    const found = new Set<string>();
    const todo = [...host.groups];
    while (todo.length > 0) {
      const g = todo.pop()!;
      if (found.has(g)) continue;
      found.add(g);
      todo.push(...this.groups.get(g)!.parents);
    }
    found.add('all');
    return sortGroups([...found].map((g) => this.groups.get(g)!));
  }

  /** For the `groups` magic variable: every group's hosts. */
  groupsDict(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const name of this.groups.keys()) Object.defineProperty(out, name, { value: this.groupHosts(name), enumerable: true, writable: true, configurable: true });
    return out;
  }

  /**
   * The host's variables, layer by layer, lowest precedence first, as Ansible 2.14's VariableManager applies
   * them: `all`'s inventory vars; the other groups' inventory vars (by depth, priority, name); group_vars/all
   * files of each source, then of each of `playDirs`; group_vars files of the other groups (each source, then
   * each play dir); the host's inventory vars; host_vars files (sources, then play dirs).
   *
   * `playDirs` are the `group_vars/`/`host_vars/` beside the playbook (see loadVarsDir); they interleave with
   * the inventory's at these exact places, which is why they are passed here rather than appended after.
   */
  hostVarLayers(hostName: string, playDirs: readonly VarsDir[] = []): VarLayer[] {
    const host = this.getHost(hostName);
    if (!host) return [];
    const all = this.groups.get('all')!;
    const others = host.implicit ? [] : this.hostGroups(hostName).filter((g) => g.name !== 'all');
    const layers: VarLayer[] = [];
    const push = (layer: VarLayer): void => {
      if (Object.keys(layer.vars).length > 0) layers.push(layer);
    };
    push({ source: 'inventory group all', vars: all.vars });
    for (const g of others) push({ source: `inventory group ${g.name}`, vars: g.vars });
    for (const dir of [...this.varsDirs, ...playDirs]) for (const layer of dir.groupVars('all')) push(layer);
    for (const dirs of [this.varsDirs, playDirs]) {
      for (const dir of dirs) for (const g of others) for (const layer of dir.groupVars(g.name)) push(layer);
    }
    push({ source: `inventory host ${host.name}`, vars: host.vars });
    for (const dir of [...this.varsDirs, ...playDirs]) for (const layer of dir.hostVars(host.name)) push(layer);
    return layers;
  }

  /**
   * The magic variables the inventory defines for a host (inventory_hostname, inventory_hostname_short,
   * group_names, groups, inventory_file, inventory_dir), as Ansible computes them.
   */
  magicVars(hostName: string): Vars {
    const host = this.getHost(hostName);
    if (!host) return {};
    const file = host.inventoryFile;
    return {
      inventory_hostname: host.name,
      inventory_hostname_short: isIpAddress(host.name) ? host.name : host.name.split('.')[0]!,
      group_names: host.implicit ? [] : this.hostGroups(host.name).map((g) => g.name).filter((g) => g !== 'all').sort(),
      groups: this.groupsDict(),
      inventory_file: file ?? null,
      // a host list (`-i a,b,`) is no file, so it has no directory
      inventory_dir: file !== undefined && isAbsolute(file) ? dirname(file) : null,
    };
  }

  /** The host's variables merged (top-level keys replace, Ansible's default hash_behaviour). */
  hostVars(hostName: string, playDirs: readonly VarsDir[] = []): Vars {
    return combineVars(this.hostVarLayers(hostName, playDirs).map((l) => l.vars));
  }

  /** Which layer gave the host's variable its value: the last one that has it. */
  hostVarSource(hostName: string, key: string, playDirs: readonly VarsDir[] = []): VarLayer | undefined {
    return this.hostVarLayers(hostName, playDirs).findLast((l) => Object.prototype.hasOwnProperty.call(l.vars, key));
  }

  /** Where the host's variable got its value (file:line:col of the winning definition), for problems about it. */
  hostVarPosition(hostName: string, key: string, playDirs: readonly VarsDir[] = []): SourcePos | undefined {
    const layer = this.hostVarSource(hostName, key, playDirs);
    return layer ? (varPositionOf(layer.vars, key) ?? positionOf(layer.vars, key)) : undefined;
  }

  /** A group's own variables: inventory vars, then its group_vars files (what `ansible-inventory --graph --vars` shows). */
  groupVarLayers(groupName: string): VarLayer[] {
    const group = this.groups.get(groupName);
    if (!group) return [];
    const layers: VarLayer[] = [{ source: `inventory group ${group.name}`, vars: group.vars }];
    for (const dir of this.varsDirs) layers.push(...dir.groupVars(group.name));
    return layers.filter((l) => Object.keys(l.vars).length > 0);
  }

  /** Hosts matching an Ansible host pattern, in Ansible's order; see selectHosts. */
  select(pattern: string | readonly string[], opts: SelectOptions = {}): Selection {
    return selectHosts(this, pattern, opts);
  }
}

export function sortGroups(groups: InventoryGroup[]): InventoryGroup[] {
  return [...groups].sort((a, b) => a.depth - b.depth || a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

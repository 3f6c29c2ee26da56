/**
 * Groups and hosts as Ansible's InventoryData keeps them while sources are parsed: groups and hosts in the
 * order first seen, `all` and `ungrouped` from the start, children checked for cycles as they are added,
 * and `reconcile()` to put parentless groups under `all` and lone hosts in `ungrouped` at the end.
 */
import type { SourcePos } from '../source/index.js';
import type { InventoryGroup, InventoryHost, Vars } from './types.js';

// Inventory vars are gathered from several places into new objects; this keeps where each one was written.
const writtenAt = new WeakMap<Vars, Map<string, SourcePos>>();

export function setVar(vars: Vars, key: string, value: unknown, pos?: SourcePos): void {
  // defineProperty, so that a variable named `__proto__` stays a variable
  Object.defineProperty(vars, key, { value, enumerable: true, writable: true, configurable: true });
  if (pos) {
    let keys = writtenAt.get(vars);
    if (!keys) writtenAt.set(vars, (keys = new Map()));
    keys.set(key, pos);
  }
}

/** Where a variable set with setVar was written. */
export function varPositionOf(vars: Vars, key: string): SourcePos | undefined {
  return writtenAt.get(vars)?.get(key);
}

export class InventoryBuilder {
  readonly groups = new Map<string, InventoryGroup>();
  readonly hosts = new Map<string, InventoryHost>();

  constructor() {
    this.addGroup('all');
    this.addGroup('ungrouped');
    this.addChild('all', 'ungrouped');
  }

  addGroup(name: string, pos?: SourcePos): InventoryGroup {
    let group = this.groups.get(name);
    if (!group) {
      group = { name, vars: {}, children: [], parents: [], hosts: [], priority: 1, depth: 0 };
      if (pos) group.pos = pos;
      this.groups.set(name, group);
    }
    return group;
  }

  addHost(name: string, opts: { group?: string; port?: number; inventoryFile?: string; pos?: SourcePos }): InventoryHost {
    let host = this.hosts.get(name);
    if (!host) {
      host = { name, vars: {}, groups: [] };
      // as Ansible's Host(name, port): the port counts only where the host is first seen
      if (opts.port !== undefined) setVar(host.vars, 'ansible_port', opts.port, opts.pos);
      if (opts.inventoryFile !== undefined) host.inventoryFile = opts.inventoryFile;
      if (opts.pos) host.pos = opts.pos;
      this.hosts.set(name, host);
    }
    if (opts.group !== undefined) {
      const group = this.groups.get(opts.group)!;
      if (!group.hosts.includes(name)) {
        group.hosts.push(name);
        host.groups.push(group.name);
      }
    }
    return host;
  }

  /** Every group above `name` (not itself). */
  ancestors(name: string): Set<string> {
    const seen = new Set<string>();
    const todo = [...(this.groups.get(name)?.parents ?? [])];
    while (todo.length > 0) {
      const g = todo.pop()!;
      if (seen.has(g)) continue;
      seen.add(g);
      todo.push(...this.groups.get(g)!.parents);
    }
    return seen;
  }

  /** Adds `child` under `parent`; returns the chain of groups that would form a cycle instead, if it would. */
  addChild(parent: string, child: string): { cycle: string[] } | undefined {
    const p = this.groups.get(parent)!;
    const c = this.groups.get(child)!;
    if (p.children.includes(child)) return undefined;
    if (parent === child) return { cycle: [child, child] };
    if (this.ancestors(parent).has(child)) return { cycle: [...this.pathDown(child, parent), child] };
    p.children.push(child);
    if (!c.parents.includes(parent)) c.parents.push(parent);
    return undefined;
  }

  /** A chain of child links from `from` down to `to` (which exists when `to` descends from `from`). */
  private pathDown(from: string, to: string): string[] {
    const prev = new Map<string, string>();
    const queue = [from];
    while (queue.length > 0) {
      const g = queue.shift()!;
      if (g === to) break;
      for (const kid of this.groups.get(g)!.children) {
        if (!prev.has(kid) && kid !== from) {
          prev.set(kid, g);
          queue.push(kid);
        }
      }
    }
    const path = [to];
    while (path[0] !== from) path.unshift(prev.get(path[0]!)!);
    return path;
  }

  /** Ansible's reconcile_inventory, run once after every source is parsed. */
  reconcile(): void {
    for (const group of this.groups.values()) {
      if (group.name !== 'all' && group.parents.length === 0) this.addChild('all', group.name);
    }
    const ungrouped = this.groups.get('ungrouped')!;
    for (const host of this.hosts.values()) {
      const others = host.groups.filter((g) => g !== 'all' && g !== 'ungrouped');
      if (host.groups.includes('ungrouped')) {
        if (others.length > 0) {
          ungrouped.hosts = ungrouped.hosts.filter((h) => h !== host.name);
          host.groups = host.groups.filter((g) => g !== 'ungrouped');
        }
      } else if (others.length === 0) {
        this.addHost(host.name, { group: 'ungrouped' });
      }
    }
    const depth = new Map<string, number>();
    const depthOf = (name: string): number => {
      const known = depth.get(name);
      if (known !== undefined) return known;
      const parents = this.groups.get(name)!.parents;
      const d = parents.length === 0 ? 0 : Math.max(...parents.map((p) => depthOf(p) + 1));
      depth.set(name, d);
      return d;
    };
    for (const group of this.groups.values()) group.depth = depthOf(group.name);
  }
}

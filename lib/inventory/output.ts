/**
 * What `ansible-inventory` prints, byte for byte where the data allows: `--list` and `--host` as Python's
 * json.dumps(sort_keys=True, indent=4, ensure_ascii=False), `--graph [--vars]` with Python's str() of values.
 *
 * One known difference: lib/source loads YAML `1.0` as the JavaScript number 1, so a float with an integral
 * value prints as `1`, where Ansible prints `1.0` (the same number once parsed).
 */
import { combineVars } from './merge.js';
import type { Inventory } from './inventory.js';
import type { Vars } from './types.js';
import { pythonStringRepr } from '../ansible/index.js';
import { stringify } from 'yaml';

/** Variables ansible-inventory leaves out of its output (its INTERNAL_VARS): magic variables, not inventory data. */
export const internalVars: ReadonlySet<string> = new Set([
  'ansible_diff_mode',
  'ansible_config_file',
  'ansible_facts',
  'ansible_forks',
  'ansible_inventory_sources',
  'ansible_limit',
  'ansible_playbook_python',
  'ansible_run_tags',
  'ansible_skip_tags',
  'ansible_verbosity',
  'ansible_version',
  'inventory_dir',
  'inventory_file',
  'inventory_hostname',
  'inventory_hostname_short',
  'groups',
  'group_names',
  'omit',
  'playbook_dir',
]);

function withoutInternal(vars: Vars): Vars {
  return combineVars([Object.fromEntries(Object.entries(vars).filter(([k]) => !internalVars.has(k)))]);
}

/** Python's repr() of a float: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
function pythonFloat(n: number, json: boolean): string {
  if (Number.isNaN(n)) return json ? 'NaN' : 'nan';
  if (!Number.isFinite(n)) return n > 0 ? (json ? 'Infinity' : 'inf') : json ? '-Infinity' : '-inf';
  // beyond 2^53 a YAML integer cannot be exact here anyway, so a large integral value was written as a float
  if (Number.isSafeInteger(n)) return String(n);
  const [mantissa, expText] = n.toExponential().split('e') as [string, string];
  const exp = Number.parseInt(expText, 10);
  if (exp >= -4 && exp < 16) return Number.isInteger(n) ? `${BigInt(n)}.0` : String(n);
  const sign = exp < 0 ? '-' : '+';
  return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Python's json.dumps(value, sort_keys=True, indent=4, ensure_ascii=False). */
export function pythonJson(value: unknown, indent = ''): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return pythonFloat(value, true);
  if (typeof value === 'string') return JSON.stringify(value);
  const inner = indent + '    ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + pythonJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort(byCodePoint);
    if (keys.length === 0) return '{}';
    return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)}: ${pythonJson((value as Record<string, unknown>)[k], inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(String(value));
}


/** Python's repr() of loaded YAML data. */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return pythonFloat(value, false);
  if (typeof value === 'string') return pythonStringRepr(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${pythonStringRepr(k)}: ${pythonRepr(v)}`).join(', ')}}`;
  return String(value);
}

/** Python's str(): strings as they are, everything else as repr(). */
export function pythonStr(value: unknown): string {
  return typeof value === 'string' ? value : pythonRepr(value);
}

/** A host's merged variables as `ansible-inventory --host` shows them. */
export function hostVarsForOutput(inv: Inventory, host: string): Vars {
  return withoutInternal(inv.hostVars(host));
}

/** A group's own variables as `ansible-inventory --graph --vars` shows them. */
export function groupVarsForOutput(inv: Inventory, group: string): Vars {
  const vars = combineVars(inv.groupVarLayers(group).map((l) => l.vars));
  const priority = inv.groups.get(group)?.priority ?? 1;
  if (priority !== 1) vars.ansible_group_priority = priority;
  return withoutInternal(vars);
}

/** The data of `ansible-inventory --list`: each group with its direct hosts and children, and `_meta.hostvars`. */
export function inventoryList(inv: Inventory): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const put = (obj: Record<string, unknown>, key: string, value: unknown): void => {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  };
  for (const group of inv.groups.values()) {
    const entry: Record<string, unknown> = {};
    if (group.name !== 'all' && group.hosts.length > 0) entry.hosts = [...group.hosts];
    if (group.children.length > 0) entry.children = [...group.children];
    if (Object.keys(entry).length > 0) put(out, group.name, entry);
  }
  const hostvars: Record<string, unknown> = {};
  for (const host of inv.groupHosts('all')) {
    const vars = hostVarsForOutput(inv, host);
    if (Object.keys(vars).length > 0) put(hostvars, host, vars);
  }
  put(out, '_meta', { hostvars });
  return out;
}

/**
 * The data of `ansible-inventory --list -y` (its yaml_inventory): the group tree from `all`, each group with its
 * children and its hosts, a host's variables given at its first appearance only, empty keys left out.
 */
export function inventoryYamlData(inv: Inventory): Record<string, unknown> {
  const seen = new Set<string>();
  const put = (obj: Record<string, unknown>, key: string, value: unknown): void => {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  };
  const format = (name: string): Record<string, unknown> => {
    const group = inv.groups.get(name)!;
    const entry: Record<string, unknown> = {};
    const children: Record<string, unknown> = {};
    for (const kid of group.children) if (kid !== 'all') put(children, kid, format(kid));
    const hosts: Record<string, unknown> = {};
    if (name !== 'all') {
      for (const host of group.hosts) {
        put(hosts, host, seen.has(host) ? {} : hostVarsForOutput(inv, host));
        seen.add(host);
      }
    }
    if (Object.keys(children).length > 0) entry.children = children;
    if (Object.keys(hosts).length > 0) entry.hosts = hosts;
    return entry;
  };
  const top: Record<string, unknown> = {};
  put(top, 'all', format('all'));
  return top;
}

/** `ansible-inventory --list -y`: inventoryYamlData as YAML that PyYAML reads back to the same data, keys sorted. */
export function inventoryYaml(inv: Inventory): string {
  return stringify(inventoryYamlData(inv), { version: '1.1', sortMapEntries: true, indentSeq: false, lineWidth: 0, aliasDuplicateObjects: false });
}

/** `ansible-inventory --graph [GROUP] [--vars]`, without the final newline. */
export function inventoryGraph(inv: Inventory, group = 'all', showVars = false): string | undefined {
  if (!inv.groups.has(group)) return undefined;
  const name = (text: string, depth: number): string => (depth ? '  |'.repeat(depth) + '--' + text : text);
  const varsLines = (vars: Vars, depth: number): string[] =>
    Object.keys(vars)
      .sort(byCodePoint)
      .map((k) => name(`{${k} = ${pythonStr(vars[k])}}`, depth));
  const draw = (g: string, depth: number): string[] => {
    const lines = [name(`@${g}:`, depth)];
    const group = inv.groups.get(g)!;
    for (const kid of group.children) lines.push(...draw(kid, depth + 1));
    if (g !== 'all') {
      for (const host of group.hosts) {
        lines.push(name(host, depth + 1));
        if (showVars) lines.push(...varsLines(hostVarsForOutput(inv, host), depth + 2));
      }
    }
    if (showVars) lines.push(...varsLines(groupVarsForOutput(inv, g), depth + 1));
    return lines;
  };
  return draw(group, 0).join('\n');
}

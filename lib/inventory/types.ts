import type { SourcePos } from '../source/index.js';

/** Variables as loaded from YAML: plain data whose objects keep their source positions (see lib/source). */
export type Vars = Record<string, unknown>;

/** One source of variables for a host; layers apply lowest precedence first, top-level keys replace. */
export interface VarLayer {
  /** what this layer is, for people: "inventory group web", "group_vars file /x/group_vars/web.yml" */
  source: string;
  /** the file it was read from, when it is a file */
  file?: string;
  vars: Vars;
}

export interface InventoryGroup {
  name: string;
  /** variables written in the inventory for the group (ansible_group_priority is taken out, as Ansible does) */
  vars: Vars;
  /** child groups, in the order they were added */
  children: string[];
  parents: string[];
  /** hosts listed directly in this group, in inventory order */
  hosts: string[];
  /** ansible_group_priority, 1 unless set */
  priority: number;
  /** length of the longest path from `all` (0 for `all`) */
  depth: number;
  /** where the group is first written, if it is written */
  pos?: SourcePos;
}

export interface InventoryHost {
  name: string;
  /** variables written in the inventory for the host, merged over every place the host is listed */
  vars: Vars;
  /** groups the host is listed in directly, in inventory order */
  groups: string[];
  /** the inventory file where the host was first found (Ansible's `inventory_file`); for a host list, the list itself */
  inventoryFile?: string;
  /** where the host is first written */
  pos?: SourcePos;
  /** the implicit localhost: not in the inventory, made up when a pattern names it */
  implicit?: boolean;
}

/**
 * `typebook inventory`: the same flags and output as `ansible-inventory` (--list, --host, --graph [--vars]),
 * plus `--list-hosts PATTERN [--limit SUBSET]` as `ansible PATTERN --list-hosts` selects them.
 */
import type { Command } from 'commander';
import { formatProblem, problem, ProblemError, type Problem } from '../source/index.js';
import { hostVarsForOutput, inventoryGraph, inventoryList, inventoryYaml, loadInventory, pythonJson } from '../inventory/index.js';
import { findAnsibleConfig, readAnsibleConfig } from './ansible-cfg.js';

interface InventoryFlags {
  inventory: string[];
  list?: boolean;
  host?: string;
  graph?: string | boolean;
  vars?: boolean;
  listHosts?: string;
  limit?: string;
  yaml?: boolean;
}

const commandLine = { file: '<command line>', line: 0, col: 0 };

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function printWarnings(problems: Problem[]): void {
  for (const p of problems) if (p.severity === 'warning') process.stderr.write(formatProblem(p) + '\n');
}

export function registerInventoryCommand(program: Command): void {
  program
    .command('inventory')
    .description('show an inventory as Ansible sees it: a drop-in for ansible-inventory (YAML inventories)')
    .option('-i, --inventory <source>', 'inventory file, directory, or host list "h1,h2," (repeatable)', collect, [])
    .option('--list', 'all groups and hosts with their variables, as JSON')
    .option('-y, --yaml', 'with --list: as YAML, the group tree as ansible-inventory -y writes it')
    .option('--host <name>', 'the variables of one host, as JSON')
    .option('--graph [group]', 'the tree of groups and hosts (from GROUP, default all)')
    .option('--vars', 'with --graph: show variables too')
    .option('--list-hosts <pattern>', 'the hosts a pattern selects, one per line, in Ansible order')
    .option('-l, --limit <subset>', 'with --list-hosts: keep only hosts that also match SUBSET')
    .argument('[group]', 'group to draw with --graph')
    .action(async (group: string | undefined, flags: InventoryFlags) => {
      const actions = [flags.list, flags.host, flags.graph, flags.listHosts].filter((a) => a !== undefined && a !== false);
      if (actions.length !== 1) {
        throw new Error(actions.length === 0 ? 'no action: use one of --list, --host NAME, --graph [GROUP], --list-hosts PATTERN' : 'use only one of --list, --host, --graph, --list-hosts');
      }
      // as ansible-inventory: without -i, ansible.cfg's inventory
      const cfgFile = flags.inventory.length === 0 ? findAnsibleConfig() : undefined;
      if (cfgFile !== undefined) flags.inventory = readAnsibleConfig(cfgFile).inventory ?? [];
      const { inventory, problems } = await loadInventory(flags.inventory);
      if (flags.inventory.length === 0) problems.push(problem(commandLine, 'No inventory was parsed (no -i), only implicit localhost is available', { severity: 'warning' }));
      if (problems.some((p) => p.severity === 'error')) throw new ProblemError(problems);
      printWarnings(problems);

      let out: string;
      if (flags.list && flags.yaml) {
        out = inventoryYaml(inventory).trimEnd();
      } else if (flags.list) {
        out = pythonJson(inventoryList(inventory));
      } else if (flags.host !== undefined) {
        const selected = inventory.select(flags.host, { at: commandLine });
        if (selected.hosts.length !== 1) throw new ProblemError([...selected.problems, problem(commandLine, `--host '${flags.host}' matches ${selected.hosts.length} hosts`, { expected: 'the name of one host' })]);
        printWarnings(selected.problems);
        out = pythonJson(hostVarsForOutput(inventory, selected.hosts[0]!));
      } else if (flags.graph !== undefined) {
        const start = typeof flags.graph === 'string' ? flags.graph : (group ?? 'all');
        const graph = inventoryGraph(inventory, start, flags.vars === true);
        if (graph === undefined) throw new ProblemError([problem(commandLine, `--graph '${start}' is not a group`, { expected: 'a group name' })]);
        out = graph;
      } else {
        const selected = inventory.select(flags.listHosts!, { at: commandLine, ...(flags.limit !== undefined ? { limit: flags.limit } : {}) });
        if (selected.problems.some((p) => p.severity === 'error')) throw new ProblemError(selected.problems);
        printWarnings(selected.problems);
        if (selected.hosts.length === 0) return;
        out = selected.hosts.join('\n');
      }
      process.stdout.write(out + '\n');
    });
}

import type { Command } from 'commander';
import { inventorySchema } from '../inventory/schema.js';
import { schemaFor } from '../playbook/schema.js';

const schemas: Record<string, () => object> = {
  inventory: () => inventorySchema,
  playbook: () => schemaFor('playbook'),
  tasks: () => schemaFor('tasks'),
  handlers: () => schemaFor('handlers'),
  vars: () => schemaFor('vars'),
  'role-meta': () => schemaFor('roleMeta'),
  'argument-specs': () => schemaFor('argumentSpecs'),
};

/** `typebook schema KIND`: prints a JSON Schema, for editors (yaml-language-server) and other tools. */
export function registerSchemaCommand(program: Command): void {
  program
    .command('schema')
    .description(`print a JSON Schema: ${Object.keys(schemas).join(', ')}`)
    .argument('<kind>', Object.keys(schemas).join(' | '))
    .action((kind: string) => {
      const make = schemas[kind];
      if (!make) throw new Error(`unknown schema '${kind}'; expected one of: ${Object.keys(schemas).join(', ')}`);
      process.stdout.write(JSON.stringify(make(), null, 2) + '\n');
    });
}

import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

/**
 * `typebook schema KIND`: prints a JSON Schema, for editors (yaml-language-server) and other tools.
 * `--write DIR` writes them all (the build puts them in dist/schemas, where shipped YAML files point).
 */
export function registerSchemaCommand(program: Command): void {
  program
    .command('schema')
    .description(`print a JSON Schema: ${Object.keys(schemas).join(', ')}`)
    .argument('[kind]', Object.keys(schemas).join(' | '))
    .option('--write <dir>', 'write every schema as DIR/KIND.json')
    .action((kind: string | undefined, flags: { write?: string }) => {
      if (flags.write) {
        mkdirSync(flags.write, { recursive: true });
        for (const [name, make] of Object.entries(schemas)) writeFileSync(join(flags.write, `${name}.json`), JSON.stringify(make(), null, 2) + '\n');
        return;
      }
      const make = kind === undefined ? undefined : schemas[kind];
      if (!make) throw new Error(`${kind === undefined ? 'which schema?' : `unknown schema '${kind}'`}; expected one of: ${Object.keys(schemas).join(', ')}`);
      process.stdout.write(JSON.stringify(make(), null, 2) + '\n');
    });
}

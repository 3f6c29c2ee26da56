/** `npm run standin-debs -- DIR`: writes the nova stand-in's ten .debs into DIR. */
import { join } from 'node:path';
import { buildStandinDebs } from './standin-debs.js';

async function main(argv: readonly string[]): Promise<void> {
  const dir = argv[0];
  if (!dir || argv.length > 1) {
    process.stderr.write('usage: npm run standin-debs -- DIR\n');
    process.exit(2);
  }
  for (const file of await buildStandinDebs(dir)) process.stdout.write(`${join(dir, file)}\n`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`standin-debs: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

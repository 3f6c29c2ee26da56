/**
 * Build step: writes the generated validators next to the built validators module
 * (`node dist/playbook/precompile.js`, run by `npm run build`).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { precompiledSource } from './validators.js';

writeFileSync(fileURLToPath(new URL('./validators.generated.cjs', import.meta.url)), precompiledSource());

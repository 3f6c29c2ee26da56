// One typebook run from the built library, as bench/speed.ts measures it: prints the recap and the SSH
// round trips per host (as JSON) so that the benchmark can read them.
import { lineRenderer, runPlaybook } from '../dist/index.js';

const [playbook, inventory, forks] = process.argv.slice(2);
const render = lineRenderer({ write: (text) => process.stdout.write(text), color: false, verbosity: 0, diff: false });
const result = await runPlaybook({ playbook, inventory: [inventory], forks: Number(forks), onEvent: (e) => (e.type === 'recap' ? render(e) : undefined) });
process.stdout.write(JSON.stringify({ roundTrips: result.roundTrips }) + '\n');
process.exitCode = result.exitCode;

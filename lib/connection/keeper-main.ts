/**
 * The connection keeper's own entry point: `node keeper-main.js <socket> <idle-ms>`. It loads the connection
 * layer only (not the CLI, its schemas and templates), so that the process that stays behind stays small.
 */
import { serveKeeper } from './keeper.js';

const [socketPath, idleMs] = process.argv.slice(2);
if (socketPath === undefined || idleMs === undefined || !Number.isFinite(Number(idleMs))) {
  process.stderr.write('usage: keeper-main.js <socket> <idle-ms>\n');
  process.exit(2);
}
await serveKeeper(socketPath, Number(idleMs));

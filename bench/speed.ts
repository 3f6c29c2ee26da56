/**
 * Speed against ansible-playbook, on real lab hosts: bench/playbook/site.yml (about twenty tasks of the
 * system modules) run twice by each tool (the second run changes nothing), for 2 and for 20 hosts.
 * Prints wall times, time per task and per task per host of the unchanged run, SSH round trips per task per
 * host (typebook), and each controller's peak memory; then the ratio. It prints figures; it asserts nothing.
 *
 *   npm run build && npx tsx bench/speed.ts [hosts...]      (default: 2 20; needs root, like the lab)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp } from '../lib/lab/index.js';

const playbook = 'bench/playbook/site.yml';
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const hostCounts = sizes.length > 0 ? sizes : [2, 20];
const tasks = (readFileSync(playbook, 'utf8').match(/^ {4}- name:/gm) ?? []).length;

interface Measure {
  wall: number;
  peakMiB: number;
  roundTrips?: number;
  changed: number;
}

/** runs a command under bench/measure.py; the recap's changed count read from its output, typebook's round trips from its --json events */
function measure(argv: string[], env: NodeJS.ProcessEnv = {}, events?: string): Measure {
  const run = spawnSync('/usr/bin/python3', ['bench/measure.py', ...argv], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ANSIBLE_NOCOLOR: '1', ...env }, maxBuffer: 64 * 1024 * 1024 });
  const stats = JSON.parse(run.stderr.trim().split('\n').at(-1)!) as { code: number; wall: number; peak_kib: number };
  if (stats.code !== 0) throw new Error(`${argv.join(' ')} exited ${stats.code}:\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-2000)}`);
  const changed = [...run.stdout.matchAll(/changed=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  const recap = events ? (JSON.parse(readFileSync(events, 'utf8').trim().split('\n').at(-1)!) as { roundTrips: Record<string, number> }) : undefined;
  const roundTrips = recap ? Object.values(recap.roundTrips).reduce((a, b) => a + b, 0) : undefined;
  return { wall: stats.wall, peakMiB: stats.peak_kib / 1024, changed, ...(roundTrips !== undefined ? { roundTrips } : {}) };
}

const rows: string[] = [];
const widths = [7, 18, 12, 22, 12, 19, 23, 12];
const line = (cells: (string | number)[]) => cells.map((c, i) => String(c).padEnd(widths[i] ?? 14)).join('');
rows.push(line(['hosts', 'tool', 'first run', 'unchanged run', 'per task', 'per task per host', 'round trips/task/host', 'peak memory']));

const work = mkdtempSync(join(tmpdir(), 'typebook-bench-'));
const config = join(work, 'ansible.cfg');
writeFileSync(config, '[defaults]\nhost_key_checking = True\n[ssh_connection]\npipelining = True\n');
try {
  for (const hosts of hostCounts) {
    const name = `bench-${hosts}`;
    const results: Record<string, [Measure, Measure]> = {};
    try {
      // a fresh lab per tool, so each starts from the same unconfigured hosts
      for (const tool of ['typebook', 'ansible-playbook'] as const) {
        const lab = await labUp({ hosts, name, packages: ['socat', 'hello'] });
        const events = join(work, 'events.jsonl');
        // the command as a user runs it (the built bundle), its events written for the round-trip count
        const argv =
          tool === 'typebook'
            ? [process.execPath, 'dist/cli/typebook.js', 'run', playbook, '-i', lab.inventoryPath, '-f', String(hosts), '--json', events]
            : ['ansible-playbook', '-i', lab.inventoryPath, '-f', String(hosts), playbook];
        const env = tool === 'ansible-playbook' ? { ANSIBLE_CONFIG: config } : {};
        const eventsFile = tool === 'typebook' ? events : undefined;
        results[tool] = [measure(argv, env, eventsFile), measure(argv, env, eventsFile)];
        await labDown({ name });
      }
    } finally {
      await labDown({ name });
    }
    for (const [tool, [first, second]] of Object.entries(results)) {
      const perTask = (second.wall / tasks) * 1000;
      rows.push(
        line([
          hosts,
          tool,
          `${first.wall.toFixed(2)} s`,
          `${second.wall.toFixed(2)} s (${second.changed} changed)`,
          `${perTask.toFixed(1)} ms`,
          `${(perTask / hosts).toFixed(2)} ms`,
          second.roundTrips !== undefined ? (second.roundTrips / (tasks * hosts)).toFixed(2) : 'n/a',
          `${first.peakMiB.toFixed(0)} MiB`,
        ]),
      );
    }
    const ratio = results['ansible-playbook']![1].wall / results.typebook![1].wall;
    rows.push(`        unchanged run: typebook is ${ratio.toFixed(1)}x faster than ansible-playbook on ${hosts} hosts (${tasks} tasks)`);
    console.log(rows.join('\n'));
    rows.length = 1;
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

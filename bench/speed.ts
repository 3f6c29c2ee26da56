/**
 * Speed against ansible-playbook, on real lab hosts, whole commands timed from outside.
 *
 * For each size (default 2, 20 and 100 hosts) and each playbook (bench/playbook/edit.yml: twenty tasks of
 * the everyday file-editing modules; bench/playbook/site.yml: twenty of the system modules, apt included),
 * each tool first converges fresh hosts, then the unchanged re-run is timed: the median of 3 runs, the
 * tools interleaved (from 50 hosts, one run of Ansible's; site.yml at the smallest size only). ansible-playbook is set up as a well-tuned Ansible is: pipelining, ControlPersist=60s,
 * forks 10. typebook runs as its installed bin does (dist/cli/typebook.js, with its connection keeper, its
 * default), and through npx for the 2-host edit playbook.
 *
 * Prints one table: hosts, playbook, tool, unchanged wall, per task per host, round trips per task per host,
 * peak memory (typebook: the run's process, plus its connection keeper), and the ratio. At the largest size,
 * typebook also runs on a terminal (a pty) with its live tree, to show what drawing costs in a real run.
 * Asserts nothing.
 *
 *   npm run build && npx tsx bench/speed.ts [hosts...]      (needs root, like the lab)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { labDown, labUp } from '../lib/lab/index.js';

const playbooks = ['bench/playbook/edit.yml', 'bench/playbook/site.yml'].map((p) => resolve(p));
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const hostCounts = sizes.length > 0 ? sizes : [2, 20, 100];
const ROUNDS = 3;
const taskCount = (playbook: string): number => (readFileSync(playbook, 'utf8').match(/^ {4}- name:/gm) ?? []).length;

interface Measure {
  wall: number;
  peakMiB: number;
  changed: number;
  roundTrips?: number;
}

const work = mkdtempSync(join(tmpdir(), 'typebook-bench-'));
const ansibleConfig = join(work, 'ansible.cfg');
writeFileSync(ansibleConfig, [
  '[defaults]', 'host_key_checking = True', 'forks = 10', '',
  '[ssh_connection]', 'pipelining = True', 'ssh_args = -C -o ControlMaster=auto -o ControlPersist=60s', '',
].join('\n'));
// typebook's keeper (its ControlPersist) in a directory of the benchmark's own, found and stopped by PID at the end
const runtimeDir = join(work, 'run');
mkdirSync(runtimeDir, { mode: 0o700 });
// npx as a project that installed typebook runs it: a node_modules/.bin/typebook of its own
const project = join(work, 'project');
mkdirSync(join(project, 'node_modules/.bin'), { recursive: true });
symlinkSync(resolve('dist/cli/typebook.js'), join(project, 'node_modules/.bin/typebook'));
writeFileSync(join(project, 'package.json'), '{"name": "bench-project", "private": true}\n');

function keeperPids(): number[] {
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e)).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(runtimeDir);
    } catch {
      return false;
    }
  }).map(Number);
}

function keeperPeakMiB(): number {
  return keeperPids().reduce((sum, pid) => {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return sum + (hwm ? Number(hwm[1]) / 1024 : 0);
  }, 0);
}

/** runs a command under bench/measure.py: wall time and peak RSS; the recap's changed count; typebook's round trips from its --json events */
function measure(argv: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; events?: string } = {}): Measure {
  const run = spawnSync('/usr/bin/python3', [resolve('bench/measure.py'), ...argv], {
    encoding: 'utf8', cwd: options.cwd, maxBuffer: 256 * 1024 * 1024,
    // typebook keeps its connections 10 minutes here (60 s by default, as Ansible's ControlPersist=60s): between
    // two of its runs comes one of Ansible's, which takes minutes at 20 hosts and more; Ansible's own masters never
    // wait that long, as typebook's runs between two of Ansible's take a second or two
    env: { ...process.env, NO_COLOR: '1', ANSIBLE_NOCOLOR: '1', XDG_RUNTIME_DIR: runtimeDir, TYPEBOOK_PERSIST: '600', ...options.env },
  });
  const stats = JSON.parse(run.stderr.trim().split('\n').at(-1)!) as { code: number; wall: number; peak_kib: number };
  if (stats.code !== 0) throw new Error(`${argv.join(' ')} exited ${stats.code}:\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-2000)}`);
  const changed = [...run.stdout.matchAll(/changed=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  const recap = options.events ? (JSON.parse(readFileSync(options.events, 'utf8').trim().split('\n').at(-1)!) as { roundTrips: Record<string, number> }) : undefined;
  const roundTrips = recap ? Object.values(recap.roundTrips).reduce((a, b) => a + b, 0) : undefined;
  return { wall: stats.wall, peakMiB: stats.peak_kib / 1024, changed, ...(roundTrips !== undefined ? { roundTrips } : {}) };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const widths = [7, 10, 18, 24, 19, 23, 22, 10];
const line = (cells: (string | number)[]): string => cells.map((c, i) => String(c).padEnd(widths[i] ?? 14)).join('');
console.log(line(['hosts', 'playbook', 'tool', 'unchanged run (wall)', 'per task per host', 'round trips/task/host', 'peak memory', 'ratio']));

try {
  for (const hosts of hostCounts) {
    const name = `bench-${hosts}`;
    try {
      const lab = await labUp({ hosts, name, packages: ['socat', 'hello'] });
      const events = join(work, 'events.jsonl');
      const typebook = (playbook: string): string[] => [resolve('dist/cli/typebook.js'), 'run', playbook, '-i', lab.inventoryPath, '-f', String(hosts), '--json', events];
      const ansible = (playbook: string): string[] => ['ansible-playbook', '-i', lab.inventoryPath, playbook];
      // the system modules' playbook (apt included) at the smallest size only: Ansible takes minutes at the others
      for (const playbook of hosts === hostCounts[0] ? playbooks : playbooks.slice(0, 1)) {
        const tasks = taskCount(playbook);
        // converge: each tool once (the second finds nothing to do, which the unchanged runs check)
        measure(typebook(playbook));
        measure(ansible(playbook), { env: { ANSIBLE_CONFIG: ansibleConfig } });
        const runs: Record<string, Measure[]> = { typebook: [], 'typebook (npx)': [], 'ansible-playbook': [] };
        const withNpx = hosts === hostCounts[0] && playbook === playbooks[0];
        for (let round = 0; round < ROUNDS; round += 1) {
          runs.typebook!.push(measure(typebook(playbook), { events }));
          if (withNpx) runs['typebook (npx)']!.push(measure(['npx', '--offline', 'typebook', ...typebook(playbook).slice(1)], { cwd: project }));
          // from 50 hosts Ansible's run takes minutes: one is enough to tell the ratio
          if (round === 0 || hosts < 50) runs['ansible-playbook']!.push(measure(ansible(playbook), { env: { ANSIBLE_CONFIG: ansibleConfig } }));
        }
        // the live tree, as on a terminal (a pty of 120 columns), against the line output measured above
        const onTerminal = hosts === hostCounts.at(-1) && playbook === playbooks[0];
        if (onTerminal) {
          const quoted = typebook(playbook).map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
          for (let round = 0; round < ROUNDS; round += 1) {
            runs['typebook (live tree)'] ??= [];
            runs['typebook (live tree)'].push(measure(['script', '-q', '-e', '-c', `stty cols 120 rows 40; exec ${quoted}`, '/dev/null'], { env: { TERM: 'xterm-256color' } }));
          }
        }
        const ansibleWall = median(runs['ansible-playbook']!.map((m) => m.wall));
        const keeper = keeperPeakMiB();
        for (const [tool, measures] of Object.entries(runs)) {
          if (measures.length === 0) continue;
          const wall = median(measures.map((m) => m.wall));
          const changed = Math.max(...measures.map((m) => m.changed));
          const trips = measures[0]!.roundTrips;
          const peak = Math.max(...measures.map((m) => m.peakMiB));
          const memory = tool === 'ansible-playbook' ? `${peak.toFixed(0)} MiB` : `${peak.toFixed(0)} + ${keeper.toFixed(0)} MiB`;
          console.log(line([
            hosts, playbook.split('/').at(-1)!.replace('.yml', ''), tool,
            `${wall.toFixed(2)} s${changed > 0 ? ` (${changed} changed!)` : ''}`,
            `${((wall / tasks / hosts) * 1000).toFixed(2)} ms`,
            trips !== undefined ? (trips / (tasks * hosts)).toFixed(2) : '',
            memory,
            tool === 'ansible-playbook' ? '' : `${(ansibleWall / wall).toFixed(1)}x`,
          ]));
        }
      }
    } finally {
      await labDown({ name });
    }
  }
} finally {
  for (const pid of keeperPids()) process.kill(pid, 'SIGTERM');
  rmSync(work, { recursive: true, force: true });
}

/**
 * One playbook run by Debian's ansible-playbook and by the built typebook command, each host's outcome per play
 * and task read from their JSON output: `play/task/host` -> `ok STDOUT` (or `ok MSG` for debug), `failed`,
 * `unreachable`, `skipped`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ansibleEnv } from '../modules/ansible.js';

export const cli = new URL('../../dist/cli/typebook.js', import.meta.url).pathname;

export type Outcomes = Record<string, string>;

function shown(status: string, result: { stdout?: unknown; msg?: unknown }): string {
  if (status !== 'ok' && status !== 'changed') return status;
  return `ok ${String(result.stdout ?? result.msg ?? '')}`;
}

export function ansibleOutcomes(args: readonly string[], env: NodeJS.ProcessEnv = {}): Outcomes {
  const run = spawnSync('ansible-playbook', [...args], { encoding: 'utf8', timeout: 100_000, env: { ...ansibleEnv(), ANSIBLE_STDOUT_CALLBACK: 'json', ...env } });
  type Result = { unreachable?: boolean; failed?: boolean; skipped?: boolean; changed?: boolean; stdout?: string; msg?: unknown };
  type Report = { plays: { play: { name: string }; tasks: { task: { name: string }; hosts: Record<string, Result> }[] }[] };
  const report = JSON.parse(run.stdout) as Report;
  const out: Outcomes = {};
  for (const p of report.plays) {
    for (const t of p.tasks) {
      for (const [host, r] of Object.entries(t.hosts)) out[`${p.play.name}/${t.task.name}/${host}`] = shown(r.unreachable ? 'unreachable' : r.failed ? 'failed' : r.skipped ? 'skipped' : 'ok', r);
    }
  }
  return out;
}

export function typebookOutcomes(args: readonly string[]): Outcomes {
  const dir = mkdtempSync(join(tmpdir(), 'typebook-oracle-'));
  try {
    const events = join(dir, 'events.jsonl');
    spawnSync(process.execPath, [cli, 'run', ...args, '--json', events], { encoding: 'utf8', timeout: 100_000 });
    const out: Outcomes = {};
    let play = '';
    for (const line of readFileSync(events, 'utf8').trim().split('\n')) {
      const e = JSON.parse(line) as { type: string; play?: string; task?: string; host?: string; status?: string; result?: { stdout?: string; msg?: unknown } };
      if (e.type === 'play_start') play = e.play!;
      if (e.type === 'host_result') out[`${play}/${e.task}/${e.host}`] = shown(e.status!, e.result ?? {});
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

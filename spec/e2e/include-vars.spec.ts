/**
 * A playbook in the way public roles are written (geerlingguy.ntp's include_vars over with_first_found of
 * per-distribution files, with_subelements and the other with_ loops, lookups) run on localhost by Debian's
 * ansible-playbook and by the built typebook command (-c local): every task's values must be the same.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ansibleEnv } from '../modules/ansible.js';
import { cli } from '../cli/oracle.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'include-vars');

interface Result {
  msg?: unknown;
  ansible_facts?: unknown;
  results?: Result[];
  failed?: boolean;
  skipped?: boolean;
}

/** what a task showed: its message (or the variables it loaded), per item for a loop, and whether it failed or skipped */
function values(result: Result): unknown {
  const shown = (r: Result): unknown => r.msg ?? r.ansible_facts;
  return { value: result.results ? result.results.map(shown) : shown(result), failed: Boolean(result.failed), skipped: Boolean(result.skipped) };
}

function ansible(): Map<string, unknown> {
  const run = spawnSync('/usr/bin/ansible-playbook', ['-i', 'localhost,', '-c', 'local', 'playbook.yml'], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...ansibleEnv(), ANSIBLE_STDOUT_CALLBACK: 'json' } });
  const report = JSON.parse(run.stdout) as { plays: { tasks: { task: { name: string }; hosts: Record<string, Result> }[] }[] };
  return new Map(report.plays[0]!.tasks.filter((t) => t.task.name !== 'Gathering Facts').map((t) => [t.task.name, values(t.hosts.localhost!)]));
}

function typebook(): { code: number | null; tasks: Map<string, unknown>; stderr: string } {
  const tmp = mkdtempSync(join(tmpdir(), 'typebook-include-vars-'));
  try {
    const events = join(tmp, 'events.jsonl');
    const run = spawnSync(process.execPath, [cli, 'run', '-i', 'localhost,', '-c', 'local', 'playbook.yml', '--json', events], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    const tasks = new Map<string, unknown>();
    for (const line of readFileSync(events, 'utf8').trim().split('\n')) {
      const e = JSON.parse(line) as { type: string; task?: string; item?: unknown; result?: Result };
      if (e.type === 'host_result' && !('item' in e) && e.task !== 'Gathering Facts') tasks.set(e.task!, values(e.result!));
    }
    return { code: run.status, tasks, stderr: run.stderr };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

describe('include_vars and with_ loops: as ansible-playbook runs them (oracle)', function () {
  this.timeout(240_000);

  before(function () {
    if (!existsSync('/usr/bin/ansible-playbook')) {
      // skipped: outside CI a machine without Debian's ansible has no oracle; CI must have it
      if (!process.env.CI) this.skip();
      throw new Error('Debian\'s ansible-playbook is needed for this oracle test');
    }
    expect(existsSync(cli), `${cli} is missing: run npm run build`).to.equal(true);
  });

  it('loads the same variables and loops over the same items', function () {
    const want = ansible();
    const got = typebook();
    expect(got.code, got.stderr).to.equal(0);
    expect([...got.tasks.keys()]).to.deep.equal([...want.keys()]);
    for (const [task, value] of want) expect(got.tasks.get(task), task).to.deep.equal(value);
    // the per-distribution file of this machine's family was found, not the default
    expect(JSON.stringify(want.get('osvars : role sees the OS variables'))).to.match(/hello /);
  });
});

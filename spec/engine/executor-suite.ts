/**
 * The executor's test playbooks (spec/fixtures/engine), as one suite run over different connections: local
 * hosts here (spec/engine/run.spec.ts) and lab hosts over SSH (spec/e2e). The inventory maps the names the
 * playbooks use (web1..web3, db1, told apart by their variables) onto hosts.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { runPlaybook, type HostResultEvent, type RunEvent, type RunPlaybookOptions } from '../../lib/engine/index.js';
import { lineRenderer } from '../../lib/output/index.js';

export const fixtures = 'spec/fixtures/engine';

export interface SuiteTarget {
  /** inventory sources naming web1, web2, web3 and db1 */
  inventory: () => string[];
  /** the lines of a file on a host (where the playbooks write their logs), [] when it does not exist */
  readLines: (host: string, path: string) => Promise<string[]>;
  /** a directory on the hosts for the playbooks' files */
  scratch: () => string;
  ssh?: RunPlaybookOptions['ssh'];
}

export function executorSuite(target: SuiteTarget): void {
  const dir = fixtures;
  async function run(playbook: string, options: Partial<RunPlaybookOptions> = {}) {
    const events: RunEvent[] = [];
    const result = await runPlaybook({ playbook: join(dir, playbook), inventory: target.inventory(), onEvent: (e) => events.push(e), ...(target.ssh ? { ssh: target.ssh } : {}), ...options });
    const results = events.filter((e): e is HostResultEvent => e.type === 'host_result');
    const of = (task: string, host: string) => results.filter((r) => r.task === task && r.host === host && r.item === undefined);
    const statusOf = (task: string, host: string) => of(task, host).map((r) => r.status);
    const msgOf = (task: string, host: string) => of(task, host)[0]?.result.msg;
    return { result, events, results, statusOf, msgOf };
  }
  let tmp = '';
  beforeEach(() => (tmp = target.scratch()));

  it('runs each task on every host, with variables, register, set_fact and conditions', async () => {
    const { result, statusOf, msgOf } = await run('basics.yml');
    expect(result.exitCode).to.equal(0);
    expect(msgOf('greet', 'web2')).to.equal('hello blue from web2');
    expect(statusOf('echo the color', 'web1')).to.deep.equal(['changed']);
    expect(statusOf('echo the color', 'web2')).to.deep.equal(['ok']);
    expect(statusOf('only on db', 'web1')).to.deep.equal(['skipped']);
    expect(statusOf('only on db', 'db1')).to.deep.equal(['ok']);
    for (const host of ['web1', 'web2', 'web3', 'db1']) expect(statusOf('use the fact and the registered result', host)).to.deep.equal(['ok']);
    expect(result.stats.web1).to.deep.equal({ ok: 5, changed: 1, unreachable: 0, failed: 0, skipped: 1, rescued: 0, ignored: 0 });
    expect(result.stats.db1).to.deep.equal({ ok: 6, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 });
  });

  it("renders set_fact's templated names, as Ansible's set_fact does, and fails one that renders to no name", async () => {
    const { result, statusOf, msgOf } = await run('set-fact-keys.yml');
    expect(result.exitCode).to.equal(0);
    expect(msgOf('read them', 'web1')).to.equal('red 4');
    expect(statusOf('a key that renders to no variable name', 'web1')).to.deep.equal(['failed']);
    expect(msgOf('a key that renders to no variable name', 'web1')).to.match(/invalid variable name 'not valid'/);
  });

  it('takes a failed host out of the play while the others go on; exit code 2', async () => {
    const { result, statusOf } = await run('failures.yml');
    expect(result.exitCode).to.equal(2);
    expect(statusOf('still running', 'web2')).to.deep.equal([]);
    expect(statusOf('still running', 'web1')).to.deep.equal(['ok']);
    expect(statusOf('failed_when on output', 'web3')).to.deep.equal(['failed']);
    expect(result.stats.web2).to.include({ failed: 1, ok: 0 });
    expect(result.stats.web1).to.include({ ok: 3, ignored: 1, failed: 0, changed: 2, skipped: 1 });
    expect(result.stats.web3).to.include({ failed: 1, ignored: 1 });
  });

  it('runs handlers once, in written order, only where notified, at flush points', async () => {
    const { result, events } = await run('handlers.yml', { extraVars: { log_dir: tmp } });
    expect(result.exitCode).to.equal(0);
    // pre_tasks flush: second; the explicit flush: first, third (by listen); the end: third again (notified again)
    expect(await target.readLines('web1', join(tmp, 'web1.log'))).to.deep.equal(['second', 'first', 'third', 'task-after-flush', 'third']);
    expect(await target.readLines('web3', join(tmp, 'web3.log'))).to.deep.equal(['second', 'first', 'task-after-flush', 'third']);
    const handlerStarts = events.filter((e) => e.type === 'task_start' && e.handler).map((e) => (e as { task: string }).task);
    expect(handlerStarts).to.deep.equal(['second handler', 'first handler', 'third handler', 'third handler']);
  });

  it('rescues and always-runs blocks, with ansible_failed_task and ansible_failed_result', async () => {
    const { result, msgOf, statusOf } = await run('blocks.yml');
    expect(msgOf('report', 'web1')).to.equal('web1 reached=False rescued=breaks on web1 rc=1 always=True');
    expect(msgOf('report', 'web2')).to.equal('web2 reached=True rescued= rc= always=True');
    expect(result.stats.web1).to.include({ rescued: 1, failed: 0 });
    expect(statusOf('debug', 'web3')).to.deep.equal(['ok']);
    expect(statusOf('web3 is gone now', 'web3')).to.deep.equal([]);
    expect(result.stats.web3).to.include({ failed: 1, rescued: 1 });
    expect(result.exitCode).to.equal(2);
  });

  it('runs serial batches and stops a play when max_fail_percentage is exceeded, not when it is reached', async () => {
    const batches = (events: RunEvent[]) => events.filter((e) => e.type === 'play_start').map((e) => (e as { batches: string[][] }).batches)[0];
    const reached = await run('serial.yml', { extraVars: { batch_size: 2, max_pct: 50, fail_hosts: ['web1'] } });
    expect(batches(reached.events)).to.deep.equal([['web1', 'web2'], ['web3', 'db1']]);
    expect(reached.statusOf('second', 'web2')).to.deep.equal(['ok']);
    expect(reached.statusOf('first', 'web3')).to.deep.equal(['ok']);
    const exceeded = await run('serial.yml', { extraVars: { batch_size: 2, max_pct: 49, fail_hosts: ['web1'] } });
    expect(exceeded.statusOf('second', 'web2')).to.deep.equal([]);
    expect(exceeded.statusOf('first', 'web3')).to.deep.equal([]);
    expect(exceeded.result.exitCode).to.equal(2);
  });

  it('stops the play after a whole batch failed', async () => {
    const { statusOf } = await run('serial.yml', { extraVars: { batch_size: 1, fail_hosts: ['web1'] } });
    expect(statusOf('first', 'web2')).to.deep.equal([]);
  });

  it('loops with when per item, with_items, with_dict, loop_control and until/retries', async () => {
    const counter = join(tmp, 'counter');
    const { result, statusOf } = await run('loops.yml', { extraVars: { counter } });
    expect(statusOf('check the loop results', 'web1')).to.deep.equal(['ok']);
    expect(result.exitCode).to.equal(0);
  });

  it('shares a run_once result and runs delegate_to on localhost with the host\'s variables', async () => {
    const { result, results } = await run('delegation.yml');
    expect(result.exitCode).to.equal(0);
    expect(results.filter((r) => r.task === 'on localhost with my variables').every((r) => r.delegatedTo === 'localhost')).to.equal(true);
  });

  it('selects tasks by --tags and --skip-tags, with always and never', async () => {
    const names = async (options: Partial<RunPlaybookOptions>) => (await run('tags.yml', options)).results.map((r) => r.task);
    expect(await names({})).to.deep.equal(['tagged install', 'tagged config', 'always', 'untagged']);
    expect(await names({ tags: ['config'] })).to.deep.equal(['tagged config', 'always']);
    expect(await names({ tags: ['debugging'] })).to.deep.equal(['always', 'never unless asked']);
    expect(await names({ skipTags: ['install', 'always'] })).to.deep.equal(['tagged config', 'untagged']);
    expect(await names({ startAtTask: 'always' })).to.deep.equal(['always', 'untagged']);
  });

  it('includes task files and roles per host when the task is reached', async () => {
    const { result, events } = await run('include.yml');
    expect(result.exitCode).to.equal(0);
    const ran = events.filter((e): e is HostResultEvent => e.type === 'host_result' && e.status === 'ok').map((e) => `${e.task}@${e.host}`);
    expect(ran).to.include.members(['odd task@web1', 'even task@web2', 'odd task@web3', 'greeter : greet with the role\'s variables@web2']);
  });

  it('honours meta: end_host, clear_host_errors and end_play', async () => {
    const { statusOf, result } = await run('meta.yml');
    expect(statusOf('everyone left', 'db1')).to.deep.equal([]);
    expect(statusOf('everyone left', 'web3')).to.deep.equal(['ok']);
    expect(statusOf('never reached', 'web1')).to.deep.equal([]);
    expect(result.exitCode).to.equal(2);
  });

  it('never shows a no_log value in events or output', async () => {
    const lines: string[] = [];
    const render = lineRenderer({ write: (t) => lines.push(t), color: false, verbosity: 3, diff: false });
    const events: RunEvent[] = [];
    await runPlaybook({ playbook: join(dir, 'nolog.yml'), inventory: target.inventory(), onEvent: (e) => (events.push(e), render(e)), ...(target.ssh ? { ssh: target.ssh } : {}) });
    expect(JSON.stringify(events)).not.to.contain('s3cr3t');
    expect(lines.join('')).not.to.contain('s3cr3t');
    expect(lines.join('')).to.contain("'no_log: true' was specified");
  });

  it('changes nothing in check mode unless a task says check_mode: false', async () => {
    const marker = join(tmp, 'marker');
    const { result, statusOf } = await run('check.yml', { check: true, extraVars: { marker } });
    expect(await target.readLines('web1', marker)).to.deep.equal([]);
    expect(statusOf('would run', 'web1')).to.deep.equal(['skipped']);
    expect(result.exitCode).to.equal(0);
  });

  it('gathers facts in one command', async () => {
    const { result, statusOf } = await run('facts.yml');
    expect(statusOf('facts are there', 'web1')).to.deep.equal(['ok']);
    expect(result.roundTrips.web1).to.equal(1);
  });

}

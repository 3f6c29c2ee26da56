import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlaybook, type HostResultEvent, type RunEvent } from '../../lib/engine/index.js';
import { executorSuite, fixtures } from './executor-suite.js';

describe('the executor on local hosts', function () {
  this.timeout(30_000);
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  executorSuite({
    inventory: () => [join(fixtures, 'inventory.yml')],
    readLines: async (_host, path) => (existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n') : []),
    scratch: () => {
      const dir = mkdtempSync(join(tmpdir(), 'typebook-engine-'));
      dirs.push(dir);
      return dir;
    },
  });

  it('marks a host whose connection is refused unreachable at its first task that reaches it and goes on with the others; exit code 4', async () => {
    const events: RunEvent[] = [];
    const result = await runPlaybook({ playbook: join(fixtures, 'unreachable.yml'), inventory: [join(fixtures, 'unreachable-inventory.yml')], ssh: { hostKeyChecking: false, agentSocket: '', sshConfigFile: '' }, onEvent: (e) => events.push(e) });
    const statusOf = (task: string, host: string) => events.filter((e): e is HostResultEvent => e.type === 'host_result' && e.task === task && e.host === host).map((e) => e.status);
    // debug runs on the controller, as in Ansible: the host is not reached before ping
    expect(statusOf('on the controller', 'gone')).to.deep.equal(['ok']);
    expect(statusOf('ping', 'gone')).to.deep.equal(['unreachable']);
    expect(statusOf('after', 'ok1')).to.deep.equal(['ok']);
    expect(result.stats.gone).to.include({ unreachable: 1 });
    expect(result.exitCode).to.equal(4);
  });
});

describe('the executor: play rules', function () {
  this.timeout(30_000);
  const inventory = [join(fixtures, 'inventory.yml')];
  async function run(playbook: string, extraVars: Record<string, unknown> = {}) {
    const events: RunEvent[] = [];
    const result = await runPlaybook({ playbook: join(fixtures, playbook), inventory, extraVars, onEvent: (e) => events.push(e) });
    const statusOf = (task: string, host: string) => events.filter((e): e is HostResultEvent => e.type === 'host_result' && e.task === task && e.host === host && e.item === undefined).map((e) => e.status);
    return { result, statusOf, events };
  }

  it('any_errors_fatal ends the play for every host; failed hosts stay out of later plays', async () => {
    const { result, statusOf } = await run('fatal.yml');
    for (const host of ['web1', 'web3', 'db1']) expect(statusOf('nobody goes on', host)).to.deep.equal([]);
    expect(statusOf('only hosts that did not fail', 'web2')).to.deep.equal([]);
    expect(result.exitCode).to.equal(2);
  });

  it('a failure a rescue forgives is fatal to no one (any_errors_fatal, max_fail_percentage), as in Ansible', async () => {
    const { result, statusOf } = await run('fatal-rescued.yml');
    expect(statusOf('and is rescued', 'web2')).to.deep.equal(['ok']);
    for (const host of ['web1', 'web2', 'web3', 'db1']) expect(statusOf('everybody goes on', host)).to.deep.equal(['ok']);
    expect(result.stats.web2).to.include({ failed: 0, rescued: 1 });
    expect(result.exitCode).to.equal(0);
  });

  it('max_fail stops the play once more hosts than it allows have failed', async () => {
    const stopped = await run('maxfail.yml', { limit: 1 });
    expect(stopped.statusOf('fail web1 and web2', 'web2')).to.deep.equal(['failed']);
    expect(stopped.statusOf('after', 'web3')).to.deep.equal([]);
    expect(stopped.statusOf('fail web1 and web2', 'db1')).to.deep.equal([]);
    const allowed = await run('maxfail.yml', { limit: 2 });
    expect(allowed.statusOf('after', 'web3')).to.deep.equal(['ok']);
    expect(allowed.statusOf('after', 'db1')).to.deep.equal(['ok']);
  });

  it('runs notified handlers on failed hosts only with force_handlers', async () => {
    expect((await run('force.yml')).statusOf('the handler', 'web1')).to.deep.equal([]);
    expect((await run('force.yml')).statusOf('the handler', 'web2')).to.deep.equal(['ok']);
    expect((await run('force.yml', { force: true })).statusOf('the handler', 'web1')).to.deep.equal(['ok']);
  });

  it('checks a templated value against its type after rendering', async () => {
    const bad = await run('typed.yml', { wait: 'soon' });
    const failure = bad.events.find((e): e is HostResultEvent => e.type === 'host_result' && e.task === 'a number from a template')!;
    expect(failure.status).to.equal('failed');
    expect(failure.message).to.match(/typed\.yml:\d+:\d+ error: after templating: 'seconds' is 'soon'; expected a number/);
    const good = await run('typed.yml', { wait: 0 });
    expect(good.statusOf('a number from a template', 'web1')).to.deep.equal(['ok']);
  });

  it('runs a role\'s dependencies first and gives its tasks the argument_specs-coerced values', async () => {
    const { statusOf, result, events } = await run('typed.yml', { wait: 0 });
    expect(statusOf("typed : Validating arguments against arg spec 'main'", 'web1')).to.deep.equal(['ok']);
    expect(statusOf('base : base runs first', 'web1')).to.deep.equal(['ok']);
    expect(statusOf('typed : the values are typed', 'web1')).to.deep.equal(['ok']);
    // the same through import_role: the dependency, then the role's validation, then its tasks
    const web2 = events.filter((e): e is HostResultEvent => e.type === 'host_result' && e.host === 'web2').map((e) => e.task);
    expect(web2).to.deep.equal(['base : base runs first', "typed : Validating arguments against arg spec 'main'", 'typed : the values are typed']);
    expect(result.exitCode).to.equal(0);
  });
});

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

  it('marks a host whose connection is refused unreachable and goes on with the others; exit code 4', async () => {
    const events: RunEvent[] = [];
    const result = await runPlaybook({ playbook: join(fixtures, 'unreachable.yml'), inventory: [join(fixtures, 'unreachable-inventory.yml')], ssh: { hostKeyChecking: false, agentSocket: '', sshConfigFile: '' }, onEvent: (e) => events.push(e) });
    const statusOf = (task: string, host: string) => events.filter((e): e is HostResultEvent => e.type === 'host_result' && e.task === task && e.host === host).map((e) => e.status);
    expect(statusOf('ping', 'gone')).to.deep.equal(['unreachable']);
    expect(statusOf('after', 'ok1')).to.deep.equal(['ok']);
    expect(result.stats.gone).to.include({ unreachable: 1 });
    expect(result.exitCode).to.equal(4);
  });
});

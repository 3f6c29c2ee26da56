/**
 * typebook and Ansible agree on what a configured host looks like: a playbook of the system modules, run
 * first with typebook then with ansible-playbook on the same lab host, leaves Ansible reporting no change;
 * and run first with ansible-playbook, leaves typebook reporting no change.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlaybook } from '../../lib/engine/index.js';
import { useLab } from '../lab/fixture.js';

const playbook = 'bench/playbook/site.yml';

describe('typebook and ansible-playbook on the same hosts', function () {
  this.timeout(300_000);
  const fixture = useLab({ hosts: 2, name: 'spec-e2e-compat', packages: ['socat', 'hello'] });
  let config = '';
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'typebook-compat-'));
    config = join(dir, 'ansible.cfg');
    writeFileSync(config, '[defaults]\nhost_key_checking = True\n[ssh_connection]\npipelining = True\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** ansible-playbook's PLAY RECAP line for a host, as counts */
  function ansiblePlaybook(limit: string): Record<string, number> {
    const run = spawnSync('ansible-playbook', ['-i', fixture.lab.inventoryPath, '--limit', limit, playbook], {
      encoding: 'utf8',
      env: { ...process.env, ANSIBLE_CONFIG: config, ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0' },
      timeout: 240_000,
    });
    expect(run.status, run.stdout + run.stderr).to.equal(0);
    const line = new RegExp(`^${limit}\\s+:\\s+(.*)$`, 'm').exec(run.stdout)?.[1];
    expect(line, run.stdout).to.be.a('string');
    return Object.fromEntries([...line!.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
  }

  async function typebook(limit: string) {
    const result = await runPlaybook({ playbook, inventory: [fixture.lab.inventoryPath], limit });
    expect(result.exitCode).to.equal(0);
    return result.stats[limit]!;
  }

  it('typebook first: Ansible then reports no change', async () => {
    const first = await typebook('node1');
    expect(first.changed).to.be.greaterThan(0);
    expect((await typebook('node1')).changed).to.equal(0);
    const ansible = ansiblePlaybook('node1');
    expect(ansible.failed).to.equal(0);
    expect(ansible.changed, 'ansible-playbook changed something typebook had set').to.equal(0);
  });

  it('ansible-playbook first: typebook then reports no change', async () => {
    const ansible = ansiblePlaybook('node2');
    expect(ansible.changed).to.be.greaterThan(0);
    const after = await typebook('node2');
    expect(after.failed).to.equal(0);
    expect(after.changed, 'typebook changed something ansible-playbook had set').to.equal(0);
  });
});

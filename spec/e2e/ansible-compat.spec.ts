/**
 * typebook and Ansible agree on what a configured host looks like: a playbook of the system modules, run
 * first with typebook then with ansible-playbook on the same lab host, leaves Ansible reporting no change;
 * and run first with ansible-playbook, leaves typebook reporting no change.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlaybook } from '../../lib/engine/index.js';
import { useLab } from '../lab/fixture.js';
import { ansiblePlaybookRecap } from './ansible-playbook.js';

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

  const ansiblePlaybook = (limit: string) => ansiblePlaybookRecap(fixture.lab, playbook, limit, config);

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

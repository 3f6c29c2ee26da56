/**
 * Real Ansible roles run unchanged: geerlingguy's ntp and security (../shared/ansible-roles, not copied here)
 * validate, converge on a lab host and then change nothing; ansible-playbook run afterwards changes nothing
 * either, and the other way round.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runPlaybook, validateRun } from '../../lib/engine/index.js';
import { labSsh, useLab } from '../lab/fixture.js';
import { ansiblePlaybookRecap } from './ansible-playbook.js';

const playbook = 'spec/fixtures/ansible-roles/site.yml';
const rolesDir = resolve(process.env.TYPEBOOK_ANSIBLE_ROLES ?? '../shared/ansible-roles');

describe('public Ansible roles (geerlingguy.ntp, geerlingguy.security) on lab hosts', function () {
  this.timeout(600_000);
  before(function () {
    // skipped: the roles are handed beside the checkout (../shared/ansible-roles, or TYPEBOOK_ANSIBLE_ROLES), not part of it
    if (!existsSync(join(rolesDir, 'ntp')) || !existsSync(join(rolesDir, 'security'))) this.skip();
  });
  const fixture = useLab({ hosts: 2, name: 'spec-e2e-roles', packages: ['ntpsec', 'fail2ban', 'unattended-upgrades'] });
  let dir = '';
  let config = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'typebook-roles-'));
    config = join(dir, 'ansible.cfg');
    writeFileSync(config, `[defaults]\nhost_key_checking = True\nroles_path = ${rolesDir}\n[ssh_connection]\npipelining = True\n`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const ansiblePlaybook = (limit: string) => ansiblePlaybookRecap(fixture.lab, playbook, limit, config);

  async function typebook(limit: string) {
    const result = await runPlaybook({ playbook, inventory: [fixture.lab.inventoryPath], rolesPath: [rolesDir], limit });
    expect(result.exitCode, JSON.stringify(result.stats)).to.equal(0);
    return result.stats[limit]!;
  }

  it('validate accepts both roles, with nothing to warn of', async () => {
    const { problems } = await validateRun({ playbook, inventory: [fixture.lab.inventoryPath], rolesPath: [rolesDir] });
    expect(problems).to.deep.equal([]);
  });

  it('typebook first converges, then changes nothing; Ansible then reports no change', async () => {
    const first = await typebook('node1');
    expect(first.changed).to.be.greaterThan(0);
    expect(first.failed).to.equal(0);
    const services = await labSsh(fixture.lab, 'node1', 'service ntpsec status && service fail2ban status && sshd -T | grep -x "x11forwarding no"');
    expect(services.code, services.stdout + services.stderr).to.equal(0);
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

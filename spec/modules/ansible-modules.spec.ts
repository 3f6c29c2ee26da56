/** The list of Ansible's modules kept as data (lib/modules/ansible-modules.ts) against Debian's ansible, and what validation says with it. */
import { expect } from 'chai';
import { existsSync, readdirSync } from 'node:fs';
import { ansibleModule, ansibleModules, unsupportedModuleMessage } from '../../lib/modules/ansible-modules.js';
import { findModule } from '../../lib/modules/index.js';

const DIST = '/usr/lib/python3/dist-packages';

describe("Ansible's module names", () => {
  it("are Debian's ansible modules, collection by collection", () => {
    for (const [collection, names] of Object.entries(ansibleModules)) {
      const dir = collection === 'ansible.builtin' ? `${DIST}/ansible/modules` : `${DIST}/ansible_collections/${collection.replace('.', '/')}/plugins/modules`;
      expect(existsSync(dir), dir).to.equal(true);
      const theirs = readdirSync(dir).filter((f) => f.endsWith('.py') && !f.startsWith('_')).map((f) => f.slice(0, -3)).sort();
      expect(names.split(' '), collection).to.deep.equal(theirs);
    }
  });

  it('name a module typebook lacks as such, short or fully qualified, and nothing for a name Ansible lacks', () => {
    expect(ansibleModule('cron')).to.equal('ansible.builtin.cron');
    expect(ansibleModule('ansible.legacy.cron')).to.equal('ansible.builtin.cron');
    expect(ansibleModule('docker_container')).to.equal('community.docker.docker_container');
    expect(unsupportedModuleMessage('cron')).to.equal("'cron' is an Ansible module (ansible.builtin.cron) that typebook does not support yet");
    expect(unsupportedModuleMessage('community.general.ufw')).to.equal("'community.general.ufw' is an Ansible module that typebook does not support yet");
    expect(unsupportedModuleMessage('debgu')).to.equal(undefined);
    // every module typebook has is one of Ansible's, but typebook's own
    expect(['copy', 'sysctl', 'ini_file', 'haproxy', 'apt', 'stat', 'slurp', 'systemd', 'systemd_service', 'service_facts', 'timezone', 'community.general.timezone', 'apt_repository', 'package_facts', 'assemble', 'ansible.builtin.assemble', 'mount', 'ansible.posix.mount', 'user', 'ansible.builtin.user', 'group', 'ansible.builtin.group', 'get_url', 'unarchive'].every((m) => findModule(m) && ansibleModule(m))).to.equal(true);
  });
});

/**
 * A task naming an Ansible module typebook lacks: an error before connecting, unless a `when` guards it. Then
 * validation warns, and the run does what Ansible does where the condition is false (skips it) and fails the
 * task, saying why, where it holds. The false case is checked against Debian's ansible-playbook.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateRun } from '../../lib/engine/index.js';
import { ProblemError, formatProblem } from '../../lib/source/index.js';
import { ansibleOutcomes, typebookOutcomes } from './oracle.js';

describe('Ansible modules typebook lacks', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'typebook-unsupported-'));
    writeFileSync(join(dir, 'inventory.yml'), 'all:\n  hosts:\n    local: {ansible_connection: local, os_family: Debian}\n');
    writeFileSync(
      join(dir, 'site.yml'),
      `- name: other systems
  hosts: all
  gather_facts: false
  tasks:
    - name: arch only
      community.general.pacman: {name: vim}
      when: os_family == 'Archlinux'
    - name: after
      debug: msg=after
`,
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('under a false when: skipped, as ansible-playbook skips it, with one warning at validation', async () => {
    const ansible = ansibleOutcomes(['-i', join(dir, 'inventory.yml'), join(dir, 'site.yml')]);
    expect(ansible).to.deep.equal({ 'other systems/arch only/local': 'skipped', 'other systems/after/local': 'ok after' });
    expect(typebookOutcomes([join(dir, 'site.yml'), '-i', join(dir, 'inventory.yml')])).to.deep.equal(ansible);
    const validated = await validateRun({ playbook: join(dir, 'site.yml'), inventory: [join(dir, 'inventory.yml')] });
    expect(validated.problems.map(formatProblem)).to.deep.equal([
      `${join(dir, 'site.yml')}:6:7 warning: 'community.general.pacman' is an Ansible module that typebook does not support yet: the task fails where its condition holds`,
    ]);
  });

  it('under a true when: the task fails saying why; without a when: refused before connecting', async () => {
    const ours = typebookOutcomes([join(dir, 'site.yml'), '-i', join(dir, 'inventory.yml'), '-e', 'os_family=Archlinux']);
    expect(ours).to.deep.equal({ 'other systems/arch only/local': 'failed' });
    writeFileSync(join(dir, 'bare.yml'), '- hosts: all\n  gather_facts: false\n  tasks:\n    - cron: {name: x, job: /bin/true}\n');
    const error = await validateRun({ playbook: join(dir, 'bare.yml'), inventory: [join(dir, 'inventory.yml')] }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ProblemError);
    expect((error as ProblemError).problems.map(formatProblem)).to.deep.equal([`${join(dir, 'bare.yml')}:4:7 error: 'cron' is an Ansible module (ansible.builtin.cron) that typebook does not support yet`]);
  });

  it("under a block's or an include's when: the same, as Ansible skips them", async () => {
    writeFileSync(join(dir, 'arch.yml'), '- name: arch package\n  community.general.pacman: {name: vim}\n');
    writeFileSync(
      join(dir, 'nested.yml'),
      `- name: nested
  hosts: all
  gather_facts: false
  tasks:
    - name: arch block
      when: os_family == 'Archlinux'
      block:
        - name: in the block
          community.general.pacman: {name: vim}
    - name: arch tasks
      import_tasks: arch.yml
      when: os_family == 'Archlinux'
    - name: after
      debug: msg=after
`,
    );
    const ansible = ansibleOutcomes(['-i', join(dir, 'inventory.yml'), join(dir, 'nested.yml')]);
    expect(ansible).to.deep.equal({ 'nested/in the block/local': 'skipped', 'nested/arch package/local': 'skipped', 'nested/after/local': 'ok after' });
    expect(typebookOutcomes([join(dir, 'nested.yml'), '-i', join(dir, 'inventory.yml')])).to.deep.equal(ansible);
    const validated = await validateRun({ playbook: join(dir, 'nested.yml'), inventory: [join(dir, 'inventory.yml')] });
    expect(validated.problems.map((p) => `${p.file.slice(dir.length + 1)}:${p.line} ${p.severity}`)).to.deep.equal(['arch.yml:2 warning', 'nested.yml:9 warning']);
  });
});

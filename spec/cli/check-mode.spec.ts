/**
 * Check mode as ansible-playbook 2.14 runs it: a command or shell task is skipped but registers rc 0 and empty
 * output, so the tasks that read them go on. The same playbook run by Debian's ansible-playbook --check and by
 * the built typebook command, on this machine only (connection local).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ansibleOutcomes, typebookOutcomes } from './oracle.js';

const PLAYBOOK = `- name: check
  hosts: all
  gather_facts: false
  tasks:
    - name: run
      command: echo hi
      register: k
    - name: shell too
      shell: echo hi | tr a-z A-Z
      register: s
    - name: read them
      debug:
        msg: "{{ k.rc }} [{{ k.stdout }}] {{ k.stdout_lines | length }} {{ s.rc }} [{{ s.stderr }}] {{ k.skipped }}"
    - name: read an output that is empty
      debug:
        var: k.stdout
`;

describe('check mode, against ansible-playbook --check', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'typebook-check-'));
    writeFileSync(join(dir, 'inventory.yml'), 'all:\n  hosts:\n    local: {ansible_connection: local}\n');
    writeFileSync(join(dir, 'site.yml'), PLAYBOOK);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('registers what a skipped command would have, and the tasks after it go on', () => {
    const ansible = ansibleOutcomes(['-i', join(dir, 'inventory.yml'), join(dir, 'site.yml'), '--check']);
    expect(ansible).to.include({ 'check/run/local': 'skipped', 'check/shell too/local': 'skipped', 'check/read them/local': 'ok 0 [] 0 0 [] True' });
    const ours = typebookOutcomes([join(dir, 'site.yml'), '-i', join(dir, 'inventory.yml'), '--check']);
    expect(ours).to.deep.equal(ansible);
  });
});

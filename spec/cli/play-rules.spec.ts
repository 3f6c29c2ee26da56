/**
 * How a failure ends a playbook, as ansible-playbook 2.14 decides it (its break_play): every host of a serial
 * batch failed, or any_errors_fatal stopped the play. The same playbooks run by Debian's ansible-playbook and by
 * the built typebook command, on this machine only (connection local), must give the same outcomes.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ansibleOutcomes, typebookOutcomes } from './oracle.js';

const INVENTORY = 'all:\n  hosts:\n    a: {ansible_connection: local}\n    b: {ansible_connection: local}\n    c: {ansible_connection: local}\n';

describe('failures that end the playbook, against ansible-playbook', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'typebook-play-rules-'));
    writeFileSync(join(dir, 'inventory.yml'), INVENTORY);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const both = (name: string, playbook: string): { ansible: Record<string, string>; typebook: Record<string, string> } => {
    writeFileSync(join(dir, name), playbook);
    return {
      ansible: ansibleOutcomes(['-i', join(dir, 'inventory.yml'), join(dir, name)]),
      typebook: typebookOutcomes([join(dir, name), '-i', join(dir, 'inventory.yml')]),
    };
  };

  it('a serial batch whose every host fails ends the play and every later play', () => {
    const { ansible, typebook } = both(
      'batch.yml',
      `- name: rolling
  hosts: all
  gather_facts: false
  serial: 1
  tasks:
    - name: step
      command: "{{ 'false' if inventory_hostname == 'a' else 'true' }}"
- name: after
  hosts: all
  gather_facts: false
  tasks:
    - name: later
      debug: msg=later
`,
    );
    expect(ansible).to.deep.equal({ 'rolling/step/a': 'failed' });
    expect(typebook).to.deep.equal(ansible);
  });

  it('a batch where some hosts fail goes on, and so does the playbook with the others', () => {
    const { ansible, typebook } = both(
      'some.yml',
      `- name: partly
  hosts: all
  gather_facts: false
  tasks:
    - name: step
      command: "{{ 'false' if inventory_hostname == 'a' else 'true' }}"
- name: after
  hosts: all
  gather_facts: false
  tasks:
    - name: later
      debug: msg=later
`,
    );
    expect(ansible).to.deep.equal({ 'partly/step/a': 'failed', 'partly/step/b': 'ok ', 'partly/step/c': 'ok ', 'after/later/b': 'ok later', 'after/later/c': 'ok later' });
    expect(typebook).to.deep.equal(ansible);
  });

  it('any_errors_fatal ends the playbook too', () => {
    const { ansible, typebook } = both(
      'fatal.yml',
      `- name: fatal
  hosts: all
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - name: step
      command: "{{ 'false' if inventory_hostname == 'b' else 'true' }}"
    - name: next
      debug: msg=next
- name: after
  hosts: all
  gather_facts: false
  tasks:
    - name: later
      debug: msg=later
`,
    );
    expect(Object.keys(ansible).filter((k) => k.startsWith('after/'))).to.deep.equal([]);
    expect(typebook).to.deep.equal(ansible);
  });
});

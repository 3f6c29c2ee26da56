/**
 * ansible-playbook's connection flags (-c, -b, --become-user, -u) and where they stand: under every playbook
 * keyword and host variable. The same playbook and flags run by Debian's ansible-playbook and by the built
 * typebook command; each host's outcome and answer must be the same. Nothing leaves this machine: the hosts
 * are this machine (connection local) or a refused loopback port.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ansibleEnv } from '../modules/ansible.js';
import { ansibleOutcomes, cli, typebookOutcomes, type Outcomes } from './oracle.js';

const INVENTORY = `all:
  hosts:
    plain: {ansible_host: 127.0.0.1, ansible_port: 9}
    sshvar: {ansible_host: 127.0.0.1, ansible_port: 9, ansible_connection: ssh}
    nobecome: {ansible_host: 127.0.0.1, ansible_port: 9, ansible_become: false}
`;

const PLAYBOOK = `- name: flags only
  hosts: all
  gather_facts: false
  tasks:
    - name: who
      command: whoami
- name: become keyword
  hosts: plain
  gather_facts: false
  become: false
  tasks:
    - name: who
      command: whoami
- name: keyword under a variable
  hosts: nobecome
  gather_facts: false
  become: true
  become_user: nobody
  tasks:
    - name: who
      command: whoami
- name: connection keyword
  hosts: plain
  gather_facts: false
  connection: ssh
  tasks:
    - name: who
      command: whoami
`;

describe('connection flags as ansible-playbook means them', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'typebook-flags-'));
    writeFileSync(join(dir, 'inventory.yml'), INVENTORY);
    writeFileSync(join(dir, 'site.yml'), PLAYBOOK);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const flags = ['-c', 'local', '-b', '--become-user', 'nobody', '-u', 'someone'];

  const ansible = (): Outcomes => ansibleOutcomes(['-i', join(dir, 'inventory.yml'), join(dir, 'site.yml'), ...flags], { ANSIBLE_PIPELINING: 'True', ANSIBLE_HOST_KEY_CHECKING: 'False' });
  const typebook = (): Outcomes => typebookOutcomes([join(dir, 'site.yml'), '-i', join(dir, 'inventory.yml'), ...flags, '--no-host-key-checking']);

  it('-c local -b --become-user nobody -u someone: each host as Ansible runs it', () => {
    const theirs = ansible();
    // the flags apply where nothing else is said; a host variable or a play keyword wins over them
    expect(theirs).to.deep.equal({
      'flags only/who/plain': 'ok nobody',
      'flags only/who/sshvar': 'unreachable',
      'flags only/who/nobecome': 'ok root',
      'become keyword/who/plain': 'ok root',
      'keyword under a variable/who/nobecome': 'ok root',
      'connection keyword/who/plain': 'unreachable',
    });
    expect(typebook()).to.deep.equal(theirs);
  });

  it('--start-at-task still gathers facts first, as Ansible does', () => {
    writeFileSync(join(dir, 'start.yml'), '- hosts: local\n  tasks:\n    - name: first\n      command: "false"\n    - name: second\n      debug:\n        msg: "{{ ansible_hostname is defined }}"\n');
    writeFileSync(join(dir, 'local.yml'), 'all:\n  hosts:\n    local: {ansible_connection: local}\n');
    const args = [join(dir, 'start.yml'), '-i', join(dir, 'local.yml'), '--start-at-task', 'second'];
    const ansible = spawnSync('ansible-playbook', args, { encoding: 'utf8', timeout: 100_000, env: { ...ansibleEnv(), ANSIBLE_STDOUT_CALLBACK: 'json' } });
    type Report = { plays: { tasks: { task: { name: string }; hosts: Record<string, { msg?: unknown }> }[] }[] };
    const tasks = (JSON.parse(ansible.stdout) as Report).plays[0]!.tasks;
    expect(tasks.map((t) => t.task.name)).to.deep.equal(['Gathering Facts', 'second']);
    expect(tasks[1]!.hosts.local!.msg).to.equal(true);
    const ours = spawnSync(process.execPath, [cli, 'run', ...args], { encoding: 'utf8', timeout: 100_000 });
    expect(ours.status, ours.stdout + ours.stderr).to.equal(0);
    expect(ours.stdout).to.match(/TASK \[Gathering Facts\][\s\S]*TASK \[second\][\s\S]*"msg": ?true/);
    expect(ours.stdout).to.not.contain('TASK [first]');
  });

  it('refuses a become method or a connection it does not have, before running', () => {
    const bad = spawnSync(process.execPath, [cli, 'run', join(dir, 'site.yml'), '-i', join(dir, 'inventory.yml'), '--become-method', 'doas', '-c', 'winrm'], { encoding: 'utf8' });
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.contain('--become-method doas is not supported');
    expect(bad.stdout).to.not.contain('PLAY');
  });
});

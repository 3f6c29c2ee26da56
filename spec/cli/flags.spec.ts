/**
 * ansible-playbook's connection flags (-c, -b, --become-user, -u) and where they stand: under every playbook
 * keyword and host variable. The same playbook and flags run by Debian's ansible-playbook and by the built
 * typebook command; each host's outcome and answer must be the same. Nothing leaves this machine: the hosts
 * are this machine (connection local) or a refused loopback port.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ansibleEnv } from '../modules/ansible.js';

const cli = new URL('../../dist/cli/typebook.js', import.meta.url).pathname;

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

type Outcomes = Record<string, string>;

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

  function ansible(): Outcomes {
    const run = spawnSync('ansible-playbook', ['-i', join(dir, 'inventory.yml'), join(dir, 'site.yml'), ...flags], {
      encoding: 'utf8',
      timeout: 100_000,
      env: { ...ansibleEnv(), ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_PIPELINING: 'True', ANSIBLE_HOST_KEY_CHECKING: 'False' },
    });
    type Report = { plays: { play: { name: string }; tasks: { hosts: Record<string, { unreachable?: boolean; failed?: boolean; stdout?: string }> }[] }[] };
    const report = JSON.parse(run.stdout) as Report;
    const out: Outcomes = {};
    for (const p of report.plays) {
      for (const [host, r] of Object.entries(p.tasks[0]?.hosts ?? {})) out[`${p.play.name}/${host}`] = r.unreachable ? 'unreachable' : r.failed ? 'failed' : `ok ${r.stdout}`;
    }
    return out;
  }

  function typebook(): Outcomes {
    const events = join(dir, 'events.jsonl');
    spawnSync(process.execPath, [cli, 'run', join(dir, 'site.yml'), '-i', join(dir, 'inventory.yml'), ...flags, '--no-host-key-checking', '--json', events], { encoding: 'utf8', timeout: 100_000 });
    const out: Outcomes = {};
    let play = '';
    for (const line of readFileSync(events, 'utf8').trim().split('\n')) {
      const e = JSON.parse(line) as { type: string; play?: string; host?: string; status?: string; result?: { stdout?: string } };
      if (e.type === 'play_start') play = e.play!;
      if (e.type === 'host_result') out[`${play}/${e.host}`] = e.status === 'unreachable' ? 'unreachable' : e.status === 'failed' ? 'failed' : `ok ${e.result?.stdout}`;
    }
    return out;
  }

  it('-c local -b --become-user nobody -u someone: each host as Ansible runs it', () => {
    const theirs = ansible();
    // the flags apply where nothing else is said; a host variable or a play keyword wins over them
    expect(theirs).to.deep.equal({
      'flags only/plain': 'ok nobody',
      'flags only/sshvar': 'unreachable',
      'flags only/nobecome': 'ok root',
      'become keyword/plain': 'ok root',
      'keyword under a variable/nobecome': 'ok root',
      'connection keyword/plain': 'unreachable',
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

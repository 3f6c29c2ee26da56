/**
 * ansible.cfg read from where Ansible reads it, for the settings typebook has; the others named once. The same
 * directory (ansible.cfg, inventory, playbook) run by Debian's ansible-playbook and by the built typebook
 * command, neither given -i: both take the inventory and become settings from ./ansible.cfg.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findAnsibleConfig, readAnsibleConfig } from '../../lib/cli/ansible-cfg.js';
import { cli } from './oracle.js';

const CONFIG = `[defaults]
inventory = hosts.yml
forks = 3
gathering = explicit   ; typebook gathers as the play says
retry_files_enabled = False

[privilege_escalation]
become = True
become_user = nobody

[connection]
pipelining = True
`;

describe('ansible.cfg', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'typebook-cfg-'));
    writeFileSync(join(dir, 'ansible.cfg'), CONFIG);
    writeFileSync(join(dir, 'hosts.yml'), 'all:\n  hosts:\n    local: {ansible_connection: local}\n');
    writeFileSync(join(dir, 'site.yml'), '- hosts: all\n  gather_facts: false\n  tasks:\n    - name: who\n      command: whoami\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is found where Ansible looks, first match only', () => {
    expect(findAnsibleConfig({ HOME: '/nonexistent' }, dir)).to.equal(join(dir, 'ansible.cfg'));
    expect(findAnsibleConfig({ HOME: '/nonexistent', ANSIBLE_CONFIG: dir }, '/')).to.equal(join(dir, 'ansible.cfg'));
    expect(findAnsibleConfig({ HOME: dir }, '/')).to.equal(undefined);
    const cfg = readAnsibleConfig(join(dir, 'ansible.cfg'));
    expect(cfg).to.include({ forks: 3, become: true, becomeUser: 'nobody' });
    expect(cfg.inventory).to.deep.equal([join(dir, 'hosts.yml')]);
    expect(cfg.ignored).to.deep.equal(['[defaults] gathering', '[defaults] retry_files_enabled', '[connection] pipelining']);
  });

  it('gives the run its inventory and become settings, as ansible-playbook takes them, and names what it ignores', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_STDOUT_CALLBACK: 'json' };
    delete env.ANSIBLE_CONFIG;
    const ansible = spawnSync('ansible-playbook', ['site.yml'], { cwd: dir, encoding: 'utf8', env, timeout: 100_000 });
    const theirs = (JSON.parse(ansible.stdout) as { plays: { tasks: { hosts: Record<string, { stdout?: string }> }[] }[] }).plays[0]!.tasks[0]!.hosts;
    expect(theirs.local!.stdout).to.equal('nobody');
    const ours = spawnSync(process.execPath, [cli, 'run', 'site.yml', '--json', 'events.jsonl'], { cwd: dir, encoding: 'utf8', env: { ...process.env, ANSIBLE_CONFIG: '' }, timeout: 100_000 });
    expect(ours.status, ours.stdout + ours.stderr).to.equal(0);
    const result = readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; host?: string; result?: { stdout?: string } }).find((e) => e.type === 'host_result');
    expect(result).to.deep.include({ host: 'local' });
    expect(result!.result!.stdout).to.equal('nobody');
    expect(ours.stderr).to.contain(`[WARNING]: ${join(dir, 'ansible.cfg')}: typebook does not use [defaults] gathering, [defaults] retry_files_enabled, [connection] pipelining`);
  });
});

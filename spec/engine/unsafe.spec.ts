/**
 * Data from hosts is never rendered as a template (Ansible marks it unsafe): a host that prints
 * `{{ db_password }}` gets that text back through register, set_fact, hostvars, loops, debug and copy, as
 * ansible-playbook gives it. And no_log hides a result from the output only: the registered value is real.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlaybook, type HostResultEvent, type RunEvent } from '../../lib/engine/index.js';

const PLAYBOOK = `- hosts: localhost
  gather_facts: false
  vars:
    db_password: hunter2
  tasks:
    - name: the host prints a template
      shell: printf '%s\\n' '{{ "{{" }} db_password }}' 'second {{ "{%" }} if true %}line{{ "{%" }} endif %}'
      register: printed
      changed_when: false
    - name: shown
      debug: {msg: "{{ printed.stdout_lines[0] }}"}
    - set_fact:
        kept: "{{ printed.stdout }}"
    - name: kept
      debug: {msg: "{{ kept }}"}
    - name: through hostvars
      debug: {msg: "{{ hostvars[inventory_hostname].printed.stdout_lines[1] }}"}
    - name: looped
      debug: {msg: "{{ item }}"}
      loop: "{{ printed.stdout_lines }}"
    - name: as a var
      debug: {var: kept}
    - copy: {content: "{{ printed.stdout }}", dest: "{{ dest }}"}
    - name: a secret under no_log
      command: echo s3cret
      register: secret
      no_log: true
      changed_when: false
    - name: registered for real
      debug: {msg: "{{ secret.stdout }}"}
`;

const DEBUG_TASKS = ['shown', 'kept', 'through hostvars', 'looped', 'as a var', 'registered for real'];

/** the messages of the debug tasks, in order, from ansible-playbook's json callback */
function ansibleMessages(playbook: string, inventory: string, dest: string): string[] {
  const run = spawnSync('ansible-playbook', [playbook, '-i', inventory, '-e', `dest=${dest}`], {
    encoding: 'utf8', timeout: 120_000,
    env: { ...process.env, ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: 'false', ANSIBLE_INVENTORY_UNPARSED_WARNING: 'false' },
  });
  expect(run.status, run.stderr + run.stdout).to.equal(0);
  const report = JSON.parse(run.stdout) as { plays: { tasks: { task: { name: string }; hosts: Record<string, Record<string, unknown>> }[] }[] };
  const out: string[] = [];
  for (const task of report.plays[0]!.tasks) {
    if (!DEBUG_TASKS.includes(task.task.name)) continue;
    const result = task.hosts.localhost!;
    const items = (result.results as Record<string, unknown>[] | undefined) ?? [result];
    for (const item of items) {
      if (typeof item.msg === 'string' && !item.msg.startsWith('All items')) out.push(item.msg);
      else if ('kept' in item) out.push(String(item.kept));
    }
  }
  return out;
}

describe('data from hosts', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'typebook-unsafe-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is never rendered: the literal text everywhere, as ansible-playbook gives it; no_log hides output, not the registered value', async () => {
    const playbook = join(dir, 'play.yml');
    const inventory = join(dir, 'inventory.yml');
    writeFileSync(playbook, PLAYBOOK);
    writeFileSync(inventory, 'all:\n  hosts:\n    localhost:\n      ansible_connection: local\n      ansible_python_interpreter: /usr/bin/python3\n');

    const events: RunEvent[] = [];
    const result = await runPlaybook({ playbook, inventory: [inventory], extraVars: { dest: join(dir, 'typebook.out') }, onEvent: (e) => events.push(e) });
    expect(result.exitCode).to.equal(0);
    const results = events.filter((e): e is HostResultEvent => e.type === 'host_result');
    const messages = results.filter((e) => DEBUG_TASKS.includes(e.task) && (e.item !== undefined || e.task !== 'looped'))
      .map((e) => (typeof e.result.msg === 'string' ? e.result.msg : String(e.result.kept)));

    const literal = ['{{ db_password }}', 'second {% if true %}line{% endif %}'];
    expect(messages).to.deep.equal([literal[0], literal.join('\n'), literal[1], ...literal, literal.join('\n'), 's3cret']);
    expect(readFileSync(join(dir, 'typebook.out'), 'utf8')).to.equal(literal.join('\n'));
    expect(JSON.stringify(results.filter((e) => e.task !== 'registered for real'))).to.not.contain('s3cret');
    expect(JSON.stringify(events)).to.not.contain('hunter2');

    expect(messages).to.deep.equal(ansibleMessages(playbook, inventory, join(dir, 'ansible.out')));
    expect(readFileSync(join(dir, 'ansible.out'), 'utf8')).to.equal(literal.join('\n'));
  });
});

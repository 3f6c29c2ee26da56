/**
 * A variable that no source of the run defines is reported by validation at its template's file:line:col,
 * with "did you mean"; every source Ansible has counts as defining it, and a guarded read is not reported.
 * At run time an undefined variable names the template's file:line:col too.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlaybook, validateRun, type HostResultEvent, type RunEvent } from '../../lib/engine/index.js';
import { ProblemError, formatProblem } from '../../lib/source/index.js';

describe('undefined variables', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'typebook-undefined-'));
    mkdirSync(join(dir, 'roles/web/defaults'), { recursive: true });
    mkdirSync(join(dir, 'roles/web/tasks'), { recursive: true });
    mkdirSync(join(dir, 'templates'));
    mkdirSync(join(dir, 'group_vars'));
    writeFileSync(join(dir, 'roles/web/defaults/main.yml'), 'web_port: 8080\n');
    writeFileSync(join(dir, 'inventory.yml'), 'all:\n  hosts:\n    localhost:\n      ansible_connection: local\n      from_host: 1\n');
    writeFileSync(join(dir, 'group_vars/all.yml'), 'from_group_vars: 1\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const problems = async (extraVars: Record<string, unknown> = {}): Promise<string[]> => {
    try {
      const run = await validateRun({ playbook: join(dir, 'site.yml'), inventory: [join(dir, 'inventory.yml')], extraVars });
      return run.problems.map(formatProblem).map((p) => p.replace(`${dir}/`, ''));
    } catch (err) {
      if (!(err instanceof ProblemError)) throw err;
      return err.problems.map(formatProblem).map((p) => p.replace(`${dir}/`, ''));
    }
  };

  it('reports a name nothing defines at its position, with the near name, in a task and in a template file', async () => {
    writeFileSync(join(dir, 'roles/web/tasks/main.yml'), '- debug:\n    msg: "port {{ web_prot }}"\n- template:\n    src: page.j2\n    dest: /tmp/page\n');
    writeFileSync(join(dir, 'templates/page.j2'), 'listen {{ web_port }}\nserver {{ sever_name }}\n');
    writeFileSync(join(dir, 'site.yml'), '- hosts: all\n  gather_facts: false\n  vars:\n    server_name: web\n  roles: [web]\n');
    expect(await problems()).to.deep.equal([
      "roles/web/tasks/main.yml:2:19 error: 'web_prot' is undefined: no variable of this run (inventory, vars, defaults, register, set_fact, loop, -e) defines it (did you mean 'web_port'?)",
      "templates/page.j2:2:11 error: 'sever_name' is undefined: no variable of this run (inventory, vars, defaults, register, set_fact, loop, -e) defines it (did you mean 'server_name'?)",
    ]);
    // given with -e, it is defined
    expect((await problems({ web_prot: 1, sever_name: 'x' })).filter((p) => p.includes('error'))).to.deep.equal([]);
  });

  it('checks a template whose src is templated, with each value the role, the play and a literal loop give it', async () => {
    writeFileSync(join(dir, 'roles/web/defaults/main.yml'), 'web_port: 8080\nweb_page: page.j2\n');
    writeFileSync(
      join(dir, 'roles/web/tasks/main.yml'),
      '- template: {src: "{{ web_page }}", dest: /tmp/page}\n- template: {src: "{{ item }}.j2", dest: /tmp/x}\n  with_items: [a, b]\n- template: {src: "{{ ansible_hostname }}.j2", dest: /tmp/h}\n',
    );
    for (const name of ['page', 'a', 'b', 'localhost']) writeFileSync(join(dir, `templates/${name}.j2`), `{{ ${name}_missing }}\n`);
    writeFileSync(join(dir, 'site.yml'), '- hosts: all\n  gather_facts: false\n  roles: [web]\n');
    expect((await problems()).map((p) => p.split(' error: ')[0]).sort()).to.deep.equal(['templates/a.j2:1:4', 'templates/b.j2:1:4', 'templates/page.j2:1:4']);
  });

  it('counts every source of variables, and reads guarded by `is defined` or `default`', async () => {
    writeFileSync(join(dir, 'roles/web/tasks/main.yml'), '- debug:\n    msg: "{{ web_port }}"\n');
    writeFileSync(
      join(dir, 'site.yml'),
      [
        '- hosts: all',
        '  vars:',
        '    in_play: 1',
        '  roles: [web]',
        '  tasks:',
        '    - command: echo {{ from_host }} {{ from_group_vars }} {{ in_play }} {{ from_e }} {{ inventory_hostname }} {{ groups.all }}',
        '      register: out',
        '    - set_fact:',
        '        fact_one: "{{ out.stdout }}"',
        '    - debug:',
        '        msg: "{{ item }} {{ fact_one }} {{ ansible_hostname }} {{ task_var }}"',
        '      loop: [1]',
        '      vars:',
        '        task_var: 2',
        '    - debug:',
        '        msg: "{{ n }} {{ i }}"',
        '      loop: [1]',
        '      loop_control: {loop_var: n, index_var: i}',
        '    - debug:',
        '        msg: "{{ maybe | default(1) }} {% set local = 1 %}{{ local }}{% for x in [1] %}{{ x }}{{ loop.index }}{% endfor %}"',
        '    - debug:',
        '        msg: "{{ opt }}"',
        '      when: opt is defined',
        '    - debug:',
        '        var: not_defined_is_shown_as_such',
      ].join('\n') + '\n',
    );
    expect(await problems({ from_e: 1 })).to.deep.equal([]);
  });

  it('only warns where the read may never be rendered (under a when, in a handler), and says nothing for a play with a templated vars_files', async () => {
    writeFileSync(join(dir, 'site.yml'), '- hosts: all\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: "{{ keystone_url }}"\n      when: use_keystone | default(false)\n  handlers:\n    - name: h\n      command: echo {{ handler_only }}\n- hosts: all\n  gather_facts: false\n  vars_files: ["{{ inventory_hostname }}.yml"]\n  tasks:\n    - debug:\n        msg: "{{ from_that_file }}"\n');
    expect(await problems()).to.deep.equal([
      "site.yml:5:18 warning: 'keystone_url' may be undefined where this is rendered: no variable of this run (inventory, vars, defaults, register, set_fact, loop, -e) defines it",
      "site.yml:9:24 warning: 'handler_only' may be undefined where this is rendered: no variable of this run (inventory, vars, defaults, register, set_fact, loop, -e) defines it",
    ]);
  });

  it("gives a template Ansible's ansible_managed and template_path", async () => {
    writeFileSync(join(dir, 'templates/header.j2'), '# {{ ansible_managed }} from {{ template_path | basename }}\n');
    writeFileSync(join(dir, 'site.yml'), `- hosts: all\n  gather_facts: false\n  tasks:\n    - template:\n        src: header.j2\n        dest: ${join(dir, 'header')}\n`);
    expect(await problems()).to.deep.equal([]);
    const result = await runPlaybook({ playbook: join(dir, 'site.yml'), inventory: [join(dir, 'inventory.yml')] });
    expect(result.exitCode).to.equal(0);
    expect(readFileSync(join(dir, 'header'), 'utf8')).to.equal('# Ansible managed from header.j2\n');
  });

  it('names the template file and line of an undefined variable at run time', async () => {
    writeFileSync(join(dir, 'templates/page.j2'), 'one\n{{ late.name }}\n');
    writeFileSync(join(dir, 'site.yml'), `- hosts: all\n  gather_facts: false\n  tasks:\n    - set_fact:\n        late: {}\n    - template:\n        src: page.j2\n        dest: ${join(dir, 'page')}\n`);
    const events: RunEvent[] = [];
    const result = await runPlaybook({ playbook: join(dir, 'site.yml'), inventory: [join(dir, 'inventory.yml')], onEvent: (e) => events.push(e) });
    expect(result.exitCode).to.equal(2);
    const failed = events.find((e): e is HostResultEvent => e.type === 'host_result' && e.status === 'failed');
    expect(String(failed?.result.msg)).to.match(/templates\/page\.j2:2:\d+ error: .*'name'/);
  });
});

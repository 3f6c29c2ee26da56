/**
 * Validation before connecting for include_vars, lookups and with_ loops: a literal include_vars file that is
 * not there, an unknown lookup, an unknown with_ keyword are errors at their file:line:col with "did you
 * mean"; the names a literal include_vars file defines count as defined; a templated one silences the play.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateRun } from '../../lib/engine/index.js';
import { ProblemError, formatProblem } from '../../lib/source/index.js';

describe('validation of include_vars, lookups and with_ loops', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'typebook-include-vars-'));
    mkdirSync(join(dir, 'roles/web/tasks'), { recursive: true });
    mkdirSync(join(dir, 'roles/web/vars'), { recursive: true });
    writeFileSync(join(dir, 'roles/web/vars/Debian.yml'), 'web_package: nginx\n');
    writeFileSync(join(dir, 'inventory.yml'), 'all:\n  hosts:\n    localhost:\n      ansible_connection: local\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const problems = async (): Promise<string[]> => {
    try {
      const run = await validateRun({ playbook: join(dir, 'site.yml'), inventory: [join(dir, 'inventory.yml')], extraVars: {} });
      return run.problems.map(formatProblem).map((p) => p.replace(new RegExp(`${dir}/`, 'g'), ''));
    } catch (err) {
      if (!(err instanceof ProblemError)) throw err;
      return err.problems.map(formatProblem).map((p) => p.replace(new RegExp(`${dir}/`, 'g'), ''));
    }
  };

  it("counts the names of a literal include_vars file found in the role's vars/ as defined", async () => {
    writeFileSync(join(dir, 'roles/web/tasks/main.yml'), '- include_vars: Debian.yml\n- debug:\n    msg: "{{ web_package }} {{ web_pakage_x }}"\n');
    writeFileSync(join(dir, 'site.yml'), '- hosts: all\n  gather_facts: false\n  roles: [web]\n');
    const found = await problems();
    expect(found).to.have.length(1);
    expect(found[0]).to.match(/^roles\/web\/tasks\/main.yml:3:32 error: 'web_pakage_x' is undefined.*did you mean 'web_package'/);
  });

  it('refuses a literal include_vars file that is nowhere', async () => {
    writeFileSync(join(dir, 'roles/web/tasks/main.yml'), '- include_vars:\n    file: RedHat.yml\n');
    writeFileSync(join(dir, 'site.yml'), '- hosts: all\n  gather_facts: false\n  roles: [web]\n');
    const found = await problems();
    expect(found).to.have.length(1);
    expect(found[0]).to.match(/^roles\/web\/tasks\/main.yml:2:11 error: include_vars file not found: RedHat.yml/);
    expect(found[0]).to.include('roles/web/vars/RedHat.yml');
  });

  it('leaves a templated include_vars to the run: its names are not reported', async () => {
    writeFileSync(join(dir, 'roles/web/tasks/main.yml'), '- include_vars: "{{ item }}"\n  with_first_found:\n    - "{{ ansible_facts.os_family }}.yml"\n    - "{{ not_defined_anywhere }}.yml"\n- debug:\n    msg: "{{ web_package }}"\n');
    writeFileSync(join(dir, 'site.yml'), '- hosts: all\n  gather_facts: false\n  roles: [web]\n');
    expect(await problems()).to.deep.equal([]);
  });

  it('names an unknown lookup at its place, with the near name', async () => {
    writeFileSync(join(dir, 'site.yml'), "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: \"{{ lookup('fiel', 'x') }} {{ query('ansible.builtin.first_found', ['a']) }}\"\n");
    const found = await problems();
    expect(found).to.have.length(1);
    expect(found[0]).to.match(/^site.yml:5:25 error: unknown lookup 'fiel' \(did you mean 'file'\?\)/);
  });

  it('refuses a with_ keyword that is no lookup, with the near one', async () => {
    writeFileSync(join(dir, 'site.yml'), '- hosts: all\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: "{{ item }}"\n      with_subelement: [[], x]\n');
    const found = await problems();
    expect(found).to.have.length(1);
    expect(found[0]).to.match(/^site.yml:6:7 error: unknown key 'with_subelement'.*did you mean 'with_subelements'/);
  });
});

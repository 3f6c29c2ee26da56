/** Where roles are found: next to the playbook, the project's roles/, --roles-path, then npm packages that declare roles. */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlaybook } from '../../lib/playbook/load.js';
import { formatProblem } from '../../lib/source/index.js';

function write(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

describe('role search path', () => {
  let project: string;
  beforeEach(() => {
    project = mkdtempSync(join(tmpdir(), 'typebook-roles-'));
    write(join(project, 'package.json'), '{"name": "site"}\n');
    write(join(project, 'node_modules/shared-roles/package.json'), '{"name": "shared-roles", "typebook": {"roles": "roles"}}\n');
    write(join(project, 'node_modules/@acme/more/package.json'), '{"name": "@acme/more", "typebook": {"roles": "lib/roles"}}\n');
    for (const [dir, role] of [['node_modules/shared-roles/roles', 'shared'], ['node_modules/@acme/more/lib/roles', 'scoped'], ['roles', 'project'], ['playbooks/roles', 'beside'], ['extra', 'extra'], ['node_modules/shared-roles/roles', 'beside']] as const) {
      write(join(project, dir, role, 'tasks/main.yml'), `- name: from ${dir}\n  debug:\n`);
    }
    write(join(project, 'playbooks/site.yml'), '- hosts: all\n  roles: [shared, scoped, project, beside, extra]\n');
  });
  afterEach(() => rmSync(project, { recursive: true, force: true }));

  it('finds roles in every place, the nearest first', async () => {
    const { playbook, problems } = await loadPlaybook(join(project, 'playbooks/site.yml'), { rolesPath: [join(project, 'extra')] });
    expect(problems.map(formatProblem)).to.deep.equal([]);
    const paths = Object.fromEntries(playbook.plays[0]!.roles.map((r) => [r.name, r.path]));
    expect(paths.shared).to.match(/node_modules\/shared-roles\/roles\/shared$/);
    expect(paths.scoped).to.match(/node_modules\/@acme\/more\/lib\/roles\/scoped$/);
    expect(paths.project).to.match(/\/roles\/project$/);
    expect(paths.beside).to.match(/playbooks\/roles\/beside$/);
    expect(paths.extra).to.match(/extra\/extra$/);
  });

  it('refuses a role that two npm packages ship, naming both', async () => {
    write(join(project, 'node_modules/other-roles/package.json'), '{"name": "other-roles", "typebook": {"roles": "roles"}}\n');
    write(join(project, 'node_modules/other-roles/roles/shared/tasks/main.yml'), '- debug:\n');
    const { problems } = await loadPlaybook(join(project, 'playbooks/site.yml'), { rolesPath: [join(project, 'extra')] });
    expect(problems.map(formatProblem)).to.have.length(1);
    expect(problems[0]!.message).to.match(/role 'shared' is shipped by more than one npm package: .*node_modules\/other-roles\/roles\/shared and .*node_modules\/shared-roles\/roles\/shared/);
  });

  it('says where it looked for a role it cannot find', async () => {
    write(join(project, 'playbooks/missing.yml'), '- hosts: all\n  roles: [nowhere]\n');
    const { problems } = await loadPlaybook(join(project, 'playbooks/missing.yml'));
    expect(problems).to.have.length(1);
    expect(problems[0]!.message).to.match(/role 'nowhere' not found; searched: .*playbooks\/roles\/nowhere, .*\/roles\/nowhere, .*node_modules\/shared-roles\/roles\/nowhere/);
  });

  it("finds a role another role names as Ansible does: beside that role, then in the playbook's directory", async () => {
    // vendor/outer (named by its path) depends on its sibling vendor/inner; project includes a role kept in playbooks/ itself
    write(join(project, 'vendor/inner/tasks/main.yml'), '- debug:\n');
    write(join(project, 'vendor/outer/meta/main.yml'), 'dependencies: [inner]\n');
    write(join(project, 'playbooks/loose/tasks/main.yml'), '- debug:\n');
    write(join(project, 'roles/project/tasks/main.yml'), '- include_role: {name: loose}\n- import_role: {name: loose}\n');
    write(join(project, 'playbooks/others.yml'), '- hosts: all\n  roles: [project]\n- hosts: all\n  roles: [{role: ../vendor/outer}]\n');
    const { playbook, problems } = await loadPlaybook(join(project, 'playbooks/others.yml'), {});
    expect(problems.map(formatProblem)).to.deep.equal([]);
    expect(playbook.plays[1]!.roles.map((r) => r.path.replace(project, ''))).to.deep.equal(['/vendor/inner', '/vendor/outer']);
  });

  it('reports a mistake in a role two plays use once', async () => {
    write(join(project, 'roles/project/tasks/main.yml'), '- debg: {msg: hi}\n');
    write(join(project, 'playbooks/twice.yml'), '- hosts: all\n  roles: [project]\n- hosts: all\n  roles: [project]\n');
    const { problems } = await loadPlaybook(join(project, 'playbooks/twice.yml'));
    expect(problems.map((p) => p.message)).to.deep.equal(["unknown key 'debg' in a task: neither a task keyword nor a module typebook has"]);
  });
});

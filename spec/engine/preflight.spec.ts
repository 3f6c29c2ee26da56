/**
 * Role arguments checked against the inventory before connecting (validateRun, so `typebook validate` and
 * every run): the shipped roles with the seed's inventory shape and wrong values in it, and how values that
 * only the run knows (facts, registered results) are left to the run-time check.
 */
import { expect } from 'chai';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateRun } from '../../lib/engine/index.js';
import { ProblemError, formatProblem } from '../../lib/source/index.js';

const root = new URL('../../', import.meta.url).pathname;
const setupHa = join(root, 'playbooks/setup-ha.yml');

function write(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

async function problemsOf(options: Parameters<typeof validateRun>[0]): Promise<string[]> {
  try {
    await validateRun(options);
    return [];
  } catch (error) {
    if (!(error instanceof ProblemError)) throw error;
    return error.problems.filter((p) => p.severity === 'error').map(formatProblem);
  }
}

describe('role arguments before connecting', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'typebook-preflight-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** inventory/example.yml and its group_vars, copied so that a test can spoil one value */
  function exampleInventory(change: (groupVars: string) => string = (t) => t): string {
    cpSync(join(root, 'inventory/example.yml'), join(dir, 'inventory/example.yml'));
    write(join(dir, 'inventory/group_vars/nova_api.yml'), 'nova_api_port: 8774\n');
    write(join(dir, 'inventory/group_vars/loadbalancers.yml'), change('haproxy_vip: 10.0.0.95\nhaproxy_frontend_port: 8282\nhaproxy_backend_group: nova_api\nkeepalived_virtual_router_id: 50\n'));
    return join(dir, 'inventory/example.yml');
  }

  it('passes the seed inventory, as shipped', async () => {
    expect(await problemsOf({ playbook: setupHa, inventory: [join(root, 'inventory/example.yml')] })).to.deep.equal([]);
    expect(await problemsOf({ playbook: setupHa, inventory: [exampleInventory()] })).to.deep.equal([]);
  });

  it('reports every wrong value at the line that set it, naming the host, all at once', async () => {
    const inventory = exampleInventory((t) => t.replace('10.0.0.95', '10.0.0.295').replace('8282', 'http').replace('backend_group: nova_api', 'backend_group: nova-api').replace('router_id: 50', 'router_id: 300'));
    const problems = await problemsOf({ playbook: setupHa, inventory: [inventory] });
    const file = join(dir, 'inventory/group_vars/loadbalancers.yml');
    expect(problems).to.include(`${file}:1:14 error: host 'controller': role 'haproxy' argument_specs: 'haproxy_vip' is '10.0.0.295'; expected an IPv4 address (four numbers 0-255 separated by dots)`);
    // keepalived_vip is "{{ haproxy_vip }}" in the role's defaults: the problem points at haproxy_vip's line
    expect(problems).to.include(`${file}:1:14 error: host 'controller': role 'keepalived' argument_specs: 'keepalived_vip' is '10.0.0.295'; expected an IPv4 address (four numbers 0-255 separated by dots)`);
    expect(problems).to.include(`${file}:2:24 error: host 'controller': role 'haproxy' argument_specs: 'haproxy_frontend_port' is 'http'; expected an integer`);
    expect(problems).to.include(`${file}:3:24 error: host 'controller': role 'haproxy' argument_specs: 'haproxy_backend_group' is 'nova-api'; expected a group of the inventory (did you mean 'nova_api'?)`);
    expect(problems.some((p) => p.startsWith(`${file}:4:31 error: host 'controller': role 'keepalived' argument_specs: 'keepalived_virtual_router_id' is 300`))).to.equal(true, problems.join('\n'));
    // said once for the group, not once per host
    expect(problems.filter((p) => p.includes("'haproxy_vip'"))).to.have.length(1);
  });

  it('checks per host: a host variable wrong on one host only', async () => {
    const inventory = exampleInventory();
    write(join(dir, 'inventory/host_vars/apicomp.yml'), 'keepalived_priority: 1000\nkeepalived_state: backup\n');
    const problems = await problemsOf({ playbook: setupHa, inventory: [inventory] });
    const file = join(dir, 'inventory/host_vars/apicomp.yml');
    expect(problems).to.have.length(2, problems.join('\n'));
    expect(problems[0]).to.match(new RegExp(`^${file}:1:22 error: host 'apicomp': role 'keepalived' argument_specs: 'keepalived_priority' is 1000; expected a number must be <= 254`));
    expect(problems[1]).to.equal(`${file}:2:19 error: host 'apicomp': role 'keepalived' argument_specs: 'keepalived_state' is 'backup'; expected one of "MASTER", "BACKUP" (did you mean 'BACKUP'?)`);
  });

  it('takes -e and --limit as the run would', async () => {
    const inventory = exampleInventory();
    const bad = await problemsOf({ playbook: setupHa, inventory: [inventory], extraVars: { haproxy_vip: 'vip.example' } });
    expect(bad).to.have.length(2);
    expect(bad[0]).to.match(/^<-e> error: host 'controller': role 'haproxy' argument_specs: 'haproxy_vip' is 'vip.example'/);
    write(join(dir, 'inventory/host_vars/apicomp.yml'), 'keepalived_priority: 0\n');
    expect(await problemsOf({ playbook: setupHa, inventory: [inventory], limit: 'controller' })).to.deep.equal([]);
    expect(await problemsOf({ playbook: setupHa, inventory: [inventory], limit: 'apicomp' })).to.have.length(1);
  });

  it('reports a value that refers to a variable defined nowhere', async () => {
    const inventory = exampleInventory((t) => t.replace('10.0.0.95', '"{{ lab_vipp }}"'));
    const problems = await problemsOf({ playbook: setupHa, inventory: [inventory] });
    expect(problems[0]).to.match(/loadbalancers\.yml:1:14 error: host 'controller': role 'haproxy' argument 'haproxy_vip': .*'lab_vipp' is undefined/);
  });

  it('warns, as the run does, about a play whose hosts match nothing', async () => {
    write(join(dir, 'hosts.yml'), 'all:\n  hosts:\n    h1: {ansible_connection: local}\n    h2: {ansible_connection: local}\n');
    write(join(dir, 'site.yml'), '- hosts: nosuch\n  tasks: [{ping: }]\n- hosts: h1\n  tasks: [{ping: }]\n');
    const nothing = await validateRun({ playbook: join(dir, 'site.yml'), inventory: [join(dir, 'hosts.yml')] });
    expect(nothing.problems.map(formatProblem)).to.deep.equal([`${join(dir, 'site.yml')}:1:3 warning: Could not match supplied host pattern, ignoring: nosuch`]);
    const limited = await validateRun({ playbook: join(dir, 'site.yml'), inventory: [join(dir, 'hosts.yml')], limit: 'h2' });
    expect(limited.problems.map(formatProblem)).to.include(`${join(dir, 'site.yml')}:3:3 warning: play 'h1': hosts 'h1' match no host within --limit h2: it will be skipped`);
  });

  describe('leaves to the run what only the run knows', () => {
    beforeEach(() => {
      write(join(dir, 'roles/web/meta/argument_specs.yml'), 'argument_specs:\n  main:\n    options:\n      web_address: {type: str, required: true, format: ipv4}\n      web_port: {type: int, maximum: 65535}\n');
      write(join(dir, 'roles/web/tasks/main.yml'), '- debug: var=web_address\n');
      write(join(dir, 'hosts.yml'), 'all:\n  hosts:\n    h1: {ansible_connection: local}\n');
    });

    it('a fact, a registered result: not judged, while the other options still are', async () => {
      write(join(dir, 'site.yml'), [
        '- hosts: all',
        '  pre_tasks:',
        '    - command: echo 10.0.0.1',
        '      register: probed',
        '  roles:',
        '    - role: web',
        '      web_address: "{{ probed.stdout }}"',
        '      web_port: 70000',
        '    - role: web',
        '      web_address: "{{ ansible_default_ipv4.address }}"',
        '',
      ].join('\n'));
      const problems = await problemsOf({ playbook: join(dir, 'site.yml'), inventory: [join(dir, 'hosts.yml')] });
      expect(problems).to.have.length(1, problems.join('\n'));
      expect(problems[0]).to.match(/site\.yml:8:17 error: role 'web' argument_specs: 'web_port' is 70000/);
    });

    it('a role under when: not judged', async () => {
      write(join(dir, 'site.yml'), '- hosts: all\n  roles:\n    - role: web\n      when: false\n');
      expect(await problemsOf({ playbook: join(dir, 'site.yml'), inventory: [join(dir, 'hosts.yml')] })).to.deep.equal([]);
      write(join(dir, 'site.yml'), '- hosts: all\n  roles:\n    - role: web\n');
      const problems = await problemsOf({ playbook: join(dir, 'site.yml'), inventory: [join(dir, 'hosts.yml')] });
      expect(problems).to.have.length(1);
      expect(problems[0]).to.match(/missing required key 'web_address'/);
    });
  });
});

describe('connection variables before connecting', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'typebook-preflight-conn-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reports a wrong port or an unsupported connection of a targeted host at the line that set it', async () => {
    write(join(dir, 'inventory.yml'), 'all:\n  hosts:\n    h1:\n      ansible_port: abc\n    h2:\n      ansible_connection: winrm\n    h3:\n      ansible_connection: local\n    untargeted:\n      ansible_port: 0\n');
    write(join(dir, 'site.yml'), '- hosts: h1:h2:h3\n  gather_facts: false\n  tasks:\n    - debug: msg=hi\n');
    expect(await problemsOf({ playbook: join(dir, 'site.yml'), inventory: [join(dir, 'inventory.yml')] })).to.deep.equal([
      `${join(dir, 'inventory.yml')}:4:21 error: host 'h1': ansible_port: port "abc" is not a number from 1 to 65535`,
      `${join(dir, 'inventory.yml')}:6:27 error: host 'h2': ansible_connection "winrm" is not supported (expected local or ssh)`,
    ]);
  });
});

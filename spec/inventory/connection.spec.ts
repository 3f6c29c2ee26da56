import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionVars, loadInventory } from '../../lib/inventory/index.js';

describe('inventory: connection variables', function () {
  it('defaults: the inventory name, port 22, ssh', function () {
    expect(connectionVars({}, { hostName: 'web1' })).to.deep.equal({ value: { host: 'web1', port: 22, connection: 'ssh' }, problems: [] });
  });

  it('reads every connection variable by its Ansible name', function () {
    const { value, problems } = connectionVars(
      {
        ansible_host: '127.0.0.2',
        ansible_port: '2222',
        ansible_user: 'deploy',
        ansible_ssh_private_key_file: '/keys/id',
        ansible_connection: 'ssh',
        ansible_become: 'yes',
        ansible_become_user: 'root',
        ansible_become_method: 'sudo',
        ansible_ssh_common_args: '-o StrictHostKeyChecking=no',
      },
      { hostName: 'web1' },
    );
    expect(problems).to.deep.equal([]);
    expect(value).to.deep.equal({
      host: '127.0.0.2',
      port: 2222,
      user: 'deploy',
      privateKeyFile: '/keys/id',
      connection: 'ssh',
      become: true,
      becomeUser: 'root',
      becomeMethod: 'sudo',
      sshCommonArgs: '-o StrictHostKeyChecking=no',
    });
  });

  it('prefers the ansible_ssh_* aliases when both are set, as the ssh plugin does', function () {
    const { value } = connectionVars({ ansible_host: 'a', ansible_ssh_host: 'b', ansible_user: 'u1', ansible_ssh_user: 'u2' }, { hostName: 'h' });
    expect(value).to.include({ host: 'b', user: 'u2' });
  });

  it('connects locally for ansible_connection=local and for the implicit localhost', function () {
    expect(connectionVars({ ansible_connection: 'local' }, { hostName: 'h' }).value.connection).to.equal('local');
    expect(connectionVars({}, { hostName: 'localhost', implicit: true }).value.connection).to.equal('local');
  });

  it('reports values of the wrong type, at the place they were written', async function () {
    const dir = await mkdtemp(join(tmpdir(), 'typebook-inv-'));
    try {
      const file = join(dir, 'inv.yml');
      await writeFile(file, 'all:\n  hosts:\n    web1:\n      ansible_port: twenty-two\n      ansible_become: maybe\n      ansible_connection: winrm\n      ansible_user: [a]\n');
      const { inventory } = await loadInventory([file]);
      const { value, problems } = connectionVars(inventory.hostVars('web1'), { hostName: 'web1', where: (k) => inventory.hostVarPosition('web1', k) });
      expect(value.port).to.equal(22);
      expect(problems).to.deep.equal([
        { file, line: 4, col: 21, severity: 'error', message: 'ansible_port is "twenty-two"', expected: 'a port number from 1 to 65535' },
        { file, line: 7, col: 21, severity: 'error', message: 'ansible_user is a list', expected: 'a string' },
        { file, line: 6, col: 27, severity: 'error', message: "ansible_connection 'winrm' is not supported", expected: "'ssh' or 'local'" },
        { file, line: 5, col: 23, severity: 'error', message: 'ansible_become is "maybe"', expected: 'a boolean (true/false, yes/no)' },
      ]);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});

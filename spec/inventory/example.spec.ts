import { expect } from 'chai';
import { Ajv } from 'ajv';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { connectionProblems, settingsFromVars } from '../../lib/connection/index.js';
import { inventorySchema, loadInventory } from '../../lib/inventory/index.js';
import { parseYaml } from '../../lib/source/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const example = root + 'inventory/example.yml';

describe('inventory: the shipped example and the JSON Schema', function () {
  it('inventory/example.yml is the seed topology (parsed only, never contacted)', async function () {
    const { inventory, problems } = await loadInventory([example]);
    expect(problems).to.deep.equal([]);
    expect(inventory.select('nova_api').hosts).to.deep.equal(['controller', 'apicomp']);
    expect(inventory.select('loadbalancers').hosts).to.deep.equal(['controller', 'apicomp']);
    expect(inventory.select('nova_compute').hosts).to.deep.equal(['apicomp']);
    // the seed's documentation addresses: one subnet, the VIP another address of it (compared, never contacted)
    const controller = inventory.hostVars('controller');
    const apicomp = inventory.hostVars('apicomp');
    const subnet = (address: unknown) => String(address).split('.').slice(0, 3).join('.');
    const last = (address: unknown) => Number(String(address).split('.')[3]);
    expect([last(controller.ansible_host), last(apicomp.ansible_host), last(controller.haproxy_vip)]).to.deep.equal([88, 89, 95]);
    expect(new Set([subnet(controller.ansible_host), subnet(apicomp.ansible_host), subnet(controller.haproxy_vip)]).size).to.equal(1);
    expect(controller).to.include({
      haproxy_frontend_port: 8282,
      nova_api_port: 8774,
      keepalived_virtual_router_id: 50,
      keepalived_interface: 'eth0',
      keepalived_priority: 101,
    });
    expect(apicomp).to.include({ keepalived_priority: 100 });
    expect(settingsFromVars(controller)).to.deep.equal({ ansible_host: controller.ansible_host });
    expect(connectionProblems('controller', settingsFromVars(controller), { sshConfigFile: '' })).to.deep.equal([]);
  });

  it('starts with the yaml-language-server schema line and says it is documentation', async function () {
    const text = await readFile(example, 'utf8');
    expect(text.split('\n')[0]).to.equal('# yaml-language-server: $schema=../dist/schemas/inventory.json');
    expect(text).to.match(/nothing ever runs against it/);
  });

  describe('inventorySchema', function () {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(inventorySchema);
    const check = async (file: string): Promise<boolean> => validate(parseYaml(await readFile(file, 'utf8'), file).value);

    it('accepts the example and the oracle fixtures', async function () {
      for (const f of [example, root + 'spec/fixtures/inventory/nested/hosts.yml', root + 'spec/fixtures/inventory/order/inv.yml', root + 'spec/fixtures/inventory/priority/inv.yml']) {
        expect(await check(f), `${f}: ${JSON.stringify(validate.errors)}`).to.equal(true);
      }
    });

    it('rejects an unknown group key, hosts as a list, a port that is not a number', function () {
      expect(validate({ all: { host: { web1: null } } })).to.equal(false);
      expect(validate({ all: { hosts: ['web1'] } })).to.equal(false);
      expect(validate({ all: { hosts: { web1: { ansible_port: 'ssh' } } } })).to.equal(false);
      expect(validate({ all: { children: { web: { hosts: { web1: { ansible_port: 22 } } } } } })).to.equal(true);
    });
  });
});

import { expect } from 'chai';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadInventory, loadVarsDir, type Inventory } from '../../lib/inventory/index.js';

const fixtures = fileURLToPath(new URL('../fixtures/inventory/', import.meta.url));

describe('inventory: variable precedence', function () {
  let inv: Inventory;
  before(async function () {
    const loaded = await loadInventory([fixtures + 'priority/inv.yml']);
    expect(loaded.problems).to.deep.equal([]);
    inv = loaded.inventory;
  });

  it('sorts a host groups by depth, then ansible_group_priority, then name', function () {
    expect(inv.hostGroups('h1').map((g) => g.name)).to.deep.equal(['all', 'aardvark', 'beta', 'zeta', 'alpha']);
    expect(inv.hostGroups('h2').map((g) => g.name)).to.deep.equal(['all', 'beta', 'zeta', 'alpha', 'gamma']);
    expect(inv.groups.get('zeta')!.priority).to.equal(2);
    expect(inv.groups.get('gamma')!.depth).to.equal(2);
  });

  it('layers: inline all, inline groups, group_vars/all, group_vars/<group>, inline host, host_vars', function () {
    expect(inv.hostVarLayers('h2').map((l) => l.source.replace(fixtures, ''))).to.deep.equal([
      'inventory group all',
      'inventory group beta',
      'inventory group zeta',
      'inventory group alpha',
      'inventory group gamma',
      'group_vars file priority/group_vars/all.yml',
      'group_vars file priority/group_vars/beta.yml',
      'group_vars file priority/group_vars/alpha.yml',
    ]);
    expect(inv.hostVarLayers('h3').map((l) => l.source.replace(fixtures, '')).slice(-2)).to.deep.equal(['inventory host h3', 'host_vars file priority/host_vars/h3.yml']);
  });

  it('merges them, top-level keys replacing: group_vars/all beats every inline group var', function () {
    expect(inv.hostVars('h2')).to.deep.equal({ x: 'all_file', y: 'all_file', z: 'all_inline', p: 'alpha_file', q: 'beta_file', d: 'beta_file' });
    expect(inv.hostVars('h1')).to.deep.equal({ x: 'h1_file', y: 'all_file', z: 'all_inline', p: 'alpha_file', q: 'beta_file', d: 'beta_file' });
    expect(inv.hostVars('h3')).to.deep.equal({ x: 'host_inline', y: 'all_file', z: 'all_inline', p: 'beta', q: 'beta_file', d: 'beta_file', h: 'h3_file' });
  });

  it('says where the winning value was written', function () {
    const pos = inv.hostVarPosition('h3', 'x');
    expect(pos).to.deep.equal({ file: fixtures + 'priority/inv.yml', line: 14, col: 33 });
    expect(inv.hostVarPosition('h2', 'p')).to.deep.equal({ file: fixtures + 'priority/group_vars/alpha.yml', line: 1, col: 4 });
  });

  it('replaces a dict whole (hash_behaviour=replace)', async function () {
    const dir = await mkdtemp(join(tmpdir(), 'typebook-inv-'));
    try {
      await mkdir(join(dir, 'group_vars'));
      await writeFile(join(dir, 'inv.yml'), 'all:\n  vars:\n    conf: {a: 1, b: 2}\n  hosts:\n    h:\n      conf: {c: 3}\n');
      await writeFile(join(dir, 'group_vars', 'all.yml'), 'conf: {a: 9}\n');
      const { inventory, problems } = await loadInventory([join(dir, 'inv.yml')]);
      expect(problems).to.deep.equal([]);
      expect(inventory.hostVars('h')).to.deep.equal({ conf: { c: 3 } });
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('puts the playbook group_vars/host_vars at their place among the inventory layers', async function () {
    const dir = await mkdtemp(join(tmpdir(), 'typebook-play-'));
    try {
      await mkdir(join(dir, 'group_vars'));
      await mkdir(join(dir, 'host_vars'));
      await writeFile(join(dir, 'group_vars', 'all.yml'), 'x: play_all\np: play_all\n');
      await writeFile(join(dir, 'group_vars', 'gamma.yml'), 'd: play_gamma\n');
      await writeFile(join(dir, 'host_vars', 'h2.yml'), 'x: play_host\n');
      const problems: never[] = [];
      const play = await loadVarsDir(dir, { groups: inv.groups.keys(), hosts: inv.hosts.keys() }, problems);
      expect(problems).to.deep.equal([]);
      const sources = inv.hostVarLayers('h2', [play]).map((l) => l.source.replace(fixtures, '').replace(dir, 'PLAY'));
      expect(sources.slice(5)).to.deep.equal([
        'group_vars file priority/group_vars/all.yml',
        'group_vars file PLAY/group_vars/all.yml',
        'group_vars file priority/group_vars/beta.yml',
        'group_vars file priority/group_vars/alpha.yml',
        'group_vars file PLAY/group_vars/gamma.yml',
        'host_vars file PLAY/host_vars/h2.yml',
      ]);
      // play group_vars/all is below the inventory's group_vars/<group>: p stays alpha_file
      expect(inv.hostVars('h2', [play])).to.include({ x: 'play_host', p: 'alpha_file', d: 'play_gamma' });
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});

describe('inventory: magic variables', function () {
  it('gives inventory_hostname(_short), sorted group_names, groups, inventory_file and inventory_dir', async function () {
    const file = fixtures + 'patterns/inv.yml';
    const { inventory } = await loadInventory([file, '192.0.2.7,']);
    expect(inventory.magicVars('stage.example.com')).to.deep.include({
      inventory_hostname: 'stage.example.com',
      inventory_hostname_short: 'stage',
      group_names: ['staging'],
      inventory_file: file,
      inventory_dir: fixtures + 'patterns',
    });
    expect(inventory.magicVars('web1').group_names).to.deep.equal(['eu', 'web']);
    expect(inventory.magicVars('192.0.2.7')).to.deep.include({ inventory_hostname_short: '192.0.2.7', group_names: ['ungrouped'], inventory_dir: null });
    expect((inventory.magicVars('web1').groups as Record<string, string[]>).eu).to.deep.equal(['web1', 'db2']);
  });
});

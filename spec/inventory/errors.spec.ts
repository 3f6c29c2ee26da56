import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadInventory } from '../../lib/inventory/index.js';
import { formatProblem, sortProblems } from '../../lib/source/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bad = 'spec/fixtures/inventory/bad/';

/** Problems of loading `sources`, formatted, with paths relative to the project. */
async function problemsOf(...sources: string[]): Promise<string[]> {
  const { problems } = await loadInventory(sources, { cwd: root });
  return sortProblems(problems).map((p) => formatProblem(p).replace(root, ''));
}

describe('inventory: bad input', function () {
  it('reports every problem of a file at once, each with file:line:col, what was found and what was expected', async function () {
    const f = bad + 'many.yml';
    const range = "expected a host name, optionally with ranges like web[01:10] or db-[a:f] and a ':port'";
    expect(await problemsOf(f)).to.deep.equal([
      `${f}:2:3 error: unknown key 'host' in group 'all'; expected hosts, children or vars (did you mean 'hosts'?)`,
      `${f}:4:3 error: unknown key 'childs' in group 'all'; expected hosts, children or vars (did you mean 'children'?)`,
      `${f}:9:9 error: 'hosts' of group 'web' is a list; expected a mapping of host names to their variables (or to nothing) (write each one as a key ending in ':', not as a list item)`,
      `${f}:13:9 error: host range '[10:01]' in 'db[10:01]' begins after it ends; ${range}`,
      `${f}:14:9 error: host range '[a:1]' in 'db[a:1]' mixes or misspells its bounds; ${range}`,
      `${f}:15:9 error: host range step 0 in 'db[1:5:0]' must be 1 or more; ${range}`,
      `${f}:16:14 error: variables of host 'db1' in group 'db' are a list; expected a mapping of variable names to values (or nothing)`,
      `${f}:18:33 error: ansible_group_priority of group 'db' is the string "high"; expected an integer`,
      `${f}:21:9 error: group 'loopb' under 'loopa' makes a cycle of children: loopb -> loopa -> loopb; expected children that never contain their own ancestors`,
      `${f}:24:13 error: group 'lonely' is a list; expected a mapping with hosts, children or vars (or nothing) (list hosts under 'hosts:' as keys, e.g. 'hosts: {web1: }')`,
    ]);
  });

  it('reports YAML syntax errors with their place', async function () {
    const [first, ...rest] = await problemsOf(bad + 'syntax.yml');
    expect(rest).to.deep.equal([]);
    expect(first).to.match(new RegExp(`^${bad}syntax\\.yml:\\d+:\\d+ error: YAML syntax error: `));
  });

  it('reports duplicate keys (found by lib/source)', async function () {
    const found = await problemsOf(bad + 'duplicate.yml');
    expect(found).to.have.length(1);
    expect(found[0]).to.match(new RegExp(`^${bad}duplicate\\.yml:[34]:\\d+ error: duplicate key`));
  });

  it('says that only YAML inventories are supported, for INI files with or without an extension', async function () {
    expect(await problemsOf(bad + 'hosts.ini')).to.deep.equal([`${bad}hosts.ini error: INI inventories are not supported; expected a YAML inventory (.yml, .yaml, .json or no extension)`]);
    expect(await problemsOf(bad + 'ini-noext')).to.deep.equal([`${bad}ini-noext error: this looks like an INI inventory, which is not supported; expected a YAML inventory: only YAML inventories are supported`]);
  });

  it('rejects an empty file, a list, an inventory plugin configuration, a missing source', async function () {
    expect(await problemsOf(bad + 'empty.yml')).to.deep.equal([`${bad}empty.yml:1:1 error: the inventory file is empty; expected a mapping of group names (e.g. all:) to their hosts, children and vars`]);
    expect(await problemsOf(bad + 'list.yml')).to.deep.equal([`${bad}list.yml:1:1 error: the inventory is a list; expected a mapping of group names (e.g. all:) to their hosts, children and vars`]);
    expect(await problemsOf(bad + 'plugin.yml')).to.deep.equal([
      `${bad}plugin.yml:1:1 error: 'plugin: aws_ec2' makes this an inventory plugin configuration, which typebook does not run; expected a YAML inventory (groups with hosts, children and vars)`,
    ]);
    expect(await problemsOf(bad + 'missing.yml')).to.deep.equal([`${bad}missing.yml error: inventory source not found; expected a YAML inventory file, a directory of them, or a host list like host1,host2,`]);
  });

  it('reports group_vars and host_vars files that are not mappings', async function () {
    expect(await problemsOf(bad + 'badvars/inv.yml')).to.deep.equal([
      `${bad}badvars/group_vars/all.yml:1:1 error: variables file holds a list; expected a mapping of variable names to values`,
      `${bad}badvars/host_vars/web1.yml:1:1 error: variables file holds the string "just a string"; expected a mapping of variable names to values`,
    ]);
  });

  it('collects the problems of several sources together', async function () {
    const found = await problemsOf(bad + 'empty.yml', bad + 'list.yml', bad + 'many.yml');
    expect(found).to.have.length(12);
  });

  it('warns when a host and a group have the same name, as Ansible does', async function () {
    const dir = await mkdtemp(join(tmpdir(), 'typebook-inv-'));
    try {
      await writeFile(join(dir, 'inv.yml'), 'all:\n  children:\n    web:\n      hosts:\n        web:\n');
      const { problems } = await loadInventory([join(dir, 'inv.yml')]);
      expect(problems.map(formatProblem)).to.deep.equal([`${dir}/inv.yml:5:9 warning: Found both group and host with same name: web`]);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});

import { expect } from 'chai';
import { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { registerInventoryCommand } from '../../lib/cli/inventory.js';
import { inventoryList, loadInventory, pythonJson } from '../../lib/inventory/index.js';
import { ProblemError } from '../../lib/source/index.js';

const fixtures = fileURLToPath(new URL('../fixtures/inventory/', import.meta.url));

/** Runs `typebook inventory ARGS` in this process; returns what it printed, or what it threw. */
async function run(...args: string[]): Promise<{ stdout: string; stderr: string; error?: unknown }> {
  const program = new Command('typebook').exitOverride();
  registerInventoryCommand(program);
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string) => ((stdout += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
  try {
    await program.parseAsync(['node', 'typebook', 'inventory', ...args]);
    return { stdout, stderr };
  } catch (error) {
    return { stdout, stderr, error };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

describe('inventory: typebook inventory (command line)', function () {
  const patterns = fixtures + 'patterns/inv.yml';

  it('--list prints the library result as Python JSON', async function () {
    const { inventory } = await loadInventory([patterns]);
    const r = await run('-i', patterns, '--list');
    expect(r.error).to.equal(undefined);
    expect(r.stdout).to.equal(pythonJson(inventoryList(inventory)) + '\n');
  });

  it('--list-hosts prints one host per line, --limit narrows, warnings go to stderr', async function () {
    expect((await run('-i', patterns, '--list-hosts', 'web:!eu')).stdout).to.equal('web2\nweb3\nweb4\n');
    expect((await run('-i', patterns, '--list-hosts', 'all', '--limit', 'eu')).stdout).to.equal('web1\ndb2\n');
    const r = await run('-i', patterns, '--list-hosts', 'nomatch:db1');
    expect(r.stdout).to.equal('db1\n');
    expect(r.stderr).to.equal('<command line> warning: Could not match supplied host pattern, ignoring: nomatch\n');
  });

  it('--graph GROUP draws from that group; a group given as argument works too', async function () {
    const expected = '@eu:\n  |--web1\n  |--db2\n';
    expect((await run('-i', patterns, '--graph', 'eu')).stdout).to.equal(expected);
    expect((await run('-i', patterns, 'eu', '--graph')).stdout).to.equal(expected);
  });

  it('--host needs exactly one host', async function () {
    expect(JSON.parse((await run('-i', patterns, '--host', 'web1')).stdout)).to.deep.equal({});
    const r = await run('-i', patterns, '--host', 'web');
    expect(r.error).to.be.instanceOf(ProblemError);
    expect((r.error as ProblemError).message).to.equal("<command line> error: --host 'web' matches 4 hosts; expected the name of one host");
  });

  it('takes several -i, and fails with every problem of bad input', async function () {
    const r = await run('-i', fixtures + 'bad/empty.yml', '-i', fixtures + 'bad/many.yml', '--list');
    expect(r.stdout).to.equal('');
    expect(r.error).to.be.instanceOf(ProblemError);
    expect((r.error as ProblemError).problems).to.have.length(11);
  });

  it('needs exactly one action', async function () {
    expect(String((await run('-i', patterns)).error)).to.match(/no action/);
    expect(String((await run('-i', patterns, '--list', '--graph')).error)).to.match(/only one of/);
  });
});

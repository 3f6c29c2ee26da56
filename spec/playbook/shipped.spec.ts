/** The playbooks, roles and inventories we ship validate, and carry the yaml-language-server schema line. */
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateRun } from '../../lib/engine/index.js';
import { formatProblem, ProblemError } from '../../lib/source/index.js';

const playbooks = [...readdirSync('playbooks').filter((f) => f.endsWith('.yml')).map((f) => join('playbooks', f)), 'bench/playbook/site.yml'];

describe('shipped content', () => {
  for (const playbook of playbooks) {
    it(`${playbook} validates`, async () => {
      try {
        // as documented: the nova playbooks take the release to deploy or upgrade to with -e
        await validateRun({ playbook, inventory: ['inventory/example.yml'], extraVars: { nova_version: '27.1.0-1+standin' } });
      } catch (err) {
        if (err instanceof ProblemError) expect.fail(err.problems.map(formatProblem).join('\n'));
        throw err;
      }
    });

    it(`${playbook} names its schema for editors`, () => {
      const schema = /^# yaml-language-server: \$schema=(\S+)$/m.exec(readFileSync(playbook, 'utf8'))?.[1];
      expect(schema).to.be.a('string');
      expect(existsSync(join(playbook, '..', schema!)), `${schema} (written by npm run build)`).to.equal(true);
    });
  }

  it('says which release is missing when -e nova_version is not given', async () => {
    const error = await validateRun({ playbook: 'playbooks/upgrade-nova.yml', inventory: ['inventory/example.yml'] }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ProblemError);
    expect((error as ProblemError).problems.map(formatProblem).join('\n')).to.match(/missing required key 'nova_version'/);
  });

  it('the example inventory names its schema for editors', () => {
    expect(readFileSync('inventory/example.yml', 'utf8')).to.match(/^# yaml-language-server: \$schema=\.\.\/dist\/schemas\/inventory\.json$/m);
  });
});

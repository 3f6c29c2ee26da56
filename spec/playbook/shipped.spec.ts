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
        await validateRun({ playbook, inventory: ['inventory/example.yml'] });
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

  it('the example inventory names its schema for editors', () => {
    expect(readFileSync('inventory/example.yml', 'utf8')).to.match(/^# yaml-language-server: \$schema=\.\.\/dist\/schemas\/inventory\.json$/m);
  });
});

/**
 * The corpus of broken playbooks, roles and templates: each fixture under spec/fixtures/playbooks/broken/
 * gives exactly the problems in its expected.txt (file:line:col, severity, message), and nothing runs.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { validateRun } from '../../lib/engine/index.js';
import { formatProblem, ProblemError, sortProblems } from '../../lib/source/index.js';

const corpus = 'spec/fixtures/playbooks/broken';

describe('validation of broken playbooks', () => {
  const fixtures = readdirSync(corpus).sort();

  it('has a corpus of at least 40 cases', () => {
    expect(fixtures.length).to.be.at.least(40);
  });

  for (const name of fixtures) {
    it(`reports ${name} precisely`, async () => {
      const dir = join(corpus, name);
      const expected = readFileSync(join(dir, 'expected.txt'), 'utf8').trimEnd().split('\n');
      let problems;
      try {
        await validateRun({ playbook: join(dir, 'site.yml') });
        expect.fail('validation passed, but the fixture is broken');
      } catch (err) {
        if (!(err instanceof ProblemError)) throw err;
        problems = sortProblems(err.problems.filter((p) => p.severity === 'error'));
      }
      // a message naming absolute directories (a template search path) names them from the checkout, as the others do
      const local = (text: string): string => text.replaceAll(resolve(dir), dir);
      const actual = problems.map((p) => local(formatProblem({ ...p, file: relative(dir, p.file) })));
      expect(actual).to.deep.equal(expected);
    });
  }
});

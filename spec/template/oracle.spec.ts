/**
 * The corpus under spec/fixtures/template/corpus, rendered by real Jinja2 (Debian's python3-jinja2, with
 * Ansible's settings and filters: spec/fixtures/template/oracle.py) and by typebook: the bytes must match.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Templar } from '../../lib/template/index.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'template');
const corpusDir = join(fixtures, 'corpus');
// what the corpus includes, extends and imports: the one directory of both loaders' search path
const includesDir = join(fixtures, 'includes');
const python = '/usr/bin/python3';

function pythonHasJinja(): boolean {
  return spawnSync(python, ['-c', 'import jinja2, yaml'], { stdio: 'ignore', timeout: 20000 }).status === 0;
}

interface Case {
  name: string;
  template: string;
  vars: Record<string, unknown>;
}

describe('templating: byte-identical to Jinja2 (oracle)', function () {
  const vars = JSON.parse(readFileSync(join(fixtures, 'vars.json'), 'utf8')) as Record<string, unknown>;
  const cases: Case[] = readdirSync(corpusDir)
    .filter((f) => f.endsWith('.j2'))
    .sort()
    .map((f) => ({ name: f, template: readFileSync(join(corpusDir, f), 'utf8'), vars }));
  let expected = new Map<string, { output?: string; error?: string }>();

  before(function () {
    if (!pythonHasJinja()) {
      // skipped: outside CI a machine without python3-jinja2 has no oracle; CI must have it
      if (!process.env.CI) this.skip();
      throw new Error(`${python} with jinja2 and yaml is needed for the oracle test (apt-get install python3-jinja2 python3-yaml)`);
    }
    const run = spawnSync(python, [join(fixtures, 'oracle.py'), includesDir], { input: JSON.stringify(cases), encoding: 'utf8', timeout: 60000, maxBuffer: 64 * 1024 * 1024 });
    if (run.status !== 0) throw new Error(`oracle failed: ${run.stderr}`);
    const results = JSON.parse(run.stdout) as { name: string; output?: string; error?: string }[];
    expected = new Map(results.map((r) => [r.name, r]));
  });

  it('has a corpus of at least 40 templates', function () {
    expect(cases.length).to.be.at.least(40);
  });

  for (const c of readdirSync(corpusDir).filter((f) => f.endsWith('.j2')).sort()) {
    it(`renders ${c} as Jinja2 does`, function () {
      const want = expected.get(c);
      expect(want, 'the oracle rendered it').to.not.equal(undefined);
      expect(want!.error, 'Jinja2 renders the corpus template without error').to.equal(undefined);
      const got = new Templar().renderTemplate(cases.find((x) => x.name === c)!.template, join(corpusDir, c), vars, [includesDir]);
      expect(got).to.equal(want!.output);
    });
  }
});

/**
 * Templates including, extending and importing templates, from a role's templates/ and the playbook's (the
 * template module and the template lookup), rendered on localhost by Debian's ansible-playbook and by the built
 * typebook command (-c local): every file must be byte-identical.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ansibleEnv } from '../modules/ansible.js';
import { cli } from '../cli/oracle.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'template-include');
const files = ['site.conf', 'nested.conf', 'by-lookup.conf', 'page.html', 'widget.conf'];

function contents(out: string): Record<string, string> {
  return Object.fromEntries(readdirSync(out).sort().map((f) => [f, readFileSync(join(out, f), 'utf8')]));
}

describe('template includes, extends and imports: as ansible-playbook renders them (oracle)', function () {
  this.timeout(240_000);
  let tmp: string;

  before(function () {
    if (!existsSync('/usr/bin/ansible-playbook')) {
      // skipped: outside CI a machine without Debian's ansible has no oracle; CI must have it
      if (!process.env.CI) this.skip();
      throw new Error("Debian's ansible-playbook is needed for this oracle test");
    }
    expect(existsSync(cli), `${cli} is missing: run npm run build`).to.equal(true);
    tmp = mkdtempSync(join(tmpdir(), 'typebook-template-include-'));
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('validates: every literal include is found and checked', function () {
    const run = spawnSync(process.execPath, [cli, 'validate', '-i', 'localhost,', 'playbook.yml', '-e', 'out_dir=/nowhere'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stdout + run.stderr).to.equal(0);
  });

  it('renders the same bytes', function () {
    const byAnsible = join(tmp, 'ansible');
    const byTypebook = join(tmp, 'typebook');
    mkdirSync(byAnsible);
    mkdirSync(byTypebook);
    const ansible = spawnSync('/usr/bin/ansible-playbook', ['-i', 'localhost,', '-c', 'local', 'playbook.yml', '-e', `out_dir=${byAnsible}`], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: ansibleEnv() });
    expect(ansible.status, ansible.stdout + ansible.stderr).to.equal(0);
    const typebook = spawnSync(process.execPath, [cli, 'run', '-i', 'localhost,', '-c', 'local', 'playbook.yml', '-e', `out_dir=${byTypebook}`], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    expect(typebook.status, typebook.stdout + typebook.stderr).to.equal(0);
    const want = contents(byAnsible);
    expect(Object.keys(want)).to.deep.equal([...files].sort());
    expect(contents(byTypebook)).to.deep.equal(want);
    // what the fixture is about: the role's part before the playbook's, one next to the template found last
    expect(want['site.conf']).to.contain('# header from the role\n');
    expect(want['nested.conf']).to.contain("found in the template's own directory");
    expect(want['page.html']).to.contain('<title>Welcome | example.org</title>');
    expect(want['widget.conf']).to.equal('[widget] found in the including role web\n');
  });
});

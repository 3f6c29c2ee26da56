/**
 * A corpus of broken playbooks (spec/fixtures/broken-args): each breaks one of the rules between a module's
 * arguments. Each file says in its header what typebook reports before connecting (`# typebook: LINE:COL
 * message`, one line per problem) and what Ansible says when it fails the task at run time (`# ansible: text`).
 * typebook is checked against the first; Debian's ansible-playbook, run on a lab host, confirms the second.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateRun } from '../../lib/engine/index.js';
import { ProblemError, formatProblem } from '../../lib/source/index.js';
import { labSsh, useLab } from '../lab/fixture.js';
import { ansibleEnv } from '../modules/ansible.js';

const DIR = 'spec/fixtures/broken-args';

interface BrokenCase {
  file: string;
  typebook: string[];
  ansible: string;
}

const corpus: BrokenCase[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.yml'))
  .sort()
  .map((f) => {
    const file = join(DIR, f);
    const header = readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('# '));
    const typebook = header.flatMap((l) => {
      const m = /^# typebook: (\d+:\d+) (.*)$/.exec(l);
      return m ? [`${file}:${m[1]} error: ${m[2]}`] : [];
    });
    const ansible = header.flatMap((l) => /^# ansible: (.*)$/.exec(l)?.[1] ?? [])[0];
    if (typebook.length === 0 || ansible === undefined) throw new Error(`${file}: header lacks '# typebook:' or '# ansible:'`);
    return { file, typebook, ansible };
  });

describe('broken module arguments (corpus)', () => {
  it('holds at least 25 playbooks', () => {
    expect(corpus.length).to.be.at.least(25);
  });

  for (const c of corpus) {
    it(`${c.file.slice(DIR.length + 1)}: refused before connecting, at its line and column`, async () => {
      const error = await validateRun({ playbook: c.file }).catch((e: unknown) => e);
      expect(error, 'validate accepted it').to.be.instanceOf(ProblemError);
      expect((error as ProblemError).problems.map(formatProblem)).to.have.members(c.typebook);
    });
  }

  describe('Ansible as the oracle', function () {
    this.timeout(240_000);
    const fixture = useLab({ hosts: 1, name: 'broken-args' });

    it('fails every one of them at run time, and none changes the host', async () => {
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn('ansible-playbook', ['-i', fixture.lab.inventoryPath, ...corpus.map((c) => c.file)], {
          env: { ...ansibleEnv(), ANSIBLE_STDOUT_CALLBACK: 'json' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
        child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), 200_000);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          if (code === null) reject(new Error(`ansible-playbook was stopped:\n${stderr}`));
          else resolve(stdout);
        });
      });
      // the json callback writes a document after each playbook, each holding every play so far
      type Report = { plays: { tasks: { hosts: Record<string, { failed?: boolean; msg?: string }> }[] }[] };
      const plays = (JSON.parse(out.split(/(?<=^\})\n(?=\{)/m).at(-1)!) as Report).plays;
      expect(plays).to.have.length(corpus.length);
      for (const [i, c] of corpus.entries()) {
        const result = plays[i]!.tasks[0]!.hosts['node1'];
        expect(result, c.file).to.not.equal(undefined);
        expect(result!.failed, `${c.file}: Ansible did not fail it`).to.equal(true);
        expect(result!.msg, c.file).to.include(c.ansible);
      }
      const left = await labSsh(fixture.lab, 'node1', 'ls -d /tmp/typebook-broken* 2>/dev/null');
      expect(left.stdout.trim()).to.equal('');
    });
  });
});

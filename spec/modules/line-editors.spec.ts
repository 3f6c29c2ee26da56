/**
 * The line editors of lineinfile, blockinfile and ini_file as pure functions, without a lab: each case's file
 * is edited by our function and by Ansible's own module (one ansible-playbook run on this machine, connection
 * local, on files in a temporary directory), and the two results must be the same bytes.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blockEdit, type BlockArgs } from '../../lib/modules/blockinfile.js';
import { iniEdit } from '../../lib/modules/ini_file.js';
import { lineAbsent, linePresent, splitLines, type LineinfileArgs } from '../../lib/modules/lineinfile.js';
import { ansibleEnv } from './ansible.js';

interface EditorCase {
  name: string;
  module: 'lineinfile' | 'blockinfile' | 'ini_file';
  initial: string;
  args: Record<string, unknown>;
}

const cases: EditorCase[] = [
  { name: 'line after the last match of insertafter', module: 'lineinfile', initial: 'a=1\n# x\nb=2\n# y\n', args: { line: 'new', insertafter: '^#' } },
  { name: 'line after the first match with firstmatch', module: 'lineinfile', initial: 'a=1\n# x\nb=2\n# y\n', args: { line: 'new', insertafter: '^#', firstmatch: true } },
  { name: 'line at BOF', module: 'lineinfile', initial: 'a\nb\n', args: { line: 'top', insertbefore: 'BOF' } },
  { name: 'regexp replaces the last match', module: 'lineinfile', initial: 'port=1\nx\nport=2\n', args: { regexp: '^port=', line: 'port=8080' } },
  { name: 'backrefs keeps a group', module: 'lineinfile', initial: 'listen 80 default\n', args: { regexp: '^listen (\\d+) (.*)$', line: 'listen 8080 \\2', backrefs: true } },
  { name: 'backrefs without a match changes nothing', module: 'lineinfile', initial: 'x\n', args: { regexp: '^nomatch', line: 'y', backrefs: true } },
  { name: 'search_string replaces the line holding it', module: 'lineinfile', initial: 'a\nkeep [x] here\nb\n', args: { search_string: '[x]', line: 'replaced' } },
  { name: 'a file without a final newline', module: 'lineinfile', initial: 'a\nb', args: { line: 'c' } },
  { name: 'CRLF lines', module: 'lineinfile', initial: 'a\r\nb\r\n', args: { regexp: '^b', line: 'B' } },
  { name: 'a line already there', module: 'lineinfile', initial: 'a\nb\n', args: { line: 'a' } },
  { name: 'absent by regexp', module: 'lineinfile', initial: 'keep\ndrop 1\nkeep\ndrop 2\n', args: { regexp: '^drop', state: 'absent' } },
  { name: 'block at EOF', module: 'blockinfile', initial: 'a\nb\n', args: { block: 'x=1\ny=2' } },
  { name: 'block after a match', module: 'blockinfile', initial: '[a]\nk=v\n[b]\n', args: { block: 'z=1', insertafter: '^\\[a\\]' } },
  { name: 'block replaced in place', module: 'blockinfile', initial: 'a\n# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\nb\n', args: { block: 'new' } },
  { name: 'block removed', module: 'blockinfile', initial: 'a\n# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\nb\n', args: { state: 'absent' } },
  { name: 'block with its own marker', module: 'blockinfile', initial: '', args: { block: 'x', marker: '// {mark} typebook' } },
  { name: 'ini option in a new section', module: 'ini_file', initial: '[DEFAULT]\na = 1\n', args: { section: 'upgrade_levels', option: 'compute', value: 'auto' } },
  { name: 'ini option replaced', module: 'ini_file', initial: '[s]\nk = old\nother = 1\n', args: { section: 's', option: 'k', value: 'new' } },
  { name: 'ini option without spaces', module: 'ini_file', initial: '[s]\n', args: { section: 's', option: 'k', value: 'v', no_extra_spaces: true } },
  { name: 'ini option removed', module: 'ini_file', initial: '[s]\nk = v\nj = w\n', args: { section: 's', option: 'k', state: 'absent' } },
  { name: 'ini values added beside others', module: 'ini_file', initial: '[s]\nk = 1\n', args: { section: 's', option: 'k', values: ['1', '2'], exclusive: false } },
];

function ours(c: EditorCase): string {
  const a = c.args;
  if (c.module === 'lineinfile') {
    const args = { path: '-', ...a } as LineinfileArgs;
    const lines = splitLines(c.initial);
    return ((a.state ?? 'present') === 'present' ? linePresent(lines, args) : lineAbsent(lines, args)).lines.join('');
  }
  if (c.module === 'blockinfile') return blockEdit(c.initial === '' ? undefined : c.initial, a as BlockArgs).result;
  return iniEdit(c.initial, {
    section: a.section as string,
    option: a.option as string,
    values: a.value !== undefined ? [a.value as string] : ((a.values as string[] | undefined) ?? []),
    state: (a.state as 'present' | 'absent' | undefined) ?? 'present',
    exclusive: (a.exclusive as boolean | undefined) ?? true,
    no_extra_spaces: (a.no_extra_spaces as boolean | undefined) ?? false,
    allow_no_value: false,
  }).text;
}

describe('line editors against Ansible, without a lab', function () {
  this.timeout(120_000);
  let dir: string;
  let theirs: string[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'typebook-editors-'));
    const tasks = cases.map((c, i) => {
      const path = join(dir, String(i));
      // blockinfile on no file: Ansible creates it (create), as blockEdit(undefined) starts from nothing
      if (c.initial !== '' || c.module !== 'blockinfile') writeFileSync(path, c.initial, 'latin1');
      return { name: c.name, [c.module]: { ...c.args, path, ...(c.module === 'blockinfile' ? { create: true } : {}) } };
    });
    writeFileSync(join(dir, 'editors.yml'), JSON.stringify([{ hosts: 'localhost', gather_facts: false, tasks }]));
    const run = spawnSync('ansible-playbook', ['-i', 'localhost,', '-c', 'local', join(dir, 'editors.yml')], { env: ansibleEnv(), encoding: 'utf8', timeout: 100_000 });
    if (run.status !== 0) throw new Error(`ansible-playbook failed:\n${run.stdout}\n${run.stderr}`);
    theirs = cases.map((_c, i) => (existsSync(join(dir, String(i))) ? readFileSync(join(dir, String(i)), 'latin1') : ''));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [i, c] of cases.entries()) {
    it(`${c.module}: ${c.name}`, () => {
      expect(ours(c)).to.equal(theirs[i]);
    });
  }
});

/**
 * lookup() and query() against Ansible 2.14's own Templar (spec/fixtures/lookups/oracle.py): the same expression
 * and variables, the same value or the same error message. Files are looked up under spec/fixtures/lookups/base,
 * the loader's base directory there and playbook_dir here.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Templar } from '../../lib/template/index.js';
import type { Problem } from '../../lib/source/index.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'lookups');
const base = join(fixtures, 'base');
const python = '/usr/bin/python3';

const common = {
  playbook_dir: base,
  greeting: 'hi',
  users: [{ name: 'alice', keys: ['k1', 'k2'], more: { groups: ['g'] } }, { name: 'bob', keys: ['k3'], more: { groups: [] } }],
  byname: { alice: { keys: [1] }, bob: { keys: [2, 3] } },
  xs: [1, [2, 3], 'four'],
  d: { k: 'v', j: 2 },
  files_list: ['missing.txt', 'a.txt'],
};

interface Case {
  name: string;
  expr: string;
  vars?: Record<string, unknown>;
}

const cases: Case[] = [
  { name: 'file, rstripped', expr: "{{ lookup('file', 'a.txt') }}" },
  { name: 'file with lstrip and no rstrip', expr: "{{ lookup('file', 's.txt', lstrip=True, rstrip=False) }}" },
  { name: 'two files joined by commas', expr: "{{ lookup('file', 'a.txt', 'b.cfg') }}" },
  { name: 'file under files/ of role_path first', expr: "{{ lookup('file', 'a.txt') }}", vars: { role_path: join(base, 'roles', 'r') } },
  { name: 'file along ansible_search_path', expr: "{{ lookup('ansible.builtin.file', 'a.txt') }}", vars: { ansible_search_path: [join(base, 'roles', 'r'), join(base, 'roles', 'r', 'tasks'), base] } },
  { name: 'a missing file fails', expr: "{{ lookup('file', 'nope.txt') }}" },
  { name: 'a missing file ignored', expr: "{{ lookup('file', 'nope.txt', errors='ignore') is none }}" },
  { name: 'query of a missing file ignored', expr: "{{ query('file', 'nope.txt', errors='ignore') }}" },
  { name: 'template with template_vars', expr: "{{ lookup('template', 't.j2', template_vars={'extra': 5}) }}" },
  { name: 'template', expr: "{{ lookup('template', 't.j2') }}" },
  { name: 'template including one next to it', expr: "{{ lookup('template', 'inc.j2') }}" },
  {
    name: "template including along ansible_search_path's templates dirs",
    expr: "{{ lookup('template', 'rinc.j2') }}",
    vars: { ansible_search_path: [join(base, 'roles', 'r'), join(base, 'roles', 'r', 'tasks'), base] },
  },
  { name: "a string including from the loader's base directory", expr: "<{% include 'templates/part.j2' %}>" },
  { name: 'env with a default', expr: "{{ lookup('env', 'TYPEBOOK_NO_SUCH_VAR', default='dflt') }}" },
  { name: 'env', expr: "{{ lookup('env', 'HOME') }}" },
  { name: 'fileglob of a pattern', expr: "{{ query('fileglob', '*.txt') | sort }}" },
  { name: 'fileglob in a directory', expr: "{{ lookup('fileglob', 'files/*.cfg') }}" },
  { name: 'fileglob of nothing', expr: "{{ query('fileglob', '*.none') }}" },
  { name: 'pipe', expr: "{{ lookup('pipe', 'echo one; echo two') }}" },
  { name: 'pipe runs in the base directory', expr: "{{ lookup('pipe', 'ls templates') }}" },
  { name: 'a failing pipe', expr: "{{ lookup('pipe', 'exit 3') }}" },
  { name: 'varnames', expr: "{{ query('varnames', '^(users|byname)$') }}" },
  { name: 'items flattens one level', expr: "{{ lookup('items', xs) }}" },
  { name: 'items of strings join', expr: "{{ lookup('items', ['a', 'b'], 'c') }}" },
  { name: 'list', expr: "{{ lookup('list', ['a', 'b']) }}" },
  { name: 'list wantlist', expr: "{{ lookup('list', 'a', 'b', wantlist=True) }}" },
  { name: 'dict', expr: "{{ lookup('dict', d) }}" },
  { name: 'dict of a list fails', expr: "{{ lookup('dict', [1]) }}" },
  { name: 'indexed_items', expr: "{{ q('indexed_items', ['a', 'b']) }}" },
  { name: 'subelements pops the subkey', expr: "{{ q('subelements', users, 'keys') }}" },
  { name: 'subelements leaves the variable whole', expr: "{{ [q('subelements', users, 'keys') | length, users[0]['keys']] }}" },
  { name: 'subelements of a nested key', expr: "{{ q('subelements', users, 'more.groups') }}" },
  { name: 'subelements of a mapping', expr: "{{ q('subelements', byname, 'keys') }}" },
  { name: 'subelements missing key', expr: "{{ q('subelements', users + [{'name': 'c'}], 'keys') }}" },
  { name: 'subelements skip_missing', expr: "{{ q('subelements', users + [{'name': 'c'}], 'keys', {'skip_missing': True}) }}" },
  { name: 'together', expr: "{{ q('together', [1, 2, 3], ['a', 'b']) }}" },
  { name: 'nested', expr: "{{ q('nested', [1, 2], ['a', 'b'], ['x']) }}" },
  { name: 'sequence shortcut', expr: "{{ q('sequence', '4:host%02d') }}" },
  { name: 'sequence range and stride', expr: "{{ q('sequence', '2-10/2') }}" },
  { name: 'sequence hex', expr: "{{ lookup('sequence', '0x0a-0x0c') }}" },
  { name: 'sequence key=value', expr: "{{ q('sequence', 'start=0x0f00 count=4 format=%04x') }}" },
  { name: 'sequence backwards', expr: "{{ q('sequence', 'start=5 end=1 stride=-2') }}" },
  { name: 'sequence count 0', expr: "{{ q('sequence', 'count=0') }}" },
  { name: 'sequence without end', expr: "{{ q('sequence', 'start=3') }}" },
  { name: 'sequence counting back without a negative stride', expr: "{{ q('sequence', '5-1') }}" },
  { name: 'sequence unknown argument', expr: "{{ q('sequence', 'end=3 what=1') }}" },
  { name: 'first_found of a list', expr: "{{ lookup('first_found', files_list) }}" },
  { name: 'first_found with files and paths', expr: "{{ lookup('first_found', {'files': ['x.yml', 'Debian.yml'], 'paths': ['roles/r/vars']}) }}" },
  { name: 'first_found of comma-separated files', expr: "{{ lookup('first_found', {'files': 'no.txt,b.cfg'}) }}" },
  { name: 'first_found of nothing fails', expr: "{{ lookup('first_found', 'no1', 'no2') }}" },
  { name: 'first_found skip', expr: "{{ query('first_found', {'files': ['no1'], 'skip': True}) }}" },
  { name: 'first_found ignored', expr: "{{ lookup('first_found', 'no1', errors='ignore') is none }}" },
  { name: 'an unknown lookup', expr: "{{ lookup('no_such_lookup', 'x') }}" },
];

interface Expected {
  name: string;
  value?: unknown;
  error?: string;
}

function pythonHasAnsible(): boolean {
  return spawnSync(python, ['-c', 'import ansible.template'], { stdio: 'ignore', timeout: 20000 }).status === 0;
}

describe('lookup() and query(): as Ansible 2.14 computes them (oracle)', function () {
  let expected = new Map<string, Expected>();

  before(function () {
    if (!pythonHasAnsible()) {
      // skipped: outside CI a machine without Debian's ansible has no oracle; CI must have it
      if (!process.env.CI) this.skip();
      throw new Error(`${python} with ansible is needed for the lookup oracle (apt-get install ansible-core)`);
    }
    const input = cases.map((c) => ({ name: c.name, expr: c.expr, vars: { ...common, ...c.vars } }));
    const run = spawnSync(python, [join(fixtures, 'oracle.py'), base], { input: JSON.stringify(input), encoding: 'utf8', timeout: 60000 });
    if (run.status !== 0) throw new Error(`oracle failed: ${run.stderr}`);
    expected = new Map((JSON.parse(run.stdout) as Expected[]).map((r) => [r.name, r]));
  });

  for (const c of cases) {
    it(c.name, function () {
      const want = expected.get(c.name)!;
      const warnings: Problem[] = [];
      let got: Expected;
      try {
        // includes in a string are found in the playbook's directory, as Ansible's default loader does
        got = { name: c.name, value: JSON.parse(JSON.stringify(new Templar({ onWarning: (w) => warnings.push(w), searchPath: [base] }).renderString(c.expr, { ...common, ...c.vars }))) };
      } catch (err) {
        got = { name: c.name, error: (err as Error).message };
      }
      if (want.error !== undefined) {
        expect(got.error, `Ansible fails: ${want.error}`).to.be.a('string');
        // Ansible's message may carry more context (the template) after the plugin's own
        expect(want.error).to.include(got.error!.replace(/^.*?: (?=An unhandled|No file|lookup plugin)/, ''));
      } else expect(got).to.deep.equal(want);
    });
  }
});

describe('with_<lookup> loop items (Templar.loopItems)', () => {
  const templar = new Templar();
  const items = (lookup: string, value: unknown, vars: Record<string, unknown> = {}, subdir = 'files') => templar.loopItems(lookup, value, { ...common, ...vars }, undefined, subdir);

  it('takes a string as one term and a mapping as its keys, as listify_lookup_plugin_terms does', () => {
    expect(items('items', 'a,b')).to.deep.equal(['a,b']);
    expect(items('items', { k1: 1, k2: 2 })).to.deep.equal(['k1', 'k2']);
    expect(items('items', [1, [2, 3], [[4]]])).to.deep.equal([1, 2, 3, [4]]);
  });

  it('gives with_dict the mapping itself', () => {
    expect(items('dict', { a: 1 })).to.deep.equal([{ key: 'a', value: 1 }]);
  });

  it("finds with_first_found's files in the subdir of the task's action, along ansible_search_path", () => {
    const role = join(base, 'roles', 'r');
    const vars = { ansible_search_path: [role, join(role, 'tasks'), base] };
    expect(items('first_found', ['Ubuntu.yml', 'Debian.yml'], vars, 'vars')).to.deep.equal([join(role, 'vars', 'Debian.yml')]);
    expect(items('first_found', ['a.txt'], vars)).to.deep.equal([join(role, 'files', 'a.txt')]);
    expect(items('first_found', [{ files: ['none.yml'], skip: true }], vars, 'vars')).to.deep.equal([]);
  });

  it('fails for a lookup that does not exist, as the task executor does', () => {
    expect(() => items('nope', [])).to.throw("Unexpected failure in finding the lookup named 'nope'");
  });
});

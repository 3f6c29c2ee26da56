/**
 * The README's "Ansible compatibility" section, held to the code: each list of what is supported is exactly
 * what typebook has, and each thing listed as not supported is refused with an error, never ignored.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findModule, moduleNames, type ModuleDefinition } from '../lib/modules/index.js';
import { loadPlaybook } from '../lib/playbook/load.js';
import { unsupportedKeywords } from '../lib/playbook/schema.js';
import { Templar } from '../lib/template/index.js';
import { filters } from '../lib/template/filters.js';
import { lookupNames } from '../lib/template/lookups.js';
import { tests } from '../lib/template/tests.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

function section(heading: string): string {
  const start = readme.indexOf(`\n## ${heading}\n`);
  expect(start, `README has a '## ${heading}' section`).to.be.greaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** the `names` of the list item that starts with **label** (up to the next item), in a part of the section */
function listed(text: string, label: string): string[] {
  const start = text.indexOf(`- **${label}**`);
  expect(start, `an item '${label}'`).to.be.greaterThan(-1);
  const end = text.indexOf('\n- ', start + 1);
  const item = text.slice(start, end < 0 ? undefined : end);
  return [...item.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
}

const shortNames = (names: Iterable<string>) => [...new Set([...names].filter((n) => !n.includes('.')))].sort();

describe('README: the Ansible compatibility section', () => {
  const compat = section('Ansible compatibility');
  const [supported, unsupported] = compat.split('\nNot supported yet');

  it('lists every module, each of which exists (the Modules table)', () => {
    const rows = section('Modules')
      .split('\n')
      .filter((line) => line.startsWith('| `'));
    const named = rows.flatMap((row) => [...row.split('|')[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
    const modules = new Set<ModuleDefinition>();
    for (const name of named) {
      const module = findModule(name);
      expect(module, `README names module '${name}'`).to.not.equal(undefined);
      modules.add(module!);
    }
    const missing = moduleNames().filter((name) => !modules.has(findModule(name)!) && !name.includes('.'));
    expect(missing, 'modules the README does not name').to.deep.equal([]);
  });

  it('lists exactly the lookups, filters and tests there are', () => {
    expect(listed(supported!, 'Lookups').sort()).to.deep.equal(shortNames(lookupNames()));
    expect(listed(supported!, 'Filters').sort()).to.deep.equal(shortNames(Object.keys(filters)));
    expect(listed(supported!, 'Tests').sort()).to.deep.equal(shortNames(Object.keys(tests)));
  });

  it('lists exactly the keywords typebook refuses, and each is refused', async () => {
    const keywords = listed(unsupported!, 'Keywords');
    expect([...keywords].sort()).to.deep.equal([...unsupportedKeywords].sort());
    const dir = mkdtempSync(join(tmpdir(), 'typebook-readme-'));
    try {
      for (const keyword of keywords) {
        const file = join(dir, `${keyword}.yml`);
        writeFileSync(file, `- hosts: all\n  ${keyword}: x\n  tasks:\n    - debug: msg=hi\n      ${keyword}: x\n`);
        const { problems } = await loadPlaybook(file);
        expect(problems.map((p) => p.message), keyword).to.include(`'${keyword}' is an Ansible keyword that typebook does not support yet`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('renders the template tags it lists', () => {
    const templar = new Templar();
    const body: Record<string, string> = {
      if: '{% if true %}y{% endif %}',
      for: '{% for x in [1] %}{{ loop.index }}{% else %}e{% endfor %}',
      set: '{% set a = 1 %}{% set b %}b{% endset %}{{ a }}{{ b }}',
      macro: '{% macro m() %}{{ caller() }}{% endmacro %}{% call m() %}c{% endcall %}',
      call: '{% macro m() %}{{ caller() }}{% endmacro %}{% call m() %}c{% endcall %}',
      filter: '{% filter upper %}f{% endfilter %}',
      raw: '{% raw %}{{ x }}{% endraw %}',
      include: "{% include 'part.j2' %}",
      extends: "{% extends 'base.j2' %}{% block b %}c{% endblock %}",
      block: '{% block b %}b{% endblock %}',
      import: "{% import 'macros.j2' as m %}{{ m.m() }}",
      with: '{% with a = 1 %}{{ a }}{% endwith %}',
    };
    const dir = mkdtempSync(join(tmpdir(), 'typebook-readme-tags-'));
    writeFileSync(join(dir, 'part.j2'), 'p');
    writeFileSync(join(dir, 'base.j2'), '[{% block b %}{% endblock %}]');
    writeFileSync(join(dir, 'macros.j2'), '{% macro m() %}m{% endmacro %}');
    const tags = listed(supported!, 'Template tags').filter((t) => /^\w+$/.test(t));
    expect(tags).to.not.deep.equal([]);
    for (const tag of tags) {
      expect(body[tag], `a sample of {% ${tag} %}`).to.be.a('string');
      expect(() => templar.renderTemplate(body[tag]!, join(dir, 'sample.j2'), {}, [dir]), tag).to.not.throw();
    }
    rmSync(dir, { recursive: true, force: true });
  });
});

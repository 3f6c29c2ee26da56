/**
 * What a rendered string becomes, against Ansible 2.14's own Templar (spec/fixtures/lookups/oracle.py): None
 * is '', and a result spelling a Python (or JSON) list, dict or boolean is that value; anything else is text.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Templar } from '../../lib/template/index.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'lookups');
const python = '/usr/bin/python3';
const vars = { n: 2, nothing: null, words: ['a', 'b'], mapping: { k: [1, { x: null }] }, text: '[not, a, list]', json: '{"a": true, "b": null, "c": [1.5, "s"]}', escaped: '["a\\nb\\t", "\\u00e9"]' };

const cases: string[] = [
  '[1, 2]',
  "{{ '[1, 2]' }}",
  '[{{ n }}, true]',
  '[{{ n }}, none]',
  '{{ nothing }}',
  'x{{ None }}y',
  "{{ 'True' }}",
  "{{ 'true' }}",
  "{'a': {{ n }}}",
  '{{ json }}',
  "{{ '[1, 2' }}",
  '{{ text }}',
  "{{ '(1, 2)' }}",
  "{{ '[(1, 2), (3,), -3, +4.5, -1.0]' }}",
  '{{ words }}',
  '{{ mapping }}',
  '{{ words | length }}',
  '{{ escaped }}',
  '{{ "[\'a b\', \'c\']" }}',
  '{{ 1.0 }}',
  '{{ 2 ** 3 }}',
  '{{ n }}',
  '{{ n + 1 }}',
  '{{ true }}',
  '{{ None }}',
  '{{ words[0] }}',
  '{{ nothing }}{{ nothing }}',
  "{{ '{1: 2, None: 3}' }}",
  '  [{{ n }}]',
  "{{ '[1, 2] ' }}",
  "{{ \"['}}']\" }}",
  "{{ '{\"a\": {\"b\": 1}}' }}",
  "{{ '[[1, [2]], {}]' }}",
  "{{ '[1 + 2]' }}",
  "{{ '{{ n }}' }}",
  "{{ 'False' }} ",
  'False{{ "" }}',
  '{{ words | to_json }}',
  '{{ mapping | to_nice_json }}',
  '{{ words | string }}',
  '{{ words | ansible.builtin.to_json }}',
  '{{ (words | to_json) ~ "" }}',
  '{{ words | to_yaml }}',
  "{{ 'x' if false }}",
  "[{{ 'x' if false }}]",
];

function pythonHasAnsible(): boolean {
  return spawnSync(python, ['-c', 'import ansible.template'], { stdio: 'ignore', timeout: 20000 }).status === 0;
}

describe('a rendered value as Ansible makes data of it (oracle)', function () {
  let expected = new Map<string, { value?: unknown; error?: string }>();
  before(function () {
    if (!pythonHasAnsible()) {
      // skipped: outside CI a machine without Debian's ansible has no oracle; CI must have it
      if (!process.env.CI) this.skip();
      throw new Error(`${python} with ansible is needed for this oracle (apt-get install ansible-core)`);
    }
    const run = spawnSync(python, [join(fixtures, 'oracle.py'), join(fixtures, 'base')], { input: JSON.stringify(cases.map((expr) => ({ name: expr, expr, vars }))), encoding: 'utf8', timeout: 60000 });
    if (run.status !== 0) throw new Error(`oracle failed: ${run.stderr}`);
    expected = new Map((JSON.parse(run.stdout) as { name: string; value?: unknown; error?: string }[]).map(({ name, ...rest }) => [name, rest]));
  });

  for (const expr of cases) {
    it(expr, () => {
      const want = expected.get(expr)!;
      expect(want.error, 'the oracle renders every case').to.equal(undefined);
      expect(JSON.parse(JSON.stringify(new Templar().renderString(expr, vars)))).to.deep.equal(want.value);
    });
  }
});

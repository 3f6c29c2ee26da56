import { expect } from 'chai';
import { parseYaml, positionOf, type Problem } from '../../lib/source/index.js';
import { Templar, filters, tests } from '../../lib/template/index.js';
import { errorOf } from './errors.js';

const t = new Templar();
const vars = {
  name: 'web01',
  port: 8080,
  items: [3, 1, 2],
  empty: [],
  none: null,
  users: [
    { name: 'alice', uid: 1001, active: true },
    { name: 'bob', uid: 1002, active: false },
  ],
  d: { a: 1, b: { c: 2 } },
  res: { changed: true, failed: false, rc: 0 },
};

function evalExpr(expr: string, v: Record<string, unknown> = vars): unknown {
  return t.evaluate(expr, v);
}

describe('templating: values and Python semantics', function () {
  it('returns strings without template markers unchanged', function () {
    expect(t.renderString('plain {text}', {})).to.equal('plain {text}');
  });

  it("gives native values for a lone expression and strings otherwise, as Ansible's Templar (spec/template/ansible-data.spec.ts)", function () {
    expect(t.renderString('{{ items }}', vars)).to.deep.equal([3, 1, 2]);
    expect(t.renderString('{{ port }}', vars)).to.equal(8080);
    expect(t.renderString('{{ port > 1 }}', vars)).to.equal(true);
    expect(t.renderString('{{ none }}', vars)).to.equal(null);
    // a computed number comes back as text, as in Ansible without jinja2_native; a variable's stays a number
    expect(t.renderString('{{ 4 / 2 }}', vars)).to.equal('2.0');
    expect(t.renderString('{{ port + 1 }}', vars)).to.equal('8081');
    expect(t.renderString(' {{ port }}', vars)).to.equal(' 8080');
    expect(t.renderString('{{ items }}!', vars)).to.equal('[3, 1, 2]!');
    expect(t.renderString('{{ d }}', vars)).to.deep.equal({ a: 1, b: { c: 2 } });
  });

  it('is Python-truthy in conditions: empty list, dict and string and 0 are false', function () {
    for (const falsy of ['[]', '{}', "''", '0', '0.0', 'None', 'empty', 'none']) expect(t.condition(falsy, vars), falsy).to.equal(false);
    for (const truthy of ['[0]', "{'a': 0}", "' '", '1', 'items', 'd']) expect(t.condition(truthy, vars), truthy).to.equal(true);
  });

  it('takes a boolean, a list (all must hold) and a templated condition with a warning', function () {
    const warnings: Problem[] = [];
    const w = new Templar({ onWarning: (p) => warnings.push(p) });
    expect(w.condition(true, vars)).to.equal(true);
    expect(w.condition(false, vars)).to.equal(false);
    expect(w.condition(['port > 1', 'items'], vars)).to.equal(true);
    expect(w.condition(['port > 1', 'empty'], vars)).to.equal(false);
    expect(w.condition('{{ port > 1 }}', vars)).to.equal(true);
    expect(warnings).to.have.length(1);
    expect(warnings[0]!.severity).to.equal('warning');
  });

  it('allows undefined only where Jinja does: default, is defined, guarded and', function () {
    expect(evalExpr("missing | default('x')")).to.equal('x');
    expect(evalExpr("d.nope | default('x')")).to.equal('x');
    expect(evalExpr("missing.deeper.still | d('x')")).to.equal('x');
    expect(evalExpr('missing is defined')).to.equal(false);
    expect(evalExpr('d.nope is undefined')).to.equal(true);
    expect(t.condition('missing is defined and missing.x', vars)).to.equal(false);
    expect(evalExpr("empty | default('e', true)")).to.equal('e');
    expect(evalExpr("none | default('kept')")).to.equal(null);
  });

  it('formats with %, str.format, ~ and prints values as Python str()', function () {
    expect(evalExpr("'%s' % port")).to.equal('8080');
    expect(evalExpr("'%s:%s' % (name, port)")).to.equal('web01:8080');
    expect(evalExpr("'%d' % 3.7")).to.equal('3');
    expect(evalExpr("'%05.1f' % 2.26")).to.equal('002.3');
    expect(evalExpr("'{}-{}'.format(name, port)")).to.equal('web01-8080');
    expect(evalExpr("name ~ '-' ~ port")).to.equal('web01-8080');
    expect(t.renderString("{{ [1, 'a', none, true] }} {{ {'a': 1} }} {{ 1.5 }} {{ 2 / 1 }}", vars)).to.equal("[1, 'a', None, True] {'a': 1} 1.5 2.0");
  });

  it('divides as Python: / gives a float, // floors', function () {
    expect(t.renderString('{{ 7 / 2 }} {{ 6 / 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }}', {})).to.equal('3.5 2.0 3 -4 2');
  });

  it('tests membership on strings, lists and dicts', function () {
    expect(evalExpr("'eb' in name")).to.equal(true);
    expect(evalExpr('2 in items')).to.equal(true);
    expect(evalExpr("'a' in d")).to.equal(true);
    expect(evalExpr("'z' not in d")).to.equal(true);
  });

  it('calls string and dict methods', function () {
    expect(evalExpr("'a, b,c'.split(',')")).to.deep.equal(['a', ' b', 'c']);
    expect(evalExpr("name.startswith('web') and name.endswith('01')")).to.equal(true);
    expect(evalExpr("'  x '.strip() ~ 'Ab'.lower() ~ 'ab'.upper() ~ 'aa'.replace('a', 'b')")).to.equal('xabABbb');
    expect(evalExpr("', '.join(['a', 'b'])")).to.equal('a, b');
    expect(evalExpr('d.items() | list')).to.deep.equal([['a', 1], ['b', { c: 2 }]]);
    expect(evalExpr('d.keys() | list')).to.deep.equal(['a', 'b']);
    expect(evalExpr('d.values() | list')).to.deep.equal([1, { c: 2 }]);
    expect(evalExpr("d.get('z', 5)")).to.equal(5);
  });

  it('renders loops, namespaces, macros and whitespace control', function () {
    const text = [
      '{% set ns = namespace(n=0) %}',
      '{% for k, v in d.items() if k != "b" %}{{ loop.index }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ k }}={{ v }}{% set ns.n = ns.n + 1 %}{% endfor %}',
      '{% for x in empty %}x{% else %}none{% endfor %}',
      '{% macro m(a, b=2) %}{{ a + b }}{% endmacro %}{{ m(1) }}{{ m(1, b=5) }}',
      '{%- if true -%}   !   {%- endif %}',
      '{# comment #}',
      '{% raw %}{{ x }}{% endraw %}{{ ns.n }}',
    ].join('\n');
    expect(t.renderTemplate(text + '\n', 'x.j2', vars)).to.equal('1TrueTrue1a=1none36!{{ x }}1\n');
  });

  it('keeps the trailing newline and trims the newline after block tags', function () {
    expect(t.renderTemplate('{% if true %}\nyes\n{% endif %}\n', 'x.j2', {})).to.equal('yes\n');
    expect(t.renderTemplate('a\n\n', 'x.j2', {})).to.equal('a\n\n');
  });

  it('reads variables through a Proxy or a lookup function, resolving lazily', function () {
    const asked: string[] = [];
    const store = new Proxy({} as Record<string, unknown>, {
      get(_target, key) {
        if (typeof key !== 'string') return undefined;
        asked.push(key);
        if (key === 'hostvars') return { node2: { x: 42 } };
        if (key === 'groups') return { web: ['node1', 'node2'] };
        return undefined;
      },
    });
    expect(t.evaluate("hostvars['node2'].x + groups['web'] | length", store)).to.equal(44);
    expect(asked).to.include.members(['hostvars', 'groups']);
    expect(t.renderString('{{ a }}-{{ b | default(0) }}', (n: string) => (n === 'a' ? 1 : undefined))).to.equal('1-0');
    expect(errorOf(() => t.evaluate('nope', store)).variable).to.equal('nope');
    expect(t.evaluate('constructor is defined', {})).to.equal(false);
  });

  it('templates data recursively, keys too, keeping positions', function () {
    const loaded = parseYaml('a: "{{ port }}"\nlist:\n  - "{{ name }}-x"\n  - 3\n"{{ name }}": k\n', 'p.yml').value as Record<string, unknown>;
    const out = t.renderData(loaded, vars) as Record<string, unknown>;
    expect(out).to.deep.equal({ a: 8080, list: ['web01-x', 3], web01: 'k' });
    expect(positionOf(out)).to.deep.equal(positionOf(loaded));
    expect(positionOf(out.list)).to.deep.equal({ file: 'p.yml', line: 3, col: 3 });
  });
});

describe('templating: errors', function () {
  it('names an undefined variable with its line and column in a template file', function () {
    const e = errorOf(() => t.renderTemplate('line one\n  {{ name }} {{ nosuch }}\n', 'templates/a.j2', vars));
    expect(e.message).to.equal("'nosuch' is undefined");
    expect(e.variable).to.equal('nosuch');
    expect(e.pos).to.deep.equal({ file: 'templates/a.j2', line: 2, col: 17 });
  });

  it('names a missing attribute, at the place of a YAML string', function () {
    const e = errorOf(() => t.renderString('x {{ d.b.zz }}', vars, { file: 'site.yml', line: 7, col: 12 }));
    expect(e.message).to.equal("'d.b' has no attribute 'zz'");
    expect(e.variable).to.equal('d.b.zz');
    expect(e.pos).to.deep.equal({ file: 'site.yml', line: 7, col: 17 });
  });

  it('fails on using undefined values in a condition, printing or iterating', function () {
    expect(errorOf(() => t.condition('nosuch', vars)).message).to.equal("'nosuch' is undefined");
    expect(errorOf(() => t.condition('nosuch == 1', vars, { file: 'a.yml', line: 3, col: 13 })).pos).to.deep.equal({ file: 'a.yml', line: 3, col: 13 });
    expect(errorOf(() => t.renderString('{% for x in nosuch %}{% endfor %}', vars)).variable).to.equal('nosuch');
    expect(errorOf(() => t.renderString("{{ d.nope | upper }}", vars)).variable).to.equal('d.nope');
    expect(errorOf(() => t.renderString("{{ missing | mandatory }}", vars)).message).to.contain("Mandatory variable 'missing' not defined");
  });

  it('reports a syntax error with its position', function () {
    const e = errorOf(() => t.renderTemplate('ok\n{% if x %}\n{{ x + }}\n{% endif %}\n', 't.j2', { x: 1 }));
    expect(e.pos).to.deep.equal({ file: 't.j2', line: 3, col: 8 });
    expect(e.message).to.match(/^template syntax error/);
    const [p] = t.checkTemplate('{% for x in y %}\n{{ x }}\n', 't.j2');
    expect(p!.message).to.match(/end of file|endfor/);
  });

  it('checks unknown filters and tests without variables, with did-you-mean', function () {
    const problems = t.checkTemplate("{{ x | defualt(1) }}\n{% if y is devisibleby 3 %}{% endif %}{{ z | selectattr('a', 'equalsto', 1) | mapp('upper') }}", 'c.j2');
    expect(problems.map((p) => [p.line, p.col, p.message, p.hint])).to.deep.equal([
      [1, 8, "unknown filter 'defualt'", "did you mean 'default'?"],
      [2, 12, "unknown test 'devisibleby'", "did you mean 'divisibleby'?"],
      [2, 62, "unknown test 'equalsto'", "did you mean 'equalto'?"],
      [2, 79, "unknown filter 'mapp'", "did you mean 'map'?"],
    ]);
    expect(t.checkTemplate("{{ x | ansible.builtin.to_json }}{{ y is ansible.builtin.version('1', '>') }}", 'ok.j2')).to.deep.equal([]);
  });

  it('checks bare expressions and YAML strings at their place', function () {
    expect(t.checkExpression('x | bool and y is defined', { file: 'p.yml', line: 4, col: 11 })).to.deep.equal([]);
    const [bad] = t.checkExpression('x is defind', { file: 'p.yml', line: 4, col: 11 });
    expect([bad!.line, bad!.col, bad!.hint]).to.deep.equal([4, 16, "did you mean 'defined'?"]);
    const [syntax] = t.checkExpression('x ==', { file: 'p.yml', line: 4, col: 11 });
    expect(syntax!.message).to.match(/syntax error/);
    expect(t.checkString('{{ a | lowr }}', { file: 'p.yml', line: 2, col: 8 })[0]).to.include({ line: 2, col: 15, hint: "did you mean 'lower'?" });
    expect(t.checkString('no template', { file: 'p.yml', line: 2, col: 8 })).to.deep.equal([]);
    expect(t.checkTemplate('{% switch x %}{% case 1 %}a{% endswitch %}', 'i.j2')[0]!.message).to.match(/'switch' is not supported/);
  });
});

describe('templating: filters', function () {
  const cases: [string, unknown][] = [
    ["users | map(attribute='name') | list", ['alice', 'bob']],
    ["['a', 'b'] | map('upper') | list", ['A', 'B']],
    ["['a-b'] | map('replace', '-', '+') | list", ['a+b']],
    ["users | selectattr('uid', 'equalto', 1002) | map(attribute='name') | list", ['bob']],
    ["users | selectattr('uid', '==', 1001) | map(attribute='name') | list", ['alice']],
    ["users | selectattr('active') | map(attribute='name') | list", ['alice']],
    ["users | rejectattr('active') | map(attribute='name') | list", ['bob']],
    ["users | selectattr('shell', 'undefined') | list | length", 2],
    ["users | selectattr('shell', 'defined') | list | length", 0],
    ["users | selectattr('name', 'match', '^a') | map(attribute='name') | list", ['alice']],
    ["users | selectattr('name', 'search', 'o') | map(attribute='name') | list", ['bob']],
    ["users | selectattr('name', 'in', ['bob']) | map(attribute='uid') | list", [1002]],
    ["[0, 1, '', 'a'] | select('truthy') | list", [1, 'a']],
    ['[1, 2, 3, 4] | select("even") | list', [2, 4]],
    ['[1, 2, 3, 4] | reject("odd") | list', [2, 4]],
    ['{"a": 1} | to_json', '{"a": 1}'],
    ['{"b": 1, "a": [1, 2]} | to_nice_json', '{\n    "a": [\n        1,\n        2\n    ],\n    "b": 1\n}'],
    ['{"a": [1, 2]} | to_yaml', 'a: [1, 2]\n'],
    ['{"a": [1, 2]} | to_nice_yaml', 'a:\n- 1\n- 2\n'],
    ['\'{"a": [1]}\' | from_json', { a: [1] }],
    ["'a: [1, yes]' | from_yaml", { a: [1, true] }],
    ['[1, 2, 1, 3] | unique', [1, 2, 3]],
    ['[3, 1, 2] | min', 1],
    ['[3, 1, 2] | max', 3],
    ["'a1b22' | regex_replace('\\\\d+', '#')", 'a#b#'],
    ["'key=val' | regex_replace('^(\\\\w+)=(\\\\w+)$', '\\\\2=\\\\1')", 'val=key'],
    ["'abc123' | regex_search('\\\\d+')", '123'],
    ["'a1b22' | regex_findall('\\\\d+')", ['1', '22']],
    ["'hello' | b64encode", 'aGVsbG8='],
    ["'aGVsbG8=' | b64decode", 'hello'],
    ["'yes' | bool", true],
    ["'off' | bool", false],
    ["'12' | int + 1", 13],
    ["'x' | int(5)", 5],
    ["'1.5' | float", 1.5],
    ['5 | string', '5'],
    ["missing | d('dd')", 'dd'],
    ["'' | default('e', true)", 'e'],
    ["name | mandatory", 'web01'],
    ["true | ternary('y', 'n')", 'y'],
    ["none | ternary('y', 'n', 'z')", 'z'],
    ["{'a': {'x': 1}, 'l': [1]} | combine({'a': {'y': 2}, 'l': [2]})", { a: { y: 2 }, l: [2] }],
    ["{'a': {'x': 1}} | combine({'a': {'y': 2}}, recursive=True)", { a: { x: 1, y: 2 } }],
    ["{'l': [1]} | combine({'l': [2]}, list_merge='append')", { l: [1, 2] }],
    ["{'a': 1} | dict2items", [{ key: 'a', value: 1 }]],
    ["[{'key': 'a', 'value': 1}] | items2dict", { a: 1 }],
    ["'/etc/x/y.conf' | basename", 'y.conf'],
    ["'/etc/x/y.conf' | dirname", '/etc/x'],
    ['"it\'s" | quote', "'it'\"'\"'s'"],
    ["['a', 'b'] | join(',')", 'a,b'],
    ["'abc' | length", 3],
    ['[1, 2] | count', 2],
    ["'AbC' | lower", 'abc'],
    ["'abc' | upper", 'ABC'],
    ["'hello World' | capitalize", 'Hello world'],
    ["'a-b' | replace('-', '_')", 'a_b'],
    ["'  x  ' | trim", 'x'],
    ['[1, 2] | first', 1],
    ['[1, 2] | last', 2],
    ["users | sort(attribute='uid', reverse=true) | map(attribute='name') | list", ['bob', 'alice']],
    ["['b', 'A', 'a'] | sort", ['A', 'a', 'b']],
    ["'ab' | list", ['a', 'b']],
    ["[['a', 1]] | dict", { a: 1 }],
    ["'a,b' | split(',')", ['a', 'b']],
    ["[1, 2] | zip(['a', 'b']) | list", [[1, 'a'], [2, 'b']]],
    ['[1, [2, [3, [4]]]] | flatten', [1, 2, 3, 4]],
    ['[1, [2, [3]]] | flatten(levels=1)', [1, 2, [3]]],
    ['[1, 2, 3] | difference([2])', [1, 3]],
    ['[1, 2] | union([2, 3])', [1, 2, 3]],
    ['[1, 2, 3] | intersect([2, 3, 4])', [2, 3]],
    ['[1, 2, 3] | sum', 6],
    ['range(3) | list', [0, 1, 2]],
    ['range(1, 7, 2) | list', [1, 3, 5]],
  ];
  for (const [expr, want] of cases) {
    it(expr, function () {
      expect(evalExpr(expr)).to.deep.equal(want);
    });
  }

  it('has every filter the playbooks need', function () {
    const needed = 'map select reject selectattr rejectattr to_json to_nice_json to_yaml to_nice_yaml from_json from_yaml unique min max regex_replace regex_search regex_findall b64encode b64decode bool int float string d default mandatory ternary combine dict2items items2dict basename dirname quote join length count lower upper capitalize replace trim first last sort list dict zip flatten difference union intersect sum'.split(' ');
    expect(needed.filter((n) => !(n in filters))).to.deep.equal([]);
  });
});

describe('templating: tests', function () {
  const cases: [string, boolean][] = [
    ['missing is defined', false],
    ['name is defined', true],
    ['missing is undefined', true],
    ['none is none', true],
    ['name is string', true],
    ['port is number', true],
    ['port is integer', true],
    ['1.5 is float', true],
    ['port is float', false],
    ['true is boolean', true],
    ['d is mapping', true],
    ['items is sequence', true],
    ['items is iterable', true],
    ['true is sameas true', true],
    ['1 is sameas true', false],
    ['2 is in [1, 2]', true],
    ["name is match('web')", true],
    ["name is match('eb')", false],
    ["name is search('eb')", true],
    ["name is regex('^w.b')", true],
    ["'1.10.0' is version('1.9', '>')", true],
    ["'1.2' is version('1.2.0', '<')", true],
    ["'2.0.0-rc1' is version('2.0.0', '<', version_type='semver')", true],
    ['res is success', true],
    ['res is succeeded', true],
    ['res is failed', false],
    ['res is changed', true],
    ['res is skipped', false],
    ['4 is even', true],
    ['3 is odd', true],
    ['9 is divisibleby 3', true],
    ['10 is divisibleby(4)', false],
    ["name is not equalto 'x'", true],
  ];
  for (const [expr, want] of cases) {
    it(expr, function () {
      expect(evalExpr(expr)).to.equal(want);
    });
  }

  it('rejects a result test on a value that is not a task result', function () {
    expect(errorOf(() => evalExpr('port is failed')).message).to.match(/expects a dictionary/);
  });

  it('has every test the playbooks need', function () {
    const needed = 'defined undefined none string number integer float boolean mapping sequence iterable sameas in match search regex version success failed changed skipped even odd divisibleby equalto == truthy'.split(' ');
    expect(needed.filter((n) => !(n in tests))).to.deep.equal([]);
  });
});

import { expect } from 'chai';
import { didYouMean, formatProblem, keyPositionOf, parseYaml, positionAt, positionOf } from '../../lib/source/index.js';

describe('YAML as Ansible reads it', () => {
  it('reads YAML 1.1 scalars as PyYAML does', () => {
    const { value, problems } = parseYaml('a: [yes, no, on, off, y, n, True, 1e3, 1.5e+3, 0644, 0x1F, 1:20, ~, 2001-12-14, .5]\n', 'f.yml');
    expect(problems).to.deep.equal([]);
    expect((value as { a: unknown[] }).a).to.deep.equal([true, false, true, false, 'y', 'n', true, '1e3', 1500, 420, 31, 80, null, '2001-12-14', 0.5]);
  });

  it('merges `<<` keys below the mapping\'s own keys', () => {
    const { value } = parseYaml('base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n', 'f.yml');
    expect((value as { other: unknown }).other).to.deep.equal({ y: 3, x: 1 });
  });

  it('remembers where every value and key is', () => {
    const { value } = parseYaml('play:\n  tasks:\n    - name: one\n      debug: {msg: hi}\n', 'p.yml');
    const play = (value as { play: { tasks: { name: string }[] } }).play;
    expect(positionOf(play, 'tasks')).to.deep.equal({ file: 'p.yml', line: 3, col: 5 });
    expect(positionOf(play.tasks, 0)).to.deep.equal({ file: 'p.yml', line: 3, col: 7 });
    expect(keyPositionOf(play.tasks[0], 'debug')).to.deep.equal({ file: 'p.yml', line: 4, col: 7 });
    expect(positionAt(value, ['play', 'tasks', 0, 'debug', 'msg'])).to.deep.equal({ file: 'p.yml', line: 4, col: 20 });
  });

  it('reports a duplicate key and a syntax error with their positions', () => {
    expect(parseYaml('a: 1\nb:\n  c: 2\n  c: 3\n', 'g.yml').problems.map(formatProblem)).to.deep.equal(["g.yml:4:3 error: duplicate key 'c' in a mapping"]);
    const syntax = parseYaml('a: [1, 2\nb: 3\n', 'g.yml').problems;
    expect(syntax).to.have.length(1);
    expect(formatProblem(syntax[0]!)).to.match(/^g\.yml:\d+:\d+ error: YAML syntax error: /);
  });

  it('refuses an alias bomb at the alias that passes the bound, without expanding it', () => {
    // twelve levels of ten aliases each stand for 10^12 strings in a few hundred bytes
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= 12; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    const started = process.hrtime.bigint();
    const { value, problems } = parseYaml(lines.join('\n') + '\n', 'bomb.yml');
    // a bound on a hang, not a speed figure: expanding even 10^-3 of this document would take hours
    expect(Number(process.hrtime.bigint() - started) / 1e6).to.be.below(1000);
    expect(value).to.equal(undefined);
    // a1..a3 add 12300 values; each *a3 in a4 adds 11110 more: the eighth passes 100000
    expect(problems.map(formatProblem)).to.deep.equal(['bomb.yml:5:45 error: YAML aliases expand to more than 100000 values: refused (an alias bomb?)']);
    // a document with ordinary aliases still loads
    expect(parseYaml('a: &a [1, 2]\nb: [*a, *a]\n', 'ok.yml').problems).to.deep.equal([]);
  });

  it('points an indentation error at the offending column, as PyYAML does', () => {
    const { problems } = parseYaml('- hosts: all\n  tasks:\n    - debug:\n        msg: a\n     when: x\n', 'ind.yml');
    expect(problems.map(formatProblem)).to.deep.equal(['ind.yml:5:6 error: YAML syntax error: Sequence item without - indicator']);
  });

  it('keeps `__proto__` as data', () => {
    const { value } = parseYaml('__proto__: {polluted: true}\n', 'f.yml');
    expect(Object.keys(value as object)).to.deep.equal(['__proto__']);
    expect(({} as { polluted?: boolean }).polluted).to.equal(undefined);
  });
});

describe('did you mean', () => {
  it('suggests a near name and nothing for a far one', () => {
    expect(didYouMean('vlaue', ['value', 'name'])).to.equal("did you mean 'value'?");
    expect(didYouMean('hosts', ['host', 'vars'])).to.equal("did you mean 'host'?");
    expect(didYouMean('zzzz', ['value', 'name'])).to.equal(undefined);
  });
});

/**
 * {% include %}, {% extends %} and {% import %}: where templates are found (the template module's and lookup's
 * search paths, Jinja's FileSystemLoader), the errors and their places, and what validation checks of them.
 * What they render is compared with Jinja2 by the oracle corpus (cases 49-53).
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { templateLookupSearchPath, templateSearchPath } from '../../lib/ansible/index.js';
import type { Problem, SourcePos } from '../../lib/source/index.js';
import { Templar } from '../../lib/template/index.js';
import { errorOf } from './errors.js';
import { TemplateLoader } from '../../lib/template/loader.js';

describe('templates including templates', function () {
  const t = new Templar();
  let dir: string;
  let role: string;
  let main: string;
  let searchPath: string[];

  const write = (path: string, text: string): string => {
    const file = join(dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    return file;
  };
  const render = (text: string, vars: Record<string, unknown> = {}): string => t.renderTemplate(text, main, vars, searchPath);

  before(function () {
    dir = mkdtempSync(join(tmpdir(), 'typebook-include-'));
    role = join(dir, 'roles', 'web');
    write('roles/web/tasks/main.yml', '- debug: {msg: hi}\n');
    main = write('roles/web/templates/main.j2', '');
    write('roles/web/templates/part.j2', 'role part {{ x }}\n');
    write('roles/web/templates/sub/part.j2', 'sub part\n');
    write('roles/web/templates/sub/only-here.j2', 'next to sub\n');
    write('templates/part.j2', 'playbook part\n');
    write('templates/shared.j2', 'shared {{ x }}\n');
    write('roles/web/templates/bad.j2', 'line one\n{{ nope }}\n');
    write('roles/web/templates/syntax.j2', 'ok\n{% if %}\n');
    write('roles/web/templates/self.j2', "{% include 'self.j2' %}");
    write('roles/web/templates/macros.j2', '{% macro m() %}\n{{ missing_in_macro }}{% endmacro %}');
    write('roles/web/templates/twice.j2', "{% extends 'part.j2' %}{% extends 'part.j2' %}");
    write('roles/web/templates/required.j2', '{% block body required %}{% endblock %}');
    // as a role task's template: the task's search path, then the playbook's directory and the template's own
    searchPath = templateSearchPath([role, join(role, 'tasks'), dir], dir, main);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('search path', function () {
    it("is the template action's: each of ansible_search_path, the playbook's directory, the template's own, as templates/ then itself", function () {
      const templates = join(role, 'templates');
      expect(searchPath).to.deep.equal([templates, role, join(role, 'tasks', 'templates'), join(role, 'tasks'), join(dir, 'templates'), dir, join(dir, 'templates'), dir, join(templates, 'templates'), templates]);
    });

    it("is the template lookup's: the template's own directory first, then ansible_search_path's", function () {
      expect(templateLookupSearchPath([role, dir], join(dir, 'templates', 't.j2'))).to.deep.equal([join(dir, 'templates'), join(role, 'templates'), role, join(dir, 'templates'), dir]);
      expect(templateLookupSearchPath(undefined, '/p/templates/t.j2')).to.deep.equal(['/p/templates']);
    });

    it("finds a role template's part in the role's templates/ before the playbook's", function () {
      expect(render("{% include 'part.j2' %}|{% include 'shared.j2' %}", { x: 1 })).to.equal('role part 1|shared 1');
    });

    it("finds a name relative to the search path, not to the including template (its directory comes last)", function () {
      const sub = write('roles/web/templates/sub/main.j2', '');
      const path = templateSearchPath([role, join(role, 'tasks'), dir], dir, sub);
      expect(t.renderTemplate("{% include 'part.j2' %}/{% include 'only-here.j2' %}", sub, { x: 2 }, path)).to.equal('role part 2/next to sub');
    });

    it('reads names as FileSystemLoader does: `.` and empty segments dropped, a leading / under the search path, `..` never found', function () {
      const loader = new TemplateLoader([join(role, 'templates')]);
      expect(loader.find('./sub//part.j2')).to.equal(join(role, 'templates', 'sub', 'part.j2'));
      expect(loader.find('/sub/part.j2')).to.equal(join(role, 'templates', 'sub', 'part.j2'));
      expect(loader.find('sub/../part.j2')).to.equal(undefined);
      expect(loader.find('sub')).to.equal(undefined); // a directory is no template
    });

    it("gives strings the Templar's search path (the playbook's directory, as Ansible's default loader)", function () {
      const templar = new Templar({ searchPath: [dir] });
      expect(templar.renderString("<{% include 'templates/part.j2' %}>", {})).to.equal('<playbook part>');
      expect(errorOf(() => new Templar().renderString("{% include 'x.j2' %}", {})).message).to.match(/no template search path is set/);
    });
  });

  describe('trailing newlines, as Ansible renders them', function () {
    it('an included template loses its last newline; the top-level template keeps the ones it ends with', function () {
      expect(render("a{% include 'part.j2' %}b\n", { x: 1 })).to.equal('arole part 1b\n');
      expect(render('{% if true %}a{% endif %}\n')).to.equal('a\n');
      expect(t.renderString('{% if true %}a{% endif %}\n\n', {})).to.equal('a\n\n');
      expect(render('x\n\n')).to.equal('x\n\n');
    });
  });

  describe('errors', function () {
    it('a missing template: at the include tag, naming it and the directories searched', function () {
      const err = errorOf(() => render("line\n  {% include 'nope.j2' %}"));
      expect(err.pos).to.deep.equal({ file: main, line: 2, col: 6 });
      expect(err.message).to.contain("template 'nope.j2' not found (searched ");
      expect(err.message).to.contain(`${join(role, 'templates')}, ${role}, `);
      expect(errorOf(() => render("{% include ['a.j2', 'b.j2'] %}")).message).to.match(/^none of the templates given were found: a\.j2, b\.j2 \(searched /);
      expect(errorOf(() => render("{% extends 'nope.j2' %}")).message).to.match(/^template 'nope\.j2' not found/);
      expect(errorOf(() => render("{% import 'nope.j2' as m %}")).message).to.match(/^template 'nope\.j2' not found/);
    });

    it('ignore missing passes over a missing one, not over an error inside one found', function () {
      expect(render("a{% include 'nope.j2' ignore missing %}b")).to.equal('ab');
      expect(errorOf(() => render("{% include 'bad.j2' ignore missing %}")).pos).to.include({ line: 2, col: 4 });
    });

    it("an error inside an included template: at its own line, with the include that led there", function () {
      const err = errorOf(() => render("first\n{% include 'bad.j2' %}"));
      expect(err.pos).to.deep.equal({ file: join(role, 'templates', 'bad.j2'), line: 2, col: 4 });
      expect(err.message).to.equal(`'nope' is undefined (included from ${main}:2:4)`);
      expect(err.variable).to.equal('nope');
      const syntax = errorOf(() => render("{% include 'syntax.j2' %}"));
      expect(syntax.pos).to.include({ file: join(role, 'templates', 'syntax.j2'), line: 2 });
      expect(syntax.message).to.match(/^template syntax error: /);
    });

    it("an undefined value made in the includer fails at the includer's line, where it was written", function () {
      const err = errorOf(() => render("{% set v = undefined_thing %}\n{% include 'shared.j2' %}{{ v }}", { x: 1 }));
      expect(err.pos).to.deep.equal({ file: main, line: 1, col: 12 });
    });

    it("an imported macro's error is placed in the file that defines it", function () {
      const err = errorOf(() => render("{% import 'macros.j2' as lib %}\n{{ lib.m() }}"));
      expect(err.pos).to.deep.equal({ file: join(role, 'templates', 'macros.j2'), line: 2, col: 4 });
    });

    it('templates including themselves stop with the chain, not a stack overflow', function () {
      const err = errorOf(() => render("{% include 'self.j2' %}"));
      expect(err.message).to.match(/^templates include, extend or import each other more than 100 deep: self\.j2 -> self\.j2/);
      expect(err.message).to.match(/, and \d+ more\)$/);
    });

    it("refuses what Jinja refuses: extending twice, extends out of the top level, a block twice, a required block left empty", function () {
      expect(errorOf(() => render("{% include 'twice.j2' %}")).message).to.match(/^extended multiple times/);
      expect(errorOf(() => render("{% for i in [1] %}{% extends 'part.j2' %}{% endfor %}")).message).to.equal('template syntax error: cannot use extend from a non top-level scope');
      expect(errorOf(() => render('{% block a %}{% endblock %}\n{% block a %}{% endblock %}')).pos).to.include({ line: 2, col: 4 });
      expect(errorOf(() => render("{% extends 'required.j2' %}")).message).to.match(/^Required block 'body' not found/);
      expect(errorOf(() => render('{% block a %}{{ super() }}{% endblock %}')).message).to.equal("there is no parent block called 'a'.");
      expect(errorOf(() => render('{% block a %}{% endblock b %}')).message).to.match(/closes block 'a'/);
    });
  });

  describe('validation (checkTemplate)', function () {
    const check = (text: string, reads?: { name: string; pos: SourcePos }[]): Problem[] => {
      const file = write('roles/web/templates/checked.j2', text);
      return t.checkTemplate(text, file, reads ? (found) => reads.push(...found) : undefined, { searchPath });
    };

    it("checks what a literal name includes, extends or imports, each problem at the included file's line", function () {
      write('roles/web/templates/p1.j2', 'ok\n{{ a | lowr }}\n');
      write('roles/web/templates/p2.j2', "{% extends 'p3.j2' %}\n");
      write('roles/web/templates/p3.j2', '\n\n{{ b is defind }}');
      write('roles/web/templates/p4.j2', '{% macro m() %}{{ x }{% endmacro %}');
      const problems = check("{% include 'p1.j2' %}\n{% include ['none.j2', 'p2.j2'] %}\n{% from 'p4.j2' import m %}");
      expect(problems.map((p) => [p.file.slice(role.length + 1), p.line, p.message])).to.deep.equal([
        ['templates/p1.j2', 2, "unknown filter 'lowr'"],
        ['templates/p3.j2', 3, "unknown test 'defind'"],
        ['templates/p4.j2', 1, "template syntax error: expected '}}' to end the expression"],
      ]);
    });

    it('reports a literal name found nowhere, at its tag, with the search path; not one under ignore missing, nor a name known only when rendering', function () {
      const problems = check("a\n {% include 'gone.j2' %}\n{% include 'gone.j2' ignore missing %}{% include name_var %}{% include ['g1', 'g2'] %}");
      expect(problems.map((p) => [p.line, p.col, p.message])).to.deep.equal([
        [2, 5, "included template 'gone.j2' not found"],
        [3, 64, "included none of the templates 'g1', 'g2' found"],
      ]);
      expect(problems[0]!.expected).to.equal(`a file under one of ${[...new Set(searchPath)].join(', ')}`);
    });

    it("reads names in the included templates at their lines; what the includer binds counts as bound there", function () {
      write('roles/web/templates/uses.j2', '{{ user.name }}\n{{ other }}');
      const reads: { name: string; pos: SourcePos }[] = [];
      check("{% for user in users %}{% include 'uses.j2' %}{% endfor %}", reads);
      expect(reads.map((r) => [r.name, r.pos.file.slice(role.length + 1), r.pos.line])).to.deep.equal([
        ['users', 'templates/checked.j2', 1],
        ['other', 'templates/uses.j2', 2],
      ]);
    });

    it("binds import targets and imported names, and knows self and block names for no variables", function () {
      write('roles/web/templates/lib.j2', '{% macro f() %}{% endmacro %}');
      const reads: { name: string; pos: SourcePos }[] = [];
      expect(check("{% import 'lib.j2' as lib %}{% from 'lib.j2' import f as g %}{{ lib.f() }}{{ g() }}{% block content %}{{ self.content() }}{% endblock %}", reads)).to.deep.equal([]);
      expect(reads).to.deep.equal([]);
    });

    it('checks a file once: one checked before (`checked`) is not reported again', function () {
      write('roles/web/templates/once.j2', '{{ a | nofilter }}');
      const checked = new Set<string>();
      const file = join(role, 'templates', 'top.j2');
      const first = t.checkTemplate("{% include 'once.j2' %}", file, undefined, { searchPath, checked });
      const second = t.checkTemplate("{% include 'once.j2' %}", join(role, 'templates', 'other.j2'), undefined, { searchPath, checked });
      expect([first.length, second.length]).to.deep.equal([1, 0]);
    });
  });
});

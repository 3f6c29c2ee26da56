/** Rules between a module's arguments (Ansible's argument_spec rules), reported before connecting at the task's line. */
import { expect } from 'chai';
import { validateRun } from '../../lib/engine/index.js';
import { findModule } from '../../lib/modules/index.js';
import { checkRules } from '../../lib/modules/rules.js';
import { checkModuleArgs } from '../../lib/playbook/module-args.js';
import { ProblemError, formatProblem } from '../../lib/source/index.js';

const fixture = 'spec/fixtures/argument-rules.yml';

describe('argument rules', () => {
  it('reports every broken rule of a playbook at once, at its line and column', async () => {
    const error = await validateRun({ playbook: fixture }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ProblemError);
    expect((error as ProblemError).problems.map(formatProblem)).to.deep.equal([
      `${fixture}:4:13 error: module copy: one of the following is required: content, src`,
      `${fixture}:5:43 error: module lineinfile: parameters are mutually exclusive: insertbefore|insertafter`,
      `${fixture}:6:19 error: module lineinfile: state is present but all of the following are missing: line`,
      `${fixture}:7:16 error: module service: one of the following is required: state, enabled`,
      `${fixture}:8:23 error: module debug: parameters are mutually exclusive: msg|var`,
    ]);
  });

  it('refuses meta: refresh_inventory before connecting rather than doing nothing', () => {
    const meta = findModule('meta')!;
    expect(checkModuleArgs(meta, { free_form: 'refresh_inventory' }, { file: 'p.yml', line: 3, col: 7 }).map(formatProblem)).to.deep.equal([
      'p.yml:3:7 error: module meta: refresh_inventory is not supported by typebook: the inventory is read once, before the run',
    ]);
    expect(checkModuleArgs(meta, { free_form: 'flush_handlers' }, { file: 'p.yml', line: 3, col: 7 })).to.deep.equal([]);
  });

  it('refuses copy with remote_src before connecting, not on the host', () => {
    const copy = findModule('copy')!;
    expect(checkModuleArgs(copy, { src: '/etc/hostname', dest: '/tmp/x', remote_src: true }, { file: 'p.yml', line: 3, col: 7 }).map(formatProblem)).to.deep.equal([
      'p.yml:3:7 error: module copy: remote_src is not supported by typebook: copy the file with a command, or from the controller',
    ]);
    expect(checkModuleArgs(copy, { src: 'a', dest: '/tmp/x', remote_src: false }, { file: 'p.yml', line: 3, col: 7 })).to.deep.equal([]);
  });

  it('waits for rendering where a template decides, and checks again after it', () => {
    const rules = { mutually_exclusive: [['a', 'b']], required_if: [['state', 'present', ['value']]] } as const;
    expect(checkRules(rules, { a: 1, b: '{{ x }}' }, {}, false)).to.deep.equal([]);
    expect(checkRules(rules, { a: 1, b: 2 }, {}, true).map((b) => b.message)).to.deep.equal(['parameters are mutually exclusive: a|b']);
    expect(checkRules(rules, { state: '{{ s }}' }, {}, false)).to.deep.equal([]);
    // Ansible applies defaults before required_if
    expect(checkRules(rules, {}, { state: 'present' }, true).map((b) => b.message)).to.deep.equal(['state is present but all of the following are missing: value']);
  });
});

/** The line output: a module's warnings as Ansible's default callback prints them. */
import { expect } from 'chai';
import type { HostResultEvent } from '../../lib/engine/index.js';
import { lineRenderer } from '../../lib/output/index.js';

describe('line output', () => {
  const result = (status: HostResultEvent['status'], result: Record<string, unknown>): HostResultEvent => ({ type: 'host_result', task: 't', id: 1, host: 'web1', status, changed: status === 'changed', result, durationMs: 1 });

  it("prints a module's warnings before its host line, and not again inside a result", () => {
    const lines: string[] = [];
    const render = lineRenderer({ write: (t) => lines.push(t), color: false, verbosity: 1, diff: false });
    render(result('ok', { changed: false, warnings: ['Target is a chroot', 'second'], name: 'x' }));
    render(result('failed', { failed: true, warnings: ['before the failure'], rc: 3 }));
    expect(lines.join('')).to.equal(
      '[WARNING]: Target is a chroot\n[WARNING]: second\nok: [web1] => {"name":"x"}\n[WARNING]: before the failure\nfatal: [web1]: FAILED! => {"failed":true,"rc":3}\n',
    );
  });
});

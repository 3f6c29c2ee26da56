/**
 * The live tree on a real terminal: the built command run in a pseudo-terminal (util-linux `script`), its
 * output replayed through a small terminal model (the cursor moves and erasures listr2 and log-update use), and
 * the final screen checked: what the line output prints under each result (diffs, debug messages, loop items,
 * failures) stays on screen under its task.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = new URL('../../dist/cli/typebook.js', import.meta.url).pathname;

/** The screen a terminal shows after `output`: text, CR/LF, and the CSI sequences A, G, K, J, m, ?25h/l. */
function screen(output: string): string[] {
  const rows: string[] = [''];
  let row = 0;
  let col = 0;
  const put = (ch: string) => {
    const line = rows[row]!.padEnd(col, ' ');
    rows[row] = line.slice(0, col) + ch + line.slice(col + 1);
    col++;
  };
  for (let i = 0; i < output.length; i++) {
    const ch = output[i]!;
    if (ch === '\u001b' && output[i + 1] === '[') {
      const m = /^\u001b\[(\??)(\d*)(?:;\d+)*([A-Za-z])/.exec(output.slice(i));
      if (!m) continue;
      i += m[0].length - 1;
      const n = m[2] === '' ? 1 : Number(m[2]);
      if (m[1] === '?') continue;
      if (m[3] === 'A') row = Math.max(0, row - n);
      else if (m[3] === 'G') col = n - 1;
      else if (m[3] === 'K') rows[row] = m[2] === '2' ? '' : rows[row]!.slice(0, col);
      else if (m[3] === 'J') rows.splice(row + 1);
    } else if (ch === '\n') {
      row++;
      col = 0;
      if (rows.length <= row) rows.push('');
    } else if (ch === '\r') col = 0;
    else put(ch);
  }
  return rows.map((r) => r.trimEnd()).filter((r, i, all) => r !== '' || all.slice(i).some((x) => x !== ''));
}

describe('the live tree on a terminal', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'typebook-tree-'));
    writeFileSync(join(dir, 'inventory.yml'), 'all:\n  hosts:\n    local: {ansible_connection: local}\n');
    writeFileSync(join(dir, 'before.txt'), 'line one\nline two\n');
    writeFileSync(
      join(dir, 'site.yml'),
      `- hosts: all
  gather_facts: false
  tasks:
    - name: write
      copy:
        content: "line one\\nline 2\\n"
        dest: ${join(dir, 'before.txt')}
    - name: say
      debug:
        msg: hello from the tree
    - name: items
      debug:
        msg: "{{ item }}"
      loop: [a, b]
    - name: break
      command: "false"
      ignore_errors: true
`,
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps diffs, debug messages, loop items and failures under each host', () => {
    const command = `${JSON.stringify(process.execPath)} ${cli} run ${join(dir, 'site.yml')} -i ${join(dir, 'inventory.yml')} --diff`;
    const run = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', timeout: 50_000, env: { ...process.env, TERM: 'xterm', NO_COLOR: '1' } });
    expect(run.status, run.stdout).to.equal(0);
    const shown = screen(run.stdout);
    const at = (text: string) => shown.findIndex((l) => l.includes(text));
    for (const text of ['TASK [write]', '-line two', '+line 2', 'TASK [say]', '{"msg":"hello from the tree"}', 'TASK [items]', 'ok (item=a) => {"msg":"a"}', 'ok (item=b) => {"msg":"b"}', 'TASK [break]', 'failed (ignored): non-zero return code', 'PLAY RECAP']) {
      expect(at(text), `${text} is not on the screen:\n${shown.join('\n')}`).to.be.at.least(0);
    }
    expect(at('TASK [write]')).to.be.below(at('+line 2'));
    expect(at('+line 2')).to.be.below(at('TASK [say]'));
    expect(at('TASK [say]')).to.be.below(at('hello from the tree'));
    expect(at('hello from the tree')).to.be.below(at('TASK [items]'));
  });
});

import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCommand } from '../../lib/modules/file-state.js';

/*
 * The file modules read a host's files with one program that has two forms: Python, run by the host's
 * executor, and a shell script for hosts without python3. Both must answer byte for byte the same.
 */
describe('file state reader: the Python program and its shell twin', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'typebook-reader-'));
    writeFileSync(join(dir, 'file'), 'some content\n');
    writeFileSync(join(dir, 'binary'), Buffer.from([0, 1, 2, 255, 10, 13]));
    writeFileSync(join(dir, 'empty'), '');
    writeFileSync(join(dir, '-dash'), 'dash\n');
    writeFileSync(join(dir, 'with space'), 'space\n');
    mkdirSync(join(dir, 'tree/sub/deeper'), { recursive: true });
    writeFileSync(join(dir, 'tree/sub/f'), 'x');
    chmodSync(join(dir, 'tree/sub/f'), 0o4751);
    mkdirSync(join(dir, 'emptydir'));
    symlinkSync(join(dir, 'file'), join(dir, 'link'));
    symlinkSync('missing-target', join(dir, 'dangling'));
    symlinkSync('tree', join(dir, 'dirlink'));
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    execFileSync('chown', ['65534:65534', join(dir, 'empty')]);
    execFileSync('chown', ['54321:54321', join(dir, 'binary')]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const paths = (): string[] => [
    'file', 'binary', 'empty', '-dash', 'with space', 'tree', 'tree/sub', 'tree/sub/f', 'emptydir', 'link', 'dangling',
    'dirlink', 'fifo', 'missing', 'missing/below', 'file/below', 'tree/sub/', '.', '/etc/hostname', '/',
  ].map((p) => (p.startsWith('/') || p === '.' ? p : join(dir, p)));

  const run = (opts: string, list: string[], form: 'python' | 'shell'): string => {
    const command = readCommand(opts, list);
    const argv = form === 'python' ? ['/usr/bin/python3', '-c', command.python, ...(command.args ?? [])] : (command.withoutPython as { argv: string[] }).argv;
    const out = execFileSync(argv[0]!, argv.slice(1), { cwd: dir, encoding: 'utf8' });
    // find and os.walk list a tree in different orders; the modules do not depend on it
    return out.split('\n').sort().join('\n');
  };

  for (const opts of ['-', 'cs-', 'dR-', 'csdR-']) {
    it(`answers the same with options ${JSON.stringify(opts)}`, () => {
      // not the whole file system
      const list = opts.includes('R') ? paths().filter((p) => p !== '/') : paths();
      expect(run(opts, list, 'python')).to.equal(run(opts, list, 'shell'));
    });
  }

  it('answers the same under another umask', () => {
    const under = (form: 'python' | 'shell'): string => {
      const command = readCommand('-', [join(dir, 'file')]);
      const inner = form === 'python' ? ['/usr/bin/python3', '-c', command.python, ...(command.args ?? [])] : (command.withoutPython as { argv: string[] }).argv;
      return execFileSync('/bin/sh', ['-c', 'umask 0077; exec "$@"', 'sh', ...inner], { encoding: 'utf8' });
    };
    expect(under('python')).to.equal(under('shell'));
    expect(under('python').split('\n')[0]).to.equal('0077');
  });
});

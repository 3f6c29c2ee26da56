/**
 * The file modules' shared pieces as pure logic (mode resolution, the reader's output, Python regexes on
 * bytes).
 */
import { expect } from 'chai';
import {
  attributeChange, parseReadOutput, pythonBytesRegex, resolveMode, toBinary, validateArgv,
} from '../../lib/modules/file-state.js';
import { checkedArgs } from './harness.js';
import copy from '../../lib/modules/copy.js';
import file from '../../lib/modules/file.js';

describe('file modules: shared pieces', () => {
  describe('resolveMode', () => {
    const file = { mode: 0o644, isDir: false };
    it('reads octal strings as Ansible does (int(mode, 8))', () => {
      expect(resolveMode('0644', file, 0o022)).to.equal(0o644);
      expect(resolveMode('644', file, 0o022)).to.equal(0o644);
      expect(resolveMode('0o755', file, 0o022)).to.equal(0o755);
      expect(resolveMode('01777', file, 0o022)).to.equal(0o1777);
    });
    it('takes a YAML integer as the number it is: 420 (YAML 0644) is 0o644, a bare 644 is 0o1204', () => {
      expect(resolveMode(420, file, 0o022)).to.equal(0o644);
      expect(resolveMode(644, file, 0o022)).to.equal(0o1204);
    });
    it('applies symbolic modes on the current bits', () => {
      expect(resolveMode('u=rw,g=r,o=', { mode: 0o777, isDir: false }, 0o022)).to.equal(0o640);
      expect(resolveMode('u+x', file, 0o022)).to.equal(0o744);
      expect(resolveMode('go-r', file, 0o022)).to.equal(0o600);
      expect(resolveMode('a+X', file, 0o022)).to.equal(0o644);
      expect(resolveMode('a+X', { mode: 0o744, isDir: false }, 0o022)).to.equal(0o755);
      expect(resolveMode('u=rwx,g=rx,o=rx', { mode: 0o700, isDir: true }, 0o022)).to.equal(0o755);
      expect(resolveMode('u=rw-x+X', { mode: 0o600, isDir: true }, 0o022)).to.equal(0o700);
      expect(resolveMode('g=u', { mode: 0o640, isDir: false }, 0o022)).to.equal(0o660);
      expect(resolveMode('u+s,o+t', file, 0o022)).to.equal(0o5644);
    });
    it('leaves the umask bits alone for a clause without users', () => {
      expect(resolveMode('+w', { mode: 0o444, isDir: false }, 0o022)).to.equal(0o644);
      expect(resolveMode('a+w', { mode: 0o444, isDir: false }, 0o022)).to.equal(0o666);
    });
    it('refuses what Ansible refuses', () => {
      expect(() => resolveMode('u=rw,z+x', file, 0o022)).to.throw(/bad symbolic permission for mode: z\+x/);
      expect(() => resolveMode('10000', file, 0o022)).to.throw(/only permission info/);
    });
  });

  it('compares owner and group by name or id', () => {
    const current = { mode: 0o644, isDir: false, uid: 0, gid: 0, owner: 'root', group: 'root' };
    expect(attributeChange({ owner: 'root', group: '0', mode: '0644' }, current, 0o022).before).to.deep.equal({});
    const change = attributeChange({ owner: 'nobody', mode: '0600' }, current, 0o022);
    expect(change).to.include({ owner: 'nobody', mode: 0o600 });
    expect(change.before).to.deep.equal({ owner: 'root', mode: '0644' });
  });

  it('parses the reader output: umask, stats, link, parent, sha1, bytes', () => {
    const output = [
      '0022', '=', 'l a1ff 0 0 4 1 12 root root', 't target', 'f 81a4 0 0 3 1 13 root root', 'r /etc/target', 'p directory',
      'h 0beec7b5ea3f0fdbc95d0dd47f3c5bc275da8a33', `b ${Buffer.from('foo').toString('base64')}`,
      '=', 'r /nope/x', 'p missing', '',
    ].join('\n');
    const state = parseReadOutput(output, ['/etc/link', '/nope/x']);
    expect(state.umask).to.equal(0o022);
    const [link, missing] = state.paths;
    expect(link!.lstat!.type).to.equal('link');
    expect(link!.stat).to.include({ type: 'file', mode: 0o644, owner: 'root', size: 3 });
    expect(link!.linkTarget).to.equal('target');
    expect(link!.content!.toString()).to.equal('foo');
    expect(missing!.lstat).to.equal(undefined);
    expect(missing!.parent).to.equal('missing');
  });

  it('translates Python regexes for bytes: $ before a final newline, . takes \\r', () => {
    const { regex } = pythonBytesRegex('^foo$');
    expect(regex.test('foo\n')).to.equal(true);
    expect(regex.test('foo\r\n')).to.equal(false);
    expect(pythonBytesRegex('^a.b').regex.test('a\rb')).to.equal(true);
    expect(pythonBytesRegex('[$]x').regex.test('$x')).to.equal(true);
    expect(pythonBytesRegex('^é$').regex.test(toBinary('é\n'))).to.equal(true);
    expect(pythonBytesRegex('(?m)^b$').multiline).to.equal(true);
  });

  it('builds the validate command with %s replaced, never through a shell', () => {
    expect(validateArgv("visudo -cf %s", '/etc/.x')).to.deep.equal(['visudo', '-cf', '/etc/.x']);
    expect(validateArgv("sh -c 'test -s \"$1\"' sh %s", '/a b')).to.deep.equal(['sh', '-c', 'test -s "$1"', 'sh', '/a b']);
  });

  it('validation refuses bad modes and unknown arguments with their names', () => {
    expect(() => checkedArgs(file, { path: '/x', mode: 'u=rwz' })).to.throw(/mode/);
    expect(() => checkedArgs(file, { path: '/x', mode: 70000 })).to.throw(/mode/);
    expect(() => checkedArgs(copy, { dest: '/x', content: 'a', mdoe: '0644' })).to.throw(/mdoe/);
    expect(checkedArgs(file, { path: '/x', mode: 'u+rw-x,g=u' })).to.include({ mode: 'u+rw-x,g=u' });
  });
});

/**
 * The file modules' shared pieces as pure logic (mode resolution, the reader's output, Python regexes on
 * bytes), and the helper the file module suites use to run Ansible itself against a lab host.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import type { Lab } from '../../lib/lab/index.js';
import {
  attributeChange, parseReadOutput, pythonBytesRegex, resolveMode, toBinary, validateArgv,
} from '../../lib/modules/file-state.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CountingConnection } from '../../lib/connection/index.js';
import type { ModuleDefinition } from '../../lib/modules/module.js';
import { labSsh } from '../lab/fixture.js';
import { checkedArgs, runModule } from './harness.js';
import copy from '../../lib/modules/copy.js';
import file from '../../lib/modules/file.js';

export interface AnsibleOutcome {
  status: string;
  result: Record<string, unknown>;
}

/** `ansible HOST -m MODULE -a JSON` on a lab host, parsed from the minimal callback's `host | STATUS => {json}`. */
export function runAnsible(lab: Lab, host: string, module: string, args: Record<string, unknown>, flags: string[] = []): Promise<AnsibleOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn('ansible', [host, '-i', lab.inventoryPath, '-m', module, '-a', JSON.stringify(args), ...flags], {
      env: ansibleEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      const m = /^(\S+) \| ([A-Z!]+) => (\{[\s\S]*\})\s*$/m.exec(out);
      if (!m) return reject(new Error(`unexpected ansible output:\n${out}\n${err}`));
      resolve({ status: m[2]!, result: JSON.parse(m[3]!) as Record<string, unknown> });
    });
  });
}

/** an empty ansible.cfg: ANSIBLE_CONFIG=/dev/null is refused by ansible-core 2.14 (no .cfg extension) */
const EMPTY_CONFIG = join(tmpdir(), 'typebook-empty-ansible.cfg');
writeFileSync(EMPTY_CONFIG, '');

function ansibleEnv(): NodeJS.ProcessEnv {
  return { ...process.env, ANSIBLE_CONFIG: EMPTY_CONFIG, ANSIBLE_HOST_KEY_CHECKING: 'True', ANSIBLE_NOCOLOR: '1', ANSIBLE_PYTHON_INTERPRETER: 'auto_silent' };
}

export interface OracleCase {
  name: string;
  /** the file before; undefined: no file */
  initial?: string;
  /** the module's arguments, without the path */
  args: Record<string, unknown>;
}

export interface OracleOutcome {
  name: string;
  /** base64 of the file after Ansible's run, '-' when there is none */
  ansible: string;
  typebook: string;
}

/**
 * The same cases run by Ansible (one ansible-playbook run, each case on its own file) and by typebook (each on
 * its own copy of the same file), then both files read back: byte-for-byte comparison.
 */
export async function oracle(lab: Lab, connection: CountingConnection, ansibleModule: string, module: ModuleDefinition, cases: OracleCase[]): Promise<OracleOutcome[]> {
  const dir = `/tmp/oracle-${module.name}`;
  const setup = [`rm -rf ${dir}`, `mkdir -p ${dir}/a ${dir}/t`];
  cases.forEach((c, i) => {
    if (c.initial !== undefined) {
      const b64 = Buffer.from(c.initial, 'utf8').toString('base64');
      setup.push(`printf %s '${b64}' | base64 -d > ${dir}/a/${i}`, `cp ${dir}/a/${i} ${dir}/t/${i}`);
    }
  });
  const prepared = await labSsh(lab, 'node1', setup.join(' && '));
  if (prepared.code !== 0) throw new Error(`oracle setup failed: ${prepared.stderr}`);
  const local = mkdtempSync(join(tmpdir(), 'typebook-oracle-'));
  try {
    const tasks = cases.map((c, i) => ({ name: c.name, [ansibleModule]: { ...c.args, path: `${dir}/a/${i}` }, ignore_errors: true }));
    const playbook = join(local, 'oracle.yml');
    writeFileSync(playbook, JSON.stringify([{ hosts: 'node1', gather_facts: false, tasks }]));
    await new Promise<void>((resolve, reject) => {
      const child = spawn('ansible-playbook', ['-i', lab.inventoryPath, playbook], { env: ansibleEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (out += b.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 55_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        if (!/PLAY RECAP/.test(out) || /unreachable=[1-9]/.test(out) || code === null) reject(new Error(`ansible-playbook did not run:\n${out}`));
        else resolve();
      });
    });
  } finally {
    rmSync(local, { recursive: true, force: true });
  }
  for (const [i, c] of cases.entries()) await runModule(module, { ...c.args, path: `${dir}/t/${i}` }, connection);
  const read = await labSsh(lab, 'node1', cases.map((_c, i) => `for s in a t; do if [ -f ${dir}/$s/${i} ]; then base64 -w0 ${dir}/$s/${i}; else printf -; fi; echo; done`).join('; '));
  const lines = read.stdout.split('\n');
  return cases.map((c, i) => ({ name: c.name, ansible: lines[2 * i]!, typebook: lines[2 * i + 1]! }));
}

/** Decoded text of an oracle side, for a readable assertion message. */
export function oracleText(b64: string): string {
  return b64 === '-' ? '(no file)' : Buffer.from(b64, 'base64').toString('utf8');
}

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

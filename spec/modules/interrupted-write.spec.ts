/**
 * A write cut off half way (the controller killed, the connection dropped) must leave the old file or the
 * complete new one, never a part: the host-side script verifies size and SHA-256 before it installs anything.
 * Locally through the file modules' writer, then with the built command killed by SIGKILL in mid-copy, on this
 * machine and over SSH on a lab host.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, type CountingConnection } from '../../lib/connection/index.js';
import { writeFileOnHost } from '../../lib/modules/file-state.js';
import { labSsh, useLab } from '../lab/fixture.js';
import { moduleContext } from './harness.js';

const cli = 'dist/cli/typebook.js';

/** The local connection, with what reaches the script's stdin changed by `damage` (a cut or a flipped byte). */
function damaging(damage: (data: Buffer) => Buffer): CountingConnection {
  const local = createConnection('localhost', { ansible_connection: 'local' });
  return new Proxy(local, {
    get(target, property, receiver) {
      if (property !== 'run') return Reflect.get(target, property, receiver) as unknown;
      return (command: Parameters<CountingConnection['run']>[0], options: Parameters<CountingConnection['run']>[1] = {}) =>
        target.run(command, { ...options, stdin: damage(Buffer.from(options.stdin ?? '')) });
    },
  });
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `dir` (bounded) until a temp file of `name` holds some but not all of `size` bytes; its mode then. */
async function waitForPartialTemp(dir: string, name: string, size: number, limitMs: number): Promise<number | undefined> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    for (const entry of await fs.readdir(dir).catch(() => [])) {
      if (!entry.startsWith(`.${name}.typebook.`)) continue;
      const st = await fs.stat(join(dir, entry)).catch(() => undefined);
      if (st && st.size > 0 && st.size < size) return st.mode & 0o7777;
    }
    await sleep(2);
  }
  return undefined;
}

/** Polls (bounded) until no temp file of `name` is left in `dir`; the names still there. */
async function waitForNoTemp(dir: string, name: string, limitMs: number): Promise<string[]> {
  const end = Date.now() + limitMs;
  let left: string[] = [];
  do {
    left = (await fs.readdir(dir)).filter((entry) => entry.startsWith(`.${name}.typebook.`));
    if (left.length === 0) return left;
    await sleep(50);
  } while (Date.now() < end);
  return left;
}

/**
 * Runs the built command on a playbook that copies `source` to `dest`, kills it with SIGKILL as soon as the
 * temp file next to `watchDir/name` is partly written; the mode the temp file had then.
 */
async function killMidCopy(work: string, inventory: string, source: string, dest: string, watchDir: string, name: string, size: number): Promise<number> {
  const playbook = join(work, 'copy.yml');
  await fs.writeFile(playbook, `- hosts: all\n  gather_facts: false\n  tasks:\n    - copy: {src: ${JSON.stringify(source)}, dest: ${JSON.stringify(dest)}, mode: "0644"}\n`);
  const child = spawn(process.execPath, [cli, 'run', playbook, '-i', inventory], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const mode = await waitForPartialTemp(watchDir, name, size, 60_000);
    expect(mode, 'a partly written temp file was seen before the kill').to.not.equal(undefined);
    child.kill('SIGKILL');
    return mode!;
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

describe('an interrupted write', function () {
  this.timeout(120_000);
  let work: string;
  beforeEach(async () => (work = await fs.mkdtemp(join(tmpdir(), 'typebook-write-'))));
  afterEach(async () => fs.rm(work, { recursive: true, force: true }));

  it('installs nothing when fewer bytes arrive than were sent, and leaves no temp file', async () => {
    const target = join(work, 'conf');
    await fs.writeFile(target, 'old\n');
    const connection = damaging((data) => data.subarray(0, data.length >> 1));
    const outcome = await writeFileOnHost(moduleContext(connection), { path: target, data: Buffer.from('new content\n'.repeat(1000)), mode: 0o644 });
    expect(outcome.ok).to.equal(false);
    expect(outcome.ok ? '' : outcome.msg).to.match(/only 6000 of 12000 bytes arrived.*nothing was replaced/);
    expect(await fs.readFile(target, 'utf8')).to.equal('old\n');
    expect(await fs.readdir(work)).to.deep.equal(['conf']);
  });

  it('installs nothing when the bytes arrive damaged', async () => {
    const target = join(work, 'conf');
    const connection = damaging((data) => Buffer.concat([data.subarray(0, 3), Buffer.from('X'), data.subarray(4)]));
    const outcome = await writeFileOnHost(moduleContext(connection), { path: target, data: Buffer.from('new content\n'), mode: 0o600 });
    expect(outcome.ok ? '' : outcome.msg).to.match(/SHA-256 mismatch/);
    expect(await fs.readdir(work)).to.deep.equal([]);
  });

  it('gives the validate command the temp file, wherever %s stands in its words', async () => {
    const target = join(work, 'conf');
    const seen = join(work, 'seen');
    const connection = createConnection('localhost', { ansible_connection: 'local' });
    const outcome = await writeFileOnHost(moduleContext(connection), {
      path: target, data: Buffer.from('checked\n'), mode: 0o640,
      validate: `sh -c 'cat "\${1#--file=}" > "$2"; case $1 in --file=*/.conf.typebook.*) exit 0;; esac; exit 1' v --file=%s ${seen}`,
    });
    expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
    expect(await fs.readFile(seen, 'utf8')).to.equal('checked\n');
    expect(await fs.readFile(target, 'utf8')).to.equal('checked\n');
  });

  it('leaves the old file when typebook is killed in mid-copy on this machine; the temp file was never readable by others', async () => {
    const size = 400 * 1024 * 1024;
    const source = join(work, 'big');
    await fs.writeFile(source, Buffer.alloc(size, 'x'));
    const dest = join(work, 'dest');
    await fs.mkdir(dest);
    await fs.writeFile(join(dest, 'target'), 'old\n');
    const inventory = join(work, 'inventory.yml');
    await fs.writeFile(inventory, 'all:\n  hosts:\n    localhost:\n      ansible_connection: local\n');
    const mode = await killMidCopy(work, inventory, source, join(dest, 'target'), dest, 'target', size);
    expect(mode & 0o077, 'temp file mode').to.equal(0);
    expect(await waitForNoTemp(dest, 'target', 10_000)).to.deep.equal([]);
    expect(await fs.readFile(join(dest, 'target'), 'utf8')).to.equal('old\n');
  });

  describe('over SSH', () => {
    const fixture = useLab({ hosts: 1, name: 'spec-write' });

    it('leaves the old file when typebook is killed in mid-copy', async () => {
      const lab = fixture.lab;
      const size = 200 * 1024 * 1024;
      const source = join(work, 'big');
      await fs.writeFile(source, randomBytes(size));
      // what the host writes lands in its overlay's upper layer, visible from here
      const upper = join(lab.dir, 'hosts', 'node1', 'upper');
      const inventory = join(work, 'inventory.yml');
      await fs.copyFile(lab.inventoryPath, inventory);
      expect((await labSsh(lab, 'node1', 'mkdir -p /srv && echo old > /srv/target')).code).to.equal(0);
      const mode = await killMidCopy(work, inventory, source, '/srv/target', join(upper, 'srv'), 'target', size);
      expect(mode & 0o077, 'temp file mode').to.equal(0);
      expect(await waitForNoTemp(join(upper, 'srv'), 'target', 20_000)).to.deep.equal([]);
      expect((await labSsh(lab, 'node1', 'cat /srv/target; ls -A /srv')).stdout).to.equal('old\ntarget\n');
    });
  });
});

/**
 * Paths reach host commands as paths, never as options or as several words: a relative path that starts with
 * `-` (find read `-delete` as its action), and `creates:`/`removes:` with spaces (split into words before).
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from '../../lib/connection/index.js';
import command from '../../lib/modules/command.js';
import file from '../../lib/modules/file.js';
import { runModule } from './harness.js';

describe('paths on the host', function () {
  this.timeout(30_000);
  const local = createConnection('localhost', { ansible_connection: 'local' });
  const home = process.cwd();
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'typebook-paths-'));
    process.chdir(dir);
  });
  afterEach(async () => {
    process.chdir(home);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a relative path starting with - is a file name, in check mode and for real', async () => {
    await fs.writeFile(join(dir, 'precious'), 'keep\n');
    const args = { path: '-delete', state: 'directory', recurse: true, mode: '0750' };
    const checked = await runModule(file, args, local, { check: true });
    expect(checked.changed).to.equal(true);
    expect(await fs.readdir(dir)).to.deep.equal(['precious']);
    const done = await runModule(file, args, local);
    expect(done.failed ?? false, String(done.msg)).to.equal(false);
    expect((await fs.readdir(dir)).sort()).to.deep.equal(['-delete', 'precious']);
    expect((await fs.stat(join(dir, '-delete'))).mode & 0o777).to.equal(0o750);
    expect((await runModule(file, args, local)).changed).to.equal(false);
    expect(await fs.readFile(join(dir, 'precious'), 'utf8')).to.equal('keep\n');
  });

  it('creates and removes take a path with spaces as one path (a glob, as Python\'s glob.glob)', async () => {
    await fs.mkdir(join(dir, 'My'));
    const flag = join(dir, 'My App', 'flag');
    const ran = await runModule(command, { cmd: 'true', creates: flag }, local);
    expect(ran.rc).to.equal(0);
    expect(ran.changed, 'the command ran').to.equal(true);
    const skipped = await runModule(command, { cmd: 'true', removes: flag }, local);
    expect(skipped.msg).to.equal('Did not run command since path does not exist');
    await fs.mkdir(join(dir, 'My App'));
    await fs.writeFile(flag, '');
    expect((await runModule(command, { cmd: 'true', creates: join(dir, 'My App', 'fl*') }, local)).msg).to.equal('Did not run command since path exists');
  });
});

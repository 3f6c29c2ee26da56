/**
 * As a new user would: `typebook lab up 3`, `typebook run PLAYBOOK -i <the inventory it wrote>`, then
 * `typebook lab down`, which leaves nothing behind. The built command, on plain Node.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { labDown } from '../../lib/lab/index.js';
import { labLayout } from '../../lib/lab/layout.js';
import { testLabName } from '../lab/fixture.js';

const name = testLabName('spec-e2e-cli');

function typebook(args: string[]) {
  const result = spawnSync(process.execPath, ['dist/cli/typebook.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 300_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the lab from the command line', function () {
  this.timeout(300_000);
  // whatever happens in the test, the lab goes down
  after(async () => void (await labDown({ name })));

  it('comes up, runs a playbook, and goes down leaving nothing behind', () => {
    const up = typebook(['lab', 'up', '3', '--name', name]);
    expect(up.code, up.stderr).to.equal(0);
    const inventory = /(\S+inventory\.yml)/.exec(up.stdout)?.[1];
    expect(inventory, up.stdout).to.be.a('string');

    const run = typebook(['run', 'playbooks/lab-smoke.yml', '-i', inventory!]);
    expect(run.code, run.stdout + run.stderr).to.equal(0);
    expect(run.stdout).to.match(/^node3 +: ok=4 +changed=0 +unreachable=0 +failed=0/m);
    expect(run.stdout).to.contain('service manager sysvinit');

    const layout = labLayout(name);
    const down = typebook(['lab', 'down', '--name', name]);
    expect(down.code, down.stderr).to.equal(0);
    const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout;
    expect(links).not.to.contain(`tb${layout.octet}-`);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.to.contain(layout.dir);
    expect(existsSync(layout.dir)).to.equal(false);
    const status = typebook(['lab', 'status', '--name', name]);
    expect(status.code).to.not.equal(0);
  });
});

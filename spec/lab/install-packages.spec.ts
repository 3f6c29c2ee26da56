/**
 * lib/lab/install-packages.sh, the README's first step: it installs with services kept from starting (so that
 * openssh-server starts no sshd on this machine) and removes its guard afterwards. Run here with a stand-in
 * apt-get on PATH that records what it was asked and whether the guard was in place.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const script = new URL('../../lib/lab/install-packages.sh', import.meta.url).pathname;
const GUARD = '/usr/sbin/policy-rc.d';

describe('the lab package installer', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'typebook-install-'));
    writeFileSync(join(dir, 'apt-get'), `#!/bin/sh\n{ echo "apt-get $*"; if [ -x ${GUARD} ] && ! ${GUARD}; then echo guarded; fi; } >> ${join(dir, 'log')}\n`);
    chmodSync(join(dir, 'apt-get'), 0o755);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('installs the lab packages and those named after them, with services kept from starting, and leaves no guard', function () {
    // skipped: a machine with its own policy-rc.d keeps it: the script adds no guard to check
    if (existsSync(GUARD)) this.skip();
    const run = spawnSync('sh', [script, 'ansible'], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
    expect(run.status, run.stderr).to.equal(0);
    const log = readFileSync(join(dir, 'log'), 'utf8').split('\n');
    expect(log.slice(0, 4)).to.deep.equal(['apt-get update -qq', 'guarded', log[2], 'guarded']);
    expect(log[2]).to.match(/^apt-get install -y -qq --no-install-recommends openssh-server openssh-client .* ansible$/);
    expect(existsSync(GUARD)).to.equal(false);
  });
});

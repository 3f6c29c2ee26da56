/** ansible-playbook on lab hosts, for the specs that compare a run of it with typebook's. */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import type { Lab } from '../../lib/lab/index.js';

/** Runs `playbook` limited to one host and gives its PLAY RECAP line as counts (ok, changed, failed...). */
export function ansiblePlaybookRecap(lab: Lab, playbook: string, limit: string, config: string): Record<string, number> {
  const run = spawnSync('ansible-playbook', ['-i', lab.inventoryPath, '--limit', limit, playbook], {
    encoding: 'utf8',
    env: { ...process.env, ANSIBLE_CONFIG: config, ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0' },
    timeout: 300_000,
  });
  expect(run.status, run.stdout + run.stderr).to.equal(0);
  const line = new RegExp(`^${limit}\\s+:\\s+(.*)$`, 'm').exec(run.stdout)?.[1];
  expect(line, run.stdout).to.be.a('string');
  return Object.fromEntries([...line!.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
}

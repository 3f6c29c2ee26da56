/**
 * The executor's test playbooks over real SSH against lab hosts (2 and 10), and the per-host failures a
 * real network gives: a host key mismatch, a stopped sshd, a wrong key, a connection lost in mid-task.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { runPlaybook, type HostResultEvent, type RunEvent } from '../../lib/engine/index.js';
import { labLayout } from '../../lib/lab/layout.js';
import type { Lab } from '../../lib/lab/index.js';
import { executorSuite, fixtures } from '../engine/executor-suite.js';
import { labSsh, useLab } from '../lab/fixture.js';

/** the playbooks' host names and variables (as in spec/fixtures/engine/inventory.yml) */
const named = [
  { name: 'web1', group: 'web', vars: { role_color: 'red', weight: 1 } },
  { name: 'web2', group: 'web', vars: { role_color: 'blue', weight: 2 } },
  { name: 'web3', group: 'web', vars: { role_color: 'green', weight: 3 } },
  { name: 'db1', group: 'db', vars: { role_color: 'black', weight: 4 } },
];

/** The lab's connection variables, from the inventory `lab up` wrote. */
function labVars(lab: Lab): Record<string, unknown> {
  const inventory = parse(readFileSync(lab.inventoryPath, 'utf8')) as { all: { children: { lab: { vars: Record<string, unknown> } } } };
  const { ansible_user, ansible_ssh_private_key_file, ansible_ssh_common_args } = inventory.all.children.lab.vars;
  return { ansible_user, ansible_ssh_private_key_file, ansible_ssh_common_args };
}

/** An inventory placing the playbooks' hosts on the lab's nodes, round robin. */
function writeInventory(dir: string, lab: Lab, extra: Record<string, Record<string, unknown>> = {}): { path: string; nodeOf: Map<string, string> } {
  const nodeOf = new Map<string, string>();
  const groups: Record<string, { hosts: Record<string, unknown> }> = { web: { hosts: {} }, db: { hosts: {} } };
  named.forEach((h, i) => {
    const node = lab.hosts[i % lab.hosts.length]!;
    nodeOf.set(h.name, node.name);
    groups[h.group]!.hosts[h.name] = { ansible_host: node.address, ...h.vars, ...(extra[h.name] ?? {}) };
  });
  const path = join(dir, 'inventory.yml');
  writeFileSync(path, stringify({ all: { vars: labVars(lab), children: groups } }));
  return { path, nodeOf };
}

function suiteOver(hosts: number, name: string): void {
  describe(`the executor over SSH on ${hosts} lab hosts`, function () {
    this.timeout(60_000);
    const fixture = useLab({ hosts, name });
    const local = mkdtempSync(join(tmpdir(), `typebook-${name}-`));
    let inventory = '';
    let nodeOf = new Map<string, string>();
    before(() => ({ path: inventory, nodeOf } = writeInventory(local, fixture.lab)));
    after(() => rmSync(local, { recursive: true, force: true }));
    let counter = 0;
    if (hosts >= 10) {
      it(`runs on all ${hosts} hosts at once`, async () => {
        const path = join(local, 'all.yml');
        const colors = ['red', 'blue', 'green', 'black'];
        const web = Object.fromEntries(fixture.lab.hosts.map((h, i) => [h.name, { ansible_host: h.address, role_color: colors[i % 4], weight: i + 1 }]));
        writeFileSync(path, stringify({ all: { vars: labVars(fixture.lab), children: { web: { hosts: web } } } }));
        const result = await runPlaybook({ playbook: join(fixtures, 'basics.yml'), inventory: [path] });
        expect(result.exitCode).to.equal(0);
        expect(Object.keys(result.stats)).to.have.length(hosts);
        for (const stats of Object.values(result.stats)) expect(stats).to.include({ failed: 0, unreachable: 0 });
      });
    }
    executorSuite({
      inventory: () => [inventory],
      readLines: async (host, path) => {
        const out = await labSsh(fixture.lab, nodeOf.get(host)!, `cat ${path} 2>/dev/null || true`);
        return out.stdout.trim() === '' ? [] : out.stdout.trim().split('\n');
      },
      scratch: () => {
        const path = `/tmp/typebook-e2e-${++counter}`;
        for (const node of fixture.lab.hosts) spawnSync('ssh', ['-i', fixture.lab.privateKeyPath, '-o', `UserKnownHostsFile=${fixture.lab.knownHostsPath}`, '-o', 'BatchMode=yes', `root@${node.address}`, `mkdir -p ${path}`]);
        return path;
      },
    });
  });
}

suiteOver(2, 'spec-e2e-2');
suiteOver(10, 'spec-e2e-10');

describe('per-host failures over SSH', function () {
  this.timeout(90_000);
  const fixture = useLab({ hosts: 3, name: 'spec-e2e-fail' });
  let dir = '';
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'typebook-e2e-fail-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** runs a playbook of spec/fixtures/engine on node1..node3 (in groups web and db, for hosts: web1) with per-host overrides */
  async function runWith(overrides: Record<string, Record<string, unknown>>, playbook = 'unreachable.yml', ssh = {}) {
    const lab = fixture.lab;
    const hosts = Object.fromEntries(lab.hosts.map((h) => [h.name, { ansible_host: h.address, ...(overrides[h.name] ?? {}) }]));
    const path = join(dir, 'inventory.yml');
    // slow.yml runs on `web1`: here a group of every node
    writeFileSync(path, stringify({ all: { vars: labVars(lab), hosts, children: { web1: { hosts: Object.fromEntries(lab.hosts.map((h) => [h.name, null])) } } } }));
    const events: RunEvent[] = [];
    const result = await runPlaybook({ playbook: join(fixtures, playbook), inventory: [path], onEvent: (e) => events.push(e), ssh });
    const results = events.filter((e): e is HostResultEvent => e.type === 'host_result');
    return { result, results, of: (host: string, task: string) => results.find((r) => r.host === host && r.task === task) };
  }

  it('fails a host whose key does not match known_hosts, showing the fingerprint; the others finish', async () => {
    // node2's address pinned to node1's key
    const lines = readFileSync(fixture.lab.knownHostsPath, 'utf8').trim().split('\n');
    const node1Key = lines.find((l) => l.includes(fixture.lab.hosts[0]!.address))!.split(' ').slice(1).join(' ');
    const bad = join(dir, 'known_hosts');
    writeFileSync(bad, `${fixture.lab.hosts[1]!.address} ${node1Key}\n`);
    const { result, of } = await runWith({ node2: { ansible_ssh_common_args: `-o UserKnownHostsFile=${bad} -o StrictHostKeyChecking=yes` } });
    expect(of('node2', 'ping')!.status).to.equal('unreachable');
    expect(of('node2', 'ping')!.message).to.match(/host key/i).and.to.match(/SHA256:[A-Za-z0-9+/]{43}/);
    expect(of('node1', 'after')!.status).to.equal('ok');
    expect(of('node3', 'after')!.status).to.equal('ok');
    expect(result.exitCode).to.equal(4);
  });

  it('fails a host with the wrong key for authentication; the others finish', async () => {
    const key = join(dir, 'other_key');
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const { of } = await runWith({ node3: { ansible_ssh_private_key_file: key } }, 'unreachable.yml', { agentSocket: '' });
    expect(of('node3', 'ping')!.status).to.equal('unreachable');
    expect(of('node3', 'ping')!.message).to.match(/auth/i);
    expect(of('node1', 'after')!.status).to.equal('ok');
  });

  it('fails a host whose sshd is stopped; the others finish', async () => {
    const lab = fixture.lab;
    // sshd listens on 22: stopping it by the PID it recorded, then the connection is refused
    const stop = await labSsh(lab, 'node2', 'kill $(cat /run/sshd.pid)');
    expect(stop.code).to.equal(0);
    try {
      const { of } = await runWith({});
      expect(of('node2', 'ping')!.status).to.equal('unreachable');
      expect(of('node2', 'ping')!.message).to.match(/refused/i);
      expect(of('node1', 'after')!.status).to.equal('ok');
      expect(of('node3', 'after')!.status).to.equal('ok');
    } finally {
      // bring sshd back for the next test: the host's init restarts nothing, so start it from the namespace
      const pid = spawnSync('sh', ['-c', `cat ${join(lab.dir, 'state.json')}`], { encoding: 'utf8' }).stdout;
      const init = (JSON.parse(pid) as { hosts: { name: string; initPid: number }[] }).hosts.find((h) => h.name === 'node2')!.initPid;
      spawnSync('nsenter', ['-t', String(init), '-m', '-n', '-p', '-u', '-i', '--', '/usr/sbin/sshd'], { encoding: 'utf8' });
    }
  });

  it('fails a host whose connection is lost in the middle of a task; the others finish', async () => {
    const lab = fixture.lab;
    const veth = `tb${labLayout(lab.name).octet}-node2`;
    const pending = runWith({}, 'slow.yml', { keepaliveIntervalMs: 500, keepaliveCountMax: 2 });
    // node2's link goes down while `sleep 2` runs on every host
    await new Promise((r) => setTimeout(r, 800));
    spawnSync('ip', ['link', 'set', veth, 'down']);
    try {
      const { of, result } = await pending;
      expect(of('node2', 'slow task')!.status).to.equal('unreachable');
      expect(of('node2', 'slow task')!.message).to.match(/lost|timed out|closed/i);
      for (const host of ['node1', 'node3']) {
        expect(of(host, 'slow task')!.status).to.equal('changed');
        expect(of(host, 'not after an interrupt')!.status).to.equal('ok');
      }
      expect(result.exitCode).to.equal(4);
    } finally {
      spawnSync('ip', ['link', 'set', veth, 'up']);
    }
  });
});

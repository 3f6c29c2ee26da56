/**
 * The lab deletes only what it made: a --dir that is not this lab's is refused and left as it was, and two labs
 * whose names give the same network number never take each other's links.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp, type Lab } from '../../lib/lab/index.js';
import { labLayout, labOctet } from '../../lib/lab/layout.js';
import { labSsh, testLabName } from './fixture.js';

/** Every file under `dir` with its content (directories end in '/'), to show nothing was changed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const entry of readdirSync(join(dir, rel)).sort()) {
      const path = join(rel, entry);
      if (statSync(join(dir, path)).isDirectory()) {
        out[`${path}/`] = '';
        walk(path);
      } else {
        out[path] = readFileSync(join(dir, path), 'utf8');
      }
    }
  };
  walk('');
  return out;
}

/** The names of the links that carry the alias of lab `name`. */
function linksOf(name: string): string[] {
  const links = JSON.parse(spawnSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' }).stdout) as { ifname: string; ifalias?: string }[];
  return links.filter((l) => l.ifalias === `typebook-lab:${name}`).map((l) => l.ifname).sort();
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return (err as Error).message;
  }
  expect.fail('was not refused');
}

describe("lab: a --dir that is not the lab's", function () {
  this.timeout(30_000);
  const name = testLabName('spec-lab-own');
  let parent: string;
  before(() => {
    parent = mkdtempSync(join(tmpdir(), 'typebook-lab-own-'));
  });
  after(() => rmSync(parent, { recursive: true, force: true }));

  it('refuses a directory holding hosts, apt/, known_hosts and id_ed25519 (a copy of /etc or ~/.ssh) and leaves it intact', async () => {
    const dir = join(parent, 'etc-copy');
    mkdirSync(join(dir, 'apt/sources.list.d'), { recursive: true });
    writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n');
    writeFileSync(join(dir, 'apt/sources.list.d/debian.sources'), 'Types: deb\n');
    writeFileSync(join(dir, 'known_hosts'), 'example ssh-ed25519 AAAA\n');
    writeFileSync(join(dir, 'id_ed25519'), 'PRIVATE KEY\n', { mode: 0o600 });
    writeFileSync(join(dir, 'inventory.yml'), 'all: {}\n');
    const before = snapshot(dir);
    for (const attempt of [() => labDown({ name, dir }), () => labUp({ hosts: 1, name, dir })]) {
      const message = await refusal(attempt());
      expect(message).to.equal(
        `refusing ${dir} as the state dir of lab '${name}': it holds apt/, hosts, id_ed25519, inventory.yml, known_hosts and no state.json of a typebook lab; nothing was changed. Give --dir a new or empty directory`,
      );
      expect(snapshot(dir)).to.deep.equal(before);
    }
    expect(readdirSync(parent)).to.deep.equal(['etc-copy']); // no lock file left beside it
    expect(linksOf(name)).to.deep.equal([]);
  });

  it("refuses another lab's dir, and a copy of this lab's dir made elsewhere", async () => {
    const other = join(parent, 'other');
    mkdirSync(join(other, 'hosts'), { recursive: true });
    const state = { version: 1, name: 'someone-else', dir: other, subnet: '10.99.0.0/24', bridge: 'tb99-br', createdAt: '', hosts: [] };
    writeFileSync(join(other, 'state.json'), JSON.stringify(state));
    expect(await refusal(labDown({ name, dir: other }))).to.match(/its state\.json is lab 'someone-else's \(use --name someone-else\); nothing was changed/);

    const copy = join(parent, 'copy');
    cpSync(other, copy, { recursive: true });
    writeFileSync(join(copy, 'state.json'), JSON.stringify({ ...state, name, dir: labLayout(name).dir }));
    const before = snapshot(copy);
    expect(await refusal(labDown({ name, dir: copy }))).to.include(`its state.json is of lab '${name}' in ${labLayout(name).dir} (a copy?)`);
    expect(snapshot(copy)).to.deep.equal(before);
    expect(existsSync(join(other, 'state.json'))).to.equal(true);
  });

  it('refuses a <dir>.lock that is not a lab lock, and leaves it', async () => {
    const dir = join(parent, 'notes');
    writeFileSync(`${dir}.lock`, 'my notes\n');
    expect(await refusal(labDown({ name, dir }))).to.equal(
      `${dir}.lock exists and is not a typebook lab lock; refusing to touch it (give --dir another directory)`,
    );
    expect(readFileSync(`${dir}.lock`, 'utf8')).to.equal('my notes\n');
  });

  it('takes down nothing but links for a --dir that does not exist', async () => {
    expect(await labDown({ name, dir: join(parent, 'missing') })).to.include({ removed: false });
    expect(existsSync(join(parent, 'missing'))).to.equal(false);
  });
});

describe('lab: two names with the same network number', function () {
  this.timeout(120_000);
  const first = testLabName('spec-lab-net');
  // Another test name that FNV-1a puts on the same 10.X.0.0/24 (as 'lab600' and 'default' both give 54).
  const second = Array.from({ length: 5000 }, (_, i) => testLabName(`spec-lab-net${i}`)).find((n) => labOctet(n) === labOctet(first));
  let parent: string;
  let lab: Lab;
  before(async function () {
    this.timeout(300_000);
    expect(second, 'no colliding name found').to.be.a('string');
    parent = mkdtempSync(join(tmpdir(), 'typebook-lab-net-'));
    lab = await labUp({ hosts: 1, name: first, dir: emptyDir(parent) });
  });
  after(async function () {
    this.timeout(60_000);
    await labDown({ name: second! }).catch(() => undefined);
    if (lab) await labDown({ name: first, dir: lab.dir });
    rmSync(parent, { recursive: true, force: true });
  });

  it('brings up a lab in an empty --dir', async () => {
    expect(lab.dir).to.equal(join(parent, 'empty'));
    expect((await labSsh(lab, 'node1', 'hostname')).stdout).to.equal('node1\n');
  });

  it('refuses the second lab before touching anything, naming the first and a free name', async () => {
    const links = linksOf(first);
    expect(links).to.deep.equal([`tb${labOctet(first)}-br`, `tb${labOctet(first)}-node1`]);
    const message = await refusal(labUp({ hosts: 1, name: second! }));
    const octet = labOctet(first);
    expect(message).to.match(new RegExp(`^lab '${second}' would use subnet 10\\.${octet}\\.0\\.0/24 and links tb${octet}-\\*, `));
    expect(message).to.include(`but lab '${first}' already has it up (tb${octet}-br, tb${octet}-node1): the names give the same network number`);
    expect(message).to.match(new RegExp(`; choose another lab name \\(e\\.g\\. --name ${second}-\\d+, on 10\\.\\d+\\.0\\.0/24\\)$`));
    const suggested = /--name (\S+),/.exec(message)?.[1];
    expect(labOctet(suggested!)).to.not.equal(labOctet(first));
    expect(existsSync(labLayout(second!).dir)).to.equal(false);
    expect(existsSync(labLayout(second!).lockPath)).to.equal(false);
    expect(linksOf(first)).to.deep.equal(links);
    expect(linksOf(second!)).to.deep.equal([]);
  });

  it("takes down the second without removing the first's links", async () => {
    const links = linksOf(first);
    expect(await labDown({ name: second! })).to.include({ removed: false });
    expect(linksOf(first)).to.deep.equal(links);
    // still reachable across its bridge, on its own address
    const out = await labSsh(lab, 'node1', 'ip -o -4 address show dev eth0');
    expect(out, out.stderr).to.include({ code: 0 });
    expect(out.stdout).to.include(` ${lab.hosts[0]!.address}/24 `);
  });
});

function emptyDir(parent: string): string {
  const dir = join(parent, 'empty');
  mkdirSync(dir);
  return dir;
}

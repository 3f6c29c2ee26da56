import { expect } from 'chai';
import { parse } from 'yaml';
import { debFileName, parseIndex, parseSimulatedInstall } from '../../lib/lab/apt.js';
import { renderInventory, renderKnownHosts } from '../../lib/lab/inventory.js';
import { hostLayout, labLayout, labOctet, MAX_HOSTS, prefixesOverlap, validateHostCount, validateLabName } from '../../lib/lab/layout.js';
import { suggestLabName } from '../../lib/lab/net.js';
import { hiddenPaths, hostsFile, sanitizedShadow } from '../../lib/lab/upper.js';

describe('lab layout: names, subnets, paths', () => {
  it('derives a stable 10.X.0.0/24 subnet, bridge and state dir from the name', () => {
    const a = labLayout('default');
    expect(a).to.include({ subnet: `10.${a.octet}.0.0/24`, controller: `10.${a.octet}.0.1`, bridge: `tb${a.octet}-br` });
    expect(a.dir).to.equal('/var/lib/typebook/lab/default');
    expect(a.inventoryPath).to.equal('/var/lib/typebook/lab/default/inventory.yml');
    expect(labLayout('default')).to.deep.equal(a);
    expect(labLayout('x', '/tmp/my-lab').knownHostsPath).to.equal('/tmp/my-lab/known_hosts');
  });

  it('keeps the default lab and the test labs on different subnets', () => {
    const octets = ['default', 'spec-lab', 'spec-lab-crash'].map(labOctet);
    expect(new Set(octets).size).to.equal(3);
    for (const o of octets) expect(o).to.be.within(20, 239);
  });

  it('gives hosts addresses outside .1-.10 and the VIP, and link names the kernel accepts', () => {
    const lab = labLayout('default');
    const first = hostLayout(lab, 1);
    const last = hostLayout(lab, MAX_HOSTS);
    expect(first).to.include({ name: 'node1', address: `10.${lab.octet}.0.11` });
    expect(last.address).to.equal(`10.${lab.octet}.0.210`);
    expect(lab.vip).to.not.equal(last.address);
    for (const name of [lab.bridge, first.veth, last.veth]) expect(name.length).to.be.at.most(15);
  });

  it('rejects bad names and host counts with what was expected', () => {
    expect(validateLabName('My Lab')).to.match(/invalid lab name 'My Lab': expected 1 to 32 characters/);
    expect(validateLabName('-x')).to.be.a('string');
    expect(validateLabName('e2e_lab-1')).to.equal(undefined);
    expect(validateHostCount(0)).to.match(/from 1 to 200/);
    expect(validateHostCount(2.5)).to.be.a('string');
    expect(validateHostCount(201)).to.be.a('string');
    expect(validateHostCount(3)).to.equal(undefined);
    expect(() => labLayout('../etc')).to.throw(/invalid lab name/);
  });

  it('tells overlapping prefixes apart', () => {
    expect(prefixesOverlap('10.54.0.0/24', '10.54.0.0/24')).to.equal(true);
    expect(prefixesOverlap('10.0.0.0/8', '10.54.0.0/24')).to.equal(true);
    expect(prefixesOverlap('10.54.0.7', '10.54.0.0/24')).to.equal(true);
    expect(prefixesOverlap('10.55.0.0/24', '10.54.0.0/24')).to.equal(false);
    expect(prefixesOverlap('192.0.2.0/24', '10.54.0.0/24')).to.equal(false);
    expect(prefixesOverlap('fd00::/64', '10.54.0.0/24')).to.equal(false);
  });

  it('can give two names the same network number, which is why links are told apart by alias', () => {
    expect(labOctet('lab600')).to.equal(54);
    expect(labOctet('default')).to.equal(54);
    const a = labLayout('lab600');
    const b = labLayout('default');
    expect(a.bridge).to.equal(b.bridge);
    expect(a.linkAlias).to.not.equal(b.linkAlias);
  });

  it('suggests a name whose network no link or route uses', () => {
    const links = [{ ifname: 'tb54-br', ifalias: 'typebook-lab:default' }];
    const routes = [{ dst: `10.${labOctet('lab600-2')}.0.0/24`, dev: 'eth1' }];
    const other = suggestLabName('lab600', links, routes);
    expect(other).to.match(/^lab600-\d+$/).and.not.equal('lab600-2');
    expect(labOctet(other!)).to.not.equal(54);
    expect(suggestLabName('x'.repeat(32), [], [])).to.equal(`${'x'.repeat(30)}-2`);
  });

  it('keeps a --dir absolute, as state.json records it', () => {
    expect(labLayout('x', 'rel/lab').dir).to.equal(`${process.cwd()}/rel/lab`);
    expect(labLayout('x', '/srv/lab/').statePath).to.equal('/srv/lab/state.json');
  });
});

describe('lab isolation: what hosts do not see', () => {
  it('empties every password field of shadow and gshadow, keeping accounts and lock state', () => {
    const shadow = ['root:$6$salt$hash:19000:0:99999:7:::', 'alice:!$y$j9T$x:19000:0:99999:7:::', 'daemon:*:19000::::::', 'bob::19000::::::', ''].join('\n');
    expect(sanitizedShadow(shadow)).to.equal(
      ['root:*:19000:0:99999:7:::', 'alice:!:19000:0:99999:7:::', 'daemon:*:19000::::::', 'bob:*:19000::::::', ''].join('\n'),
    );
    expect(sanitizedShadow('sudo:$6$grouphash:alice:alice,bob\n')).to.equal('sudo:*:alice:alice,bob\n');
  });

  it('hides each path once, never inside what is hidden already or covered by the host mounts', () => {
    expect(
      hiddenPaths(['/var/lib/typebook/lab', '/var/lib/typebook/lab/x', '/srv/lab/', '/tmp/lab', '/home/me/lab', '/root/l', '/', 'rel', '/homes']),
    ).to.deep.equal(['/homes', '/srv/lab', '/var/lib/typebook/lab']);
  });
});

describe('lab files: inventory, known_hosts, /etc/hosts', () => {
  const lab = labLayout('demo', '/srv/lab');
  const hosts = [hostLayout(lab, 1), hostLayout(lab, 2)];

  it('writes group lab with each host and the ssh settings both typebook and ansible use', () => {
    const doc = parse(renderInventory(lab, hosts)) as {
      all: { children: { lab: { hosts: Record<string, unknown>; vars: Record<string, unknown> } } };
    };
    expect(doc.all.children.lab.hosts).to.deep.equal({
      node1: { ansible_host: hosts[0]!.address },
      node2: { ansible_host: hosts[1]!.address },
    });
    expect(doc.all.children.lab.vars).to.deep.include({
      ansible_user: 'root',
      ansible_ssh_private_key_file: '/srv/lab/id_ed25519',
      ansible_ssh_common_args: '-o UserKnownHostsFile=/srv/lab/known_hosts -o StrictHostKeyChecking=yes',
      lab_vip: lab.vip,
    });
  });

  it('pins one key per host address', () => {
    const text = renderKnownHosts([
      { address: '10.1.0.11', publicKey: 'ssh-ed25519 AAAAkey1 root@node1\n' },
      { address: '10.1.0.12', publicKey: 'ssh-ed25519 AAAAkey2 root@node2' },
    ]);
    expect(text).to.equal('10.1.0.11 ssh-ed25519 AAAAkey1\n10.1.0.12 ssh-ed25519 AAAAkey2\n');
  });

  it('lets hosts resolve each other by name', () => {
    expect(hostsFile(hosts)).to.include(`${hosts[1]!.address}\tnode2\n`).and.to.match(/^127\.0\.0\.1\tlocalhost$/m);
  });
});

describe('lab apt repository: parsing apt output', () => {
  it('reads what apt-get install -s would install, upgrades included', () => {
    const out = [
      'NOTE: This is only a simulation!',
      'Inst liblua5.3-0 (5.3.6-2 Debian:12.15/oldstable [amd64])',
      'Inst libsnmp-base (5.9.3+dfsg-2+deb12u1 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [all])',
      'Inst libssl3 [3.0.15-1~deb12u1] (3.0.17-1~deb12u2 Debian:12.15/oldstable [amd64]) []',
      'Inst keepalived (1:2.2.7-1+b2 Debian:12.15/oldstable [amd64])',
      'Conf keepalived (1:2.2.7-1+b2 Debian:12.15/oldstable [amd64])',
    ].join('\n');
    expect(parseSimulatedInstall(out)).to.deep.equal([
      { name: 'liblua5.3-0', version: '5.3.6-2', arch: 'amd64' },
      { name: 'libsnmp-base', version: '5.9.3+dfsg-2+deb12u1', arch: 'all' },
      { name: 'libssl3', version: '3.0.17-1~deb12u2', arch: 'amd64' },
      { name: 'keepalived', version: '1:2.2.7-1+b2', arch: 'amd64' },
    ]);
  });

  it('names a .deb as apt-get download does', () => {
    expect(debFileName({ name: 'keepalived', version: '1:2.2.7-1+b2', arch: 'amd64' })).to.equal(
      'keepalived_1%3a2.2.7-1+b2_amd64.deb',
    );
  });

  it('splits a Packages index by file name', () => {
    const index = 'Package: a\nVersion: 1\nFilename: ./a_1_all.deb\n\nPackage: b\nFilename: ./b_2_amd64.deb\nSize: 3\n';
    const stanzas = parseIndex(index);
    expect([...stanzas.keys()]).to.deep.equal(['a_1_all.deb', 'b_2_amd64.deb']);
    expect(stanzas.get('b_2_amd64.deb')).to.equal('Package: b\nFilename: ./b_2_amd64.deb\nSize: 3\n');
  });
});

/**
 * package_facts on a real lab host against Ansible's own module (python3-apt installed in the host from the lab's
 * repository): the whole `packages` fact compared, with a package installed from an index whose Release names an
 * Origin. The CLI managers the lab cannot run (pacman, pkg, portage, apk, pkg_info) are checked against Ansible's
 * own get_package_details on sample listings.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import type { CountingConnection } from '../../lib/connection/index.js';
import packageFacts, { apkDetails, aptPackages, pacmanDetails, parseIndexOrigins, pkgDetails, pkgInfoDetails, portageDetails, rpmDetails } from '../../lib/modules/package_facts.js';
import { labSsh, useLab } from '../lab/fixture.js';
import { runAnsibleTasks } from './ansible.js';
import { checkedArgs, labConnection, runCounted } from './harness.js';

/** Ansible's get_package_details of `manager` on each sample, run by Debian's python3 and ansible */
function ansibleDetails(manager: string, samples: readonly string[]): unknown {
  const program = String.raw`
import json, sys
import ansible.modules.package_facts as pf
cls = {'pacman': pf.PACMAN, 'pkg': pf.PKG, 'portage': pf.PORTAGE, 'apk': pf.APK, 'pkg_info': pf.PKG_INFO}[sys.argv[1]]
out = []
for s in json.load(sys.stdin):
    try:
        out.append(cls().get_package_details(s))
    except Exception as e:
        out.append({'error': type(e).__name__})
print(json.dumps(out))`;
  const run = spawnSync('/usr/bin/python3', ['-c', program, manager], { input: JSON.stringify(samples), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as unknown;
}

function ours(details: (s: string) => unknown, samples: readonly string[]): unknown[] {
  return samples.map((s) => {
    try {
      return details(s);
    } catch {
      return { error: 'raised' };
    }
  });
}

/** errors in Ansible's output named by type; ours as 'raised' */
const sameErrors = (theirs: unknown): unknown => (theirs as Record<string, unknown>[]).map((r) => ('error' in r ? { error: 'raised' } : r));

describe('package_facts module', function () {
  this.timeout(120_000);
  const fixture = useLab({ hosts: 1, name: 'mod-apt-repo-2', packages: ['python3-apt', 'hello'] });
  let node1: CountingConnection;
  after(async () => node1?.close());

  before(async function () {
    this.timeout(120_000);
    node1 = labConnection(fixture.lab, 'node1');
    // an index with an Origin listed first, so hello's installed version comes from it
    const setup = [
      'apt-get install -y -q python3-apt >/dev/null',
      'mkdir -p /srv/o1 && cp /var/lib/typebook-lab/apt/Packages /var/lib/typebook-lab/apt/hello_*.deb /srv/o1/',
      "printf 'Origin: typebook test\\nLabel: t\\nSuite: lab\\nCodename: lab\\n' > /srv/o1/Release",
      "printf 'deb [trusted=yes] file:/srv/o1 ./\\ndeb [trusted=yes] file:/var/lib/typebook-lab/apt ./\\n' > /etc/apt/sources.list",
      'apt-get update -qq', 'apt-get install -y -q hello >/dev/null',
    ].join(' && ');
    const done = await labSsh(fixture.lab, 'node1', setup);
    expect(done.code, done.stderr).to.equal(0);
  });

  it("gives Ansible's packages fact, in one round trip (check mode alike)", async () => {
    const theirs = await runAnsibleTasks(fixture.lab, 'node1', [
      { 'ansible.builtin.package_facts': {} },
      { 'ansible.builtin.package_facts': { manager: ['apt', 'rpm'], strategy: 'all' } },
    ]);
    const fact = (r: Record<string, unknown>) => (r.ansible_facts as { packages: Record<string, unknown[]> }).packages;
    expect(Object.keys(fact(theirs[0]!)).length).to.be.above(100);
    // the package installed from the index with an Origin, as python-apt reports it
    expect(fact(theirs[0]!).hello).to.have.length(1);
    expect(fact(theirs[0]!).hello![0]).to.include({ name: 'hello', arch: 'amd64', origin: 'typebook test', source: 'apt' });
    for (const [k, args] of [{}, { manager: ['apt', 'rpm'], strategy: 'all' }].entries()) {
      for (const check of [false, true]) {
        const { result, trips } = await runCounted(packageFacts, args, node1, { check });
        expect(trips).to.equal(1);
        expect(result).to.deep.equal({ changed: false, ansible_facts: theirs[k]!.ansible_facts });
      }
    }
  });

  it("fails as Ansible does for managers it does not know or cannot use", async () => {
    const cases = [{ manager: ['bogus'] }, { manager: ['auto', 'bogus'] }, { manager: ['rpm', 'apk'] }];
    const theirs = await runAnsibleTasks(fixture.lab, 'node1', cases.map((a) => ({ 'ansible.builtin.package_facts': a })));
    for (const [k, args] of cases.entries()) {
      const { result } = await runCounted(packageFacts, args, node1);
      expect(result, JSON.stringify(args)).to.deep.equal({ changed: false, failed: true, msg: theirs[k]!.msg });
    }
    expect(() => checkedArgs(packageFacts, { strategy: 'some' })).to.throw(/strategy/);
  });

  it("reads apt-cache policy's indexes and dpkg's states as python-apt does", () => {
    const files = ' 100 /var/lib/dpkg/status\n     release a=now\n 500 file:/srv/o1 ./ Packages\n     release o=typebook test,a=lab,n=lab,l=t,c=\n Pinned packages:\n';
    expect([...parseIndexOrigins(files)]).to.deep.equal([['/var/lib/dpkg/status', ''], ['file:/srv/o1 ./ Packages', 'typebook test']]);
    const policy = 'a:\n  Installed: 1\n  Candidate: 2\n  Version table:\n     2 500\n        500 file:/srv/o1 ./ Packages\n *** 1 100\n        100 /var/lib/dpkg/status\nb:i386:\n  Installed: 3\n  Version table:\n *** 3 500\n        500 file:/srv/o1 ./ Packages\n        100 /var/lib/dpkg/status\n';
    const dpkg = 'installed\ta\tamd64\t1\tutils\ninstalled\tb\ti386\t3\tlibs\nconfig-files\tc\tamd64\t1\tnet\nunpacked\td\tall\t4\t\n';
    expect(aptPackages(dpkg, 'amd64', policy, files)).to.deep.equal({
      a: [{ name: 'a', version: '1', arch: 'amd64', category: 'utils', origin: '', source: 'apt' }],
      'b:i386': [{ name: 'b:i386', version: '3', arch: 'i386', category: 'libs', origin: 'typebook test', source: 'apt' }],
      d: [{ name: 'd', version: '4', arch: 'all', category: '', origin: '', source: 'apt' }],
    });
    expect(rpmDetails('gpg-pubkey\tabc\t123\t(none)\t(none)')).to.deep.equal({ name: 'gpg-pubkey', version: 'abc', release: '123', epoch: null, arch: null });
    expect(rpmDetails('kernel\t3.10.0\t693.el7\t1\tx86_64')).to.deep.equal({ name: 'kernel', version: '3.10.0', release: '693.el7', epoch: 1, arch: 'x86_64' });
  });

  it("parses the CLI managers' listings as Ansible's get_package_details do", () => {
    const pacman = [
      'Name            : bash\nVersion         : 5.2.015-1\nDescription     : The GNU Bourne Again shell\nArchitecture    : x86_64\nProvides        : sh  libreadline.so=8-64\nDepends On      : readline  libreadline.so=8-64\n                  glibc\n',
      'Name            : zlib\nVersion         : 1:1.2.13-2\nArchitecture    : x86_64\nProvides        : None\n',
      'Name            : odd\nVersion         : 1\n',
    ];
    expect(ours(pacmanDetails, pacman)).to.deep.equal(sameErrors(ansibleDetails('pacman', pacman)));
    const pkg = ['curl\t7.79.0\tFreeBSD\tutil\t0\tFreeBSD:13:amd64\tftp/curl\t/usr/local\t0', 'perl5\t5.32.1_1,1\tFreeBSD\tlang\t1\tFreeBSD:13:*\tlang/perl5.32\t/usr/local\t1', 'short\t1.0', 'bad\t1\tx\ty\tmaybe'];
    expect(ours(pkgDetails, pkg)).to.deep.equal(sameErrors(ansibleDetails('pkg', pkg)));
    const portage = ['sys-apps portage 3.0.30 r3', 'dev-lang python 3.10.8 r1 3.10', 'lonely'];
    expect(ours(portageDetails, portage)).to.deep.equal(sameErrors(ansibleDetails('portage', portage)));
    const apk = ['musl-1.2.3-r4', 'ca-certificates-bundle-20220614-r0', 'noversion', 'one-dash'];
    expect(ours(apkDetails, apk)).to.deep.equal(sameErrors(ansibleDetails('apk', apk)));
    const pkgInfo = ['curl-7.79.0 get files from FTP, Gopher, HTTP or HTTPS servers', 'quirks-4.86 exceptions to pkg_add rules', 'plain'];
    expect(ours(pkgInfoDetails, pkgInfo)).to.deep.equal(sameErrors(ansibleDetails('pkg_info', pkgInfo)));
  });
});

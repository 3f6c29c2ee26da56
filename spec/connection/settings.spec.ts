import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fingerprint, knownHostName, parseKnownHosts, patternsMatch, verifyHostKey } from '../../lib/connection/known-hosts.js';
import { connectionKind, connectionProblems } from '../../lib/connection/index.js';
import { becomeFromSettings, parseProxyJump, parseSshArgs, resolveSshTarget, settingsFromVars } from '../../lib/connection/settings.js';
import { ConnectionError } from '../../lib/connection/types.js';
import { makeKey } from './sshd.js';

describe('SSH settings', () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'typebook-settings-'));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });
  const base = { sshConfigFile: '', env: { HOME: '/home/op' } };

  it('splits ansible_ssh_common_args as a shell would (quotes) and keeps the first value of each option', () => {
    const o = parseSshArgs('h', `-C -o 'ProxyJump=ops@bastion:2222' -o "UserKnownHostsFile /tmp/a b" -oPort=2200 -o Port=9 -l deploy -i ~/k -q -o Unknown=x`).options;
    expect(o.get('proxyjump')).to.equal('ops@bastion:2222');
    expect(o.get('userknownhostsfile')).to.equal('/tmp/a b');
    expect(o.get('port')).to.equal('2200');
    expect(o.get('user')).to.equal('deploy');
    expect(o.get('identityfile')).to.equal('~/k');
    expect(o.get('unknown')).to.equal('x');
  });

  it('resolves address, port, user, keys and options with Ansible precedence', () => {
    const t = resolveSshTarget('web1', {
      ansible_host: '10.0.0.5', ansible_port: '2201', ansible_user: 'deploy', ansible_ssh_private_key_file: '~/.ssh/deploy',
      ansible_ssh_common_args: '-o User=ignored -o ServerAliveInterval=7 -o ConnectTimeout=3 -o StrictHostKeyChecking=accept-new',
    }, base);
    expect(t).to.include({ address: '10.0.0.5', port: 2201, user: 'deploy', keepaliveIntervalMs: 7000, connectTimeoutMs: 3000, hostKeyPolicy: 'accept-new' });
    expect(t.identityFiles).to.deep.equal(['/home/op/.ssh/deploy']);
    expect(t.knownHostsFile).to.equal('/home/op/.ssh/known_hosts');
  });

  it('turns host key checking off explicitly: option, ANSIBLE_HOST_KEY_CHECKING, StrictHostKeyChecking=no', () => {
    expect(resolveSshTarget('h', {}, base).hostKeyPolicy).to.equal('yes');
    expect(resolveSshTarget('h', {}, { ...base, hostKeyChecking: false }).hostKeyPolicy).to.equal('no');
    expect(resolveSshTarget('h', {}, { ...base, env: { ANSIBLE_HOST_KEY_CHECKING: 'False' } }).hostKeyPolicy).to.equal('no');
    expect(resolveSshTarget('h', { ansible_ssh_common_args: '-o StrictHostKeyChecking=no' }, base).hostKeyPolicy).to.equal('no');
  });

  it('reads ~/.ssh/config for HostName, Port, User, IdentityFile and ProxyJump (and the jump host\'s own entry)', async () => {
    const config = path.join(dir, 'config');
    await fs.writeFile(config, 'Host web*\n  HostName %h.example.internal\n  User admin\n  Port 2022\n  IdentityFile ~/.ssh/web\n  ProxyJump bastion\n\nHost bastion\n  HostName 127.0.0.9\n  Port 2222\n  User jump\n');
    const t = resolveSshTarget('web1', { ansible_host: 'web1' }, { ...base, sshConfigFile: config });
    expect(t).to.include({ address: 'web1.example.internal', port: 2022, user: 'admin' });
    expect(t.identityFiles).to.deep.equal(['/home/op/.ssh/web']);
    expect(t.jumps).to.deep.equal([{ address: '127.0.0.9', port: 2222, user: 'jump' }]);
    const overridden = resolveSshTarget('web1', { ansible_host: 'web1', ansible_port: 22, ansible_ssh_common_args: '-o ProxyJump=none' }, { ...base, sshConfigFile: config });
    expect(overridden).to.include({ port: 22 });
    expect(overridden.jumps).to.deep.equal([]);
  });

  it('parses ProxyJump chains, and turns the ssh -W ProxyCommand recipe into a jump', () => {
    expect(parseProxyJump('h', 'a@one:2200,ssh://two,[::1]:23')).to.deep.equal([
      { user: 'a', address: 'one', port: 2200 }, { address: 'two' }, { address: '::1', port: 23 },
    ]);
    const t = resolveSshTarget('h', { ansible_ssh_common_args: `-o ProxyCommand="ssh -W %h:%p -q -p 2222 ops@bastion"` }, base);
    expect(t.jumps).to.deep.equal([{ address: 'bastion', port: 2222, user: 'ops' }]);
    expect(() => resolveSshTarget('h', { ansible_ssh_common_args: `-o ProxyCommand="nc %h %p"` }, base)).to.throw(ConnectionError, /ProxyCommand/);
  });

  it('rejects a bad port with the variable it came from', () => {
    expect(() => resolveSshTarget('h', { ansible_port: 'twenty' }, base)).to.throw(ConnectionError, /ansible_port.*twenty/);
  });

  it('reads become from the host variables', () => {
    expect(becomeFromSettings('h', {})).to.equal(undefined);
    expect(becomeFromSettings('h', { ansible_become: true, ansible_become_user: 'pg', ansible_become_pass: 'x' }))
      .to.deep.equal({ user: 'pg', password: 'x' });
    expect(() => becomeFromSettings('h', { ansible_become: true, ansible_become_method: 'doas' })).to.throw(/doas/);
  });
});

describe('known_hosts', () => {
  let dir: string;
  let pub: string;
  let otherPub: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'typebook-kh-'));
    pub = makeKey(path.join(dir, 'a'));
    otherPub = makeKey(path.join(dir, 'b'));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });
  const blob = (line: string): Buffer => Buffer.from(line.split(' ')[1] as string, 'base64');

  it('prints fingerprints as ssh-keygen does', () => {
    const expected = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', path.join(dir, 'a.pub')], { encoding: 'utf8' }).split(' ')[1];
    expect(fingerprint(blob(pub))).to.equal(expected);
  });

  it('matches patterns: lists, wildcards, negation, [host]:port', () => {
    expect(patternsMatch('web1,10.0.0.5', 'web1')).to.equal(true);
    expect(patternsMatch('*.example.org,!bad.example.org', 'good.example.org')).to.equal(true);
    expect(patternsMatch('*.example.org,!bad.example.org', 'bad.example.org')).to.equal(false);
    expect(patternsMatch('[web1]:2222', knownHostName('web1', 2222))).to.equal(true);
    expect(patternsMatch('web1', knownHostName('web1', 2222))).to.equal(false);
    expect(patternsMatch('web?', 'web7')).to.equal(true);
  });

  it('skips comments, cert-authority lines and corrupt lines; finds known, changed, revoked and unknown keys', () => {
    const entries = parseKnownHosts([
      '# comment',
      '',
      `@cert-authority * ${otherPub}`,
      'web1 ssh-ed25519 not-base64-of-an-ed25519-key',
      `web1 ${pub} trailing comment`,
      `@revoked web2 ${otherPub}`,
    ].join('\n'), 'kh');
    expect(entries.map((e) => e.line)).to.deep.equal([3, 5, 6]);
    expect(verifyHostKey(entries, 'web1', blob(pub)).status).to.equal('known');
    const changed = verifyHostKey(entries, 'web1', blob(otherPub));
    expect(changed.status).to.equal('changed');
    expect(changed.status === 'changed' && changed.entry.line).to.equal(5);
    expect(verifyHostKey(entries, 'web2', blob(otherPub)).status).to.equal('revoked');
    expect(verifyHostKey(entries, 'web3', blob(pub)).status).to.equal('unknown');
  });
});

describe('connection variables: one reading for validation and for connecting', () => {
  it('takes the ssh plugin\'s older names over the newer ones, and yes/no words for ansible_become', () => {
    expect(settingsFromVars({ ansible_host: 'a', ansible_ssh_host: 'b', ansible_user: 'u1', ansible_ssh_user: 'u2', ansible_port: 22, ansible_ssh_port: 2222, ansible_become: 'yes', other: 1 }))
      .to.deep.equal({ ansible_host: 'b', ansible_user: 'u2', ansible_port: 2222, ansible_become: true });
    expect(settingsFromVars({ ansible_user: 1000, ansible_become: 'maybe' })).to.deep.equal({ ansible_user: '1000', ansible_become: false });
  });

  it('names Ansible\'s connection plugins typebook covers, fully qualified or not', () => {
    for (const kind of ['ssh', 'smart', 'paramiko', 'ansible.builtin.ssh']) expect(connectionKind('h', { ansible_connection: kind })).to.equal('ssh');
    for (const kind of ['local', 'ansible.builtin.local']) expect(connectionKind('h', { ansible_connection: kind })).to.equal('local');
  });

  it('lists every mistake connecting would meet, each with the variable at fault', () => {
    const problems = connectionProblems('h', settingsFromVars({ ansible_connection: 'winrm', ansible_become: true, ansible_become_method: 'doas', ansible_user: ['a'] }), { sshConfigFile: '' });
    expect(problems.map((p) => [p.variable, p.message])).to.deep.equal([
      ['ansible_user', 'ansible_user is a list; expected a string'],
      ['ansible_connection', 'ansible_connection "winrm" is not supported (expected local or ssh)'],
      ['ansible_become_method', 'ansible_become_method "doas" is not supported (expected sudo or su)'],
    ]);
    expect(connectionProblems('h', { ansible_port: 'abc' }, { sshConfigFile: '' }).map((p) => [p.variable, p.message])).to.deep.equal([['ansible_port', 'ansible_port: port "abc" is not a number from 1 to 65535']]);
  });
});

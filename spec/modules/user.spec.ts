/**
 * user on a real lab host against ansible.builtin.user itself, both ways: the same task from the same state
 * by Ansible then by typebook, equal results and equal accounts afterwards (passwd, shadow, groups, the home
 * and its files). SSH keys are random: their results are compared but for the key itself, which is checked
 * against the files. The lab has no libuser (its packages would come from the network): `local` is checked
 * where it needs none of its tools, and where their absence fails, with Ansible's message.
 */
import { expect } from 'chai';
import user, { gmtimeDate, looksUnhashed } from '../../lib/modules/user.js';
import { resolveAliases } from '../../lib/playbook/module-args.js';
import { useLab } from '../lab/fixture.js';
import { onLabHost } from './ansible.js';
import { checkedArgs } from './harness.js';
import { spawnSync } from 'node:child_process';

/** Ansible's own check_password_encrypted, on samples: which ones it warns about. */
function ansibleWarnsUnhashed(passwords: string[]): boolean[] {
  const program = String.raw`
import json, sys
from ansible.modules.user import User
class M(object):
    def __init__(self, p): self.params = {'password': p}; self.warned = False
    def warn(self, msg): self.warned = True
out = []
for p in json.load(sys.stdin):
    u = object.__new__(User); u.module = M(p); u.platform = 'Linux'
    User.check_password_encrypted(u)
    out.append(u.module.warned)
print(json.dumps(out))`;
  const run = spawnSync('/usr/bin/python3', ['-c', program], { input: JSON.stringify(passwords), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as boolean[];
}

const SHA512 = '$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1';
const SHA512_2 = '$6$othersalt$PI4xJJjbFQ7VtlcbWS3zbZa6t0J9j8sp8tJtwGdKu76R65MWR0ZwII3HGGB/KflHjDWJv98e3P4d8XGwPP/zP1';

describe('user module', function () {
  this.timeout(180_000);

  describe('pure parts', () => {
    it("warns of an unhashed password as Ansible's check_password_encrypted does", () => {
      const samples = ['secret', '!', '*', '*************', SHA512, SHA512.slice(0, -1), '$1$ab$0123456789012345678901', '$5$x$short', '$6$x$bad chars here', 'a:b$c$d', '$y$j9T$abc$def', '$2b$10$x'];
      expect(samples.map(looksUnhashed)).to.deep.equal(ansibleWarnsUnhashed(samples));
    });

    it("dates an expiry as Python's time.gmtime does", () => {
      const samples = [0, 1422403387, 1422403387.9, -1, -86401, 253402300800, 1e12, -1e12, 951782400];
      const run = spawnSync('/usr/bin/python3', ['-c', 'import json, sys, time; print(json.dumps([list(time.gmtime(s)[:3]) for s in json.load(sys.stdin)]))'], { input: JSON.stringify(samples), encoding: 'utf8' });
      expect(samples.map(gmtimeDate)).to.deep.equal(JSON.parse(run.stdout));
    });
  });

  describe('arguments', () => {
    it("refuses what Ansible refuses, with Ansible's messages, and takes its aliases", () => {
      expect(() => checkedArgs(user, { name: 'u', umask: '077', local: true })).to.throw(/'umask' can not be used with 'local'/);
      expect(checkedArgs(user, { name: 'u', umask: '077', local: false })).to.include({ umask: '077' });
      expect(() => checkedArgs(user, { name: 'u', update_password: 'never' })).to.throw(/'update_password' is 'never'; expected one of "always", "on_create"/);
      expect(() => checkedArgs(user, { name: 'u', uid: 'x' })).to.throw(/uid/);
      expect(() => checkedArgs(user, { name: 'u', password_hash: 'x' })).to.throw(/unknown argument 'password_hash' for module user/);
      const { args } = resolveAliases(user, { user: 'u', createhome: 'no', groups: 'a,b', expires: '1422403387' });
      expect(checkedArgs(user, args)).to.deep.include({ name: 'u', create_home: false, groups: ['a', 'b'], expires: 1422403387 });
    });
  });

  describe('on a lab host, against Ansible', () => {
    const fixture = useLab({ hosts: 1, name: 'mod-user' });
    const onLab = onLabHost(fixture, user, 'ansible.builtin.user');
    const { sh, counted, ansible } = onLab;

    /** No test accounts, then the state the case starts from (its own shell commands). */
    const setUp = async (commands: string[] = []): Promise<void> => {
      // -f: a user of uid 0 shares root's processes
      const clean = 'for u in tbu1 tbu2; do userdel -f $u 2>/dev/null; done; for g in tbu1 tbu2 tbg1 tbg2; do groupdel $g 2>/dev/null; done; rm -rf /home/tbu1 /home/tbu2 /home/tbmoved /tmp/tbhomes /var/mail/tbu1 /var/mail/tbu2';
      await sh([`${clean}; getent passwd tbu1 tbu2 >/dev/null && exit 1; true`, ...commands].join(' && '));
    };
    /** The accounts and their homes: what the two tools may have changed. */
    const snapshot = () => sh(String.raw`for u in tbu1 tbu2; do getent passwd $u; getent shadow $u; id $u 2>/dev/null; done
grep -E '^tb' /etc/group /etc/gshadow
for d in /home/tbu1 /home/tbu2 /tmp/tbhomes /home/tbmoved; do [ -e $d ] && find $d -printf '%p %M %u %g %s\n' | sort; done; true`);

    const bothWays = onLab.bothWays(setUp, snapshot);

    it('creates a user with its home (2 round trips), then has nothing to change (1), as Ansible', async () => {
      const made = await bothWays([], { name: 'tbu1', comment: 'Test User', shell: '/bin/sh', uid: 4201 });
      expect(made.trips).to.equal(2);
      expect(made.result).to.deep.equal({
        changed: true, name: 'tbu1', state: 'present', system: false, create_home: true,
        uid: 4201, group: 4201, comment: 'Test User', home: '/home/tbu1', shell: '/bin/sh',
      });
      expect(await sh('stat -c %U:%a /home/tbu1')).to.equal('tbu1:755\n');
      const again = await counted({ name: 'tbu1', comment: 'Test User', shell: '/bin/sh', uid: 4201 });
      expect(again.trips).to.equal(1);
      const unchanged = { changed: false, name: 'tbu1', state: 'present', append: false, move_home: false, uid: 4201, group: 4201, comment: 'Test User', home: '/home/tbu1', shell: '/bin/sh' };
      expect(again.result).to.deep.equal(unchanged);
      expect(await ansible({ name: 'tbu1', comment: 'Test User', shell: '/bin/sh', uid: 4201 })).to.deep.equal(unchanged);
    });

    it('creates one with a primary group, groups, a password, an expiry, as a system user, without a home', async () => {
      const groups = ['groupadd -g 4301 tbg1', 'groupadd -g 4302 tbg2'];
      const { result } = await bothWays(groups, { name: 'tbu1', group: 'tbg1', groups: ['tbg2', 'tbg1'], password: SHA512, expires: 1893456000, system: true, create_home: false });
      expect(result).to.include({ changed: true, group: 4301, groups: 'tbg2,tbg1', password: 'NOT_LOGGING_PASSWORD', system: true, create_home: false });
      // useradd -r sets no expiry (Ansible's run and typebook's agree on that)
      expect(await sh('getent shadow tbu1 | cut -d: -f2,8; id -Gn tbu1; test -e /home/tbu1 || echo no home')).to.equal(`${SHA512}:\ntbg1 tbg2\nno home\n`);
      await bothWays([], { name: 'tbu1', expires: 1893456000 });
      expect(await sh('getent shadow tbu1 | cut -d: -f8')).to.equal('21915\n');
      // a group of the user's name already: useradd -N, as Ansible, so the user's group is useradd's default (users)
      expect((await bothWays(['groupadd -g 4303 tbu1'], { name: 'tbu1' })).result).to.include({ changed: true, group: 100 });
    });

    it('makes the missing parents of a home, owned as Ansible leaves them', async () => {
      const { result } = await bothWays([], { name: 'tbu1', home: '/tmp/tbhomes/deep/tbu1' });
      expect(result).to.include({ changed: true, home: '/tmp/tbhomes/deep/tbu1' });
      expect(result.stderr).to.match(/already exists/);
    });

    it('changes what differs with one usermod (2 round trips), as Ansible', async () => {
      const base = ['groupadd -g 4301 tbg1', 'groupadd -g 4302 tbg2', 'useradd -m -u 4201 -c Old -s /bin/sh tbu1'];
      const changed = await bothWays(base, { name: 'tbu1', uid: 4211, group: 'tbg1', comment: 'New', shell: '/bin/bash', groups: 'tbg2' });
      expect(changed.trips).to.equal(2);
      expect(changed.result).to.deep.equal({
        changed: true, name: 'tbu1', state: 'present', append: false, move_home: false,
        uid: 4211, group: 4301, comment: 'New', home: '/home/tbu1', shell: '/bin/bash', groups: 'tbg2',
      });
      // groups: appended, replaced, emptied
      const member = [...base, 'usermod -G tbg1 tbu1'];
      await bothWays(member, { name: 'tbu1', groups: ['tbg2'], append: true });
      expect(await sh('id -Gn tbu1')).to.equal('tbu1 tbg1 tbg2\n');
      await bothWays(member, { name: 'tbu1', groups: ['tbg2'] });
      expect(await sh('id -Gn tbu1')).to.equal('tbu1 tbg2\n');
      await bothWays(member, { name: 'tbu1', groups: '' });
      expect(await sh('id -Gn tbu1')).to.equal('tbu1\n');
      expect((await bothWays(member, { name: 'tbu1', groups: ['tbg1'], append: true })).result.changed).to.equal(false);
      // the home moved with its files
      const moved = await bothWays([...base, 'touch /home/tbu1/file', 'rm -rf /home/tbmoved'], { name: 'tbu1', home: '/home/tbmoved', move_home: true });
      expect(moved.result).to.include({ changed: true, home: '/home/tbmoved', move_home: true });
      expect(await sh('ls /home/tbmoved; test -e /home/tbu1 || echo gone; rm -rf /home/tbmoved')).to.equal('file\ngone\n');
    });

    it('sets, keeps and changes passwords as update_password says, locks and unlocks them', async () => {
      const base = ['useradd -m -u 4201 tbu1'];
      expect((await bothWays(base, { name: 'tbu1', password: SHA512 })).result).to.include({ changed: true, password: 'NOT_LOGGING_PASSWORD' });
      const withPassword = [...base, `usermod -p '${SHA512}' tbu1`];
      expect((await bothWays(withPassword, { name: 'tbu1', password: SHA512 })).result.changed).to.equal(false);
      expect((await bothWays(withPassword, { name: 'tbu1', password: SHA512_2, update_password: 'on_create' })).result.changed).to.equal(false);
      expect((await bothWays(withPassword, { name: 'tbu1', password: SHA512_2 })).result.changed).to.equal(true);
      expect(await sh('getent shadow tbu1 | cut -d: -f2')).to.equal(`${SHA512_2}\n`);
      expect((await bothWays(withPassword, { name: 'tbu1', password_lock: true })).result.changed).to.equal(true);
      expect(await sh('getent shadow tbu1 | cut -d: -f2')).to.equal(`!${SHA512}\n`);
      const locked = [...base, `usermod -p '!${SHA512}' tbu1`];
      expect((await bothWays(locked, { name: 'tbu1', password_lock: true })).result.changed).to.equal(false);
      expect((await bothWays(locked, { name: 'tbu1', password_lock: false })).result.changed).to.equal(true);
      expect((await bothWays(locked, { name: 'tbu1', password: SHA512_2, password_lock: true })).result.changed).to.equal(true);
      expect(await sh('getent shadow tbu1 | cut -d: -f2')).to.equal(`!${SHA512_2}\n`);
    });

    it('sets and removes an expiry, and the password ages with chage', async () => {
      const base = ['useradd -m -u 4201 tbu1'];
      expect((await bothWays(base, { name: 'tbu1', expires: 1422403387 })).result.changed).to.equal(true);
      const expiring = [...base, 'usermod -e 2015-01-28 tbu1'];
      expect((await bothWays(expiring, { name: 'tbu1', expires: 1422403387 })).result.changed).to.equal(false);
      expect((await bothWays(expiring, { name: 'tbu1', expires: -1 })).result.changed).to.equal(true);
      expect(await sh("getent shadow tbu1 | cut -d: -f8 | sed 's/^$/none/'")).to.equal('none\n');
      const aged = await bothWays(base, { name: 'tbu1', password_expire_min: 5, password_expire_max: 30 });
      expect(aged.trips).to.equal(2);
      expect(aged.result.changed).to.equal(true);
      expect(await sh('getent shadow tbu1 | cut -d: -f4,5')).to.equal('5:30\n');
      const again = await bothWays([...base, 'chage -m 5 -M 30 tbu1'], { name: 'tbu1', password_expire_min: 5, password_expire_max: 30 });
      expect(again.trips).to.equal(1);
      expect(again.result.changed).to.equal(false);
    });

    it('check mode reports the change, touching nothing (1 round trip)', async () => {
      const made = await bothWays([], { name: 'tbu1' }, { check: true });
      expect(made.trips).to.equal(1);
      expect(made.result).to.deep.equal({ changed: true });
      const base = ['useradd -M -u 4201 -s /bin/sh tbu1'];
      const modified = await bothWays(base, { name: 'tbu1', shell: '/bin/bash', password_expire_max: 10 }, { check: true });
      expect(modified.trips).to.equal(1);
      // the home missing counts as a change too
      expect(modified.result).to.include({ changed: true, shell: '/bin/sh' });
      expect((await bothWays(base, { name: 'tbu1', state: 'absent' }, { check: true })).result).to.deep.equal({ changed: true });
      expect(await sh('getent passwd tbu1 | cut -d: -f7; getent shadow tbu1 | cut -d: -f5')).to.equal('/bin/sh\n99999\n');
    });

    it('makes a missing home for an existing user, as Ansible does', async () => {
      const { result, trips } = await bothWays(['useradd -M -u 4201 tbu1'], { name: 'tbu1' });
      expect(trips).to.equal(2);
      expect(result).to.include({ changed: true });
      expect(await sh('ls -a /home/tbu1 | grep -c bashrc; stat -c %U /home/tbu1/.bashrc')).to.equal('1\ntbu1\n');
    });

    it('removes a user, its home with remove, and has nothing to remove then', async () => {
      const base = ['useradd -m -u 4201 tbu1'];
      const removed = await bothWays(base, { name: 'tbu1', state: 'absent', remove: true });
      expect(removed.trips).to.equal(2);
      expect(removed.result).to.deep.include({ changed: true, name: 'tbu1', state: 'absent', force: false, remove: true, stderr: 'userdel: tbu1 mail spool (/var/mail/tbu1) not found\n' });
      expect(await sh('test -e /home/tbu1 || echo gone')).to.equal('gone\n');
      expect((await bothWays(base, { name: 'tbu1', state: 'absent', force: true })).result).to.include({ changed: true, force: true, remove: false });
      const none = await bothWays([], { name: 'tbu1', state: 'absent' });
      expect(none.trips).to.equal(1);
      expect(none.result).to.deep.equal({ changed: false, name: 'tbu1', state: 'absent' });
    });

    it("fails as Ansible does: a group that does not exist, useradd's and usermod's errors", async () => {
      expect((await bothWays([], { name: 'tbu1', group: 'tbnosuch' })).result).to.deep.equal({ changed: false, failed: true, msg: 'Group tbnosuch does not exist' });
      expect((await bothWays([], { name: 'tbu1', groups: ['tbnosuch'] })).result).to.deep.equal({ changed: false, failed: true, msg: 'Group tbnosuch does not exist' });
      const taken = await bothWays([], { name: 'tbu1', uid: 0 });
      expect(taken.result).to.deep.equal({ changed: false, failed: true, name: 'tbu1', rc: 4, msg: 'useradd: UID 0 is not unique\n' });
      expect((await bothWays(['useradd -M -u 4201 tbu1'], { name: 'tbu1', uid: 0 })).result).to.include({ failed: true, rc: 4, msg: 'usermod: UID \'0\' already exists\n' });
      expect((await bothWays(['useradd -M -u 4201 tbu1'], { name: 'tbu1', uid: 0, non_unique: true })).result).to.include({ changed: true, uid: 0 });
    });

    it('warns as Ansible does: append without groups, a password that is no hash', async () => {
      const { result } = await bothWays(['useradd -M -u 4201 tbu1', 'mkdir /home/tbu1'], { name: 'tbu1', append: true, password: 'plain' });
      expect(result.warnings).to.have.length(2);
      expect(result).to.include({ changed: true });
    });

    it('with local: reads /etc/passwd, warns as Ansible when the user is not there, and fails without libuser', async () => {
      const absent = await bothWays([], { name: 'tbu1', state: 'absent', local: true });
      expect(absent.result.warnings).to.have.length(2);
      expect((await bothWays([], { name: 'tbu1', local: true })).result.msg).to.match(/^Failed to find required executable "lgroupmod" in paths: \S*\/usr\/sbin/);
      expect((await bothWays(['useradd -M tbu1'], { name: 'tbu1', local: true, state: 'absent' })).result.msg).to.match(/^Failed to find required executable "luserdel"/);
    });

    describe('ssh keys', () => {
      /** The results, the key itself aside (random), and the key checked against the files it came from. */
      const withoutKey = async (result: Record<string, unknown>): Promise<Record<string, unknown>> => {
        const { ssh_fingerprint: fingerprint, ssh_public_key: publicKey, ...rest } = result;
        if (typeof publicKey === 'string') {
          const file = String(result.ssh_key_file);
          expect(await sh(`cat ${file}.pub`)).to.equal(`${publicKey}\n`);
          expect(`${await sh(`ssh-keygen -l -f ${file}`)}`.trim()).to.equal(fingerprint);
        } else expect(fingerprint).to.equal('');
        return { ...rest, key: publicKey === null ? null : 'a key' };
      };
      const keyWays = async (setup: string[], args: Record<string, unknown>, options: { check?: boolean } = {}) => {
        await setUp(setup);
        const theirs = await withoutKey(await ansible(args, options));
        const theirHost = await sh('find /home/tbu1 -printf "%p %M %u %g\\n" | sort');
        await setUp(setup);
        const ours = await counted(args, options);
        expect(await withoutKey(ours.result)).to.deep.equal(theirs);
        expect(await sh('find /home/tbu1 -printf "%p %M %u %g\\n" | sort')).to.equal(theirHost);
        return ours;
      };
      const base = ['useradd -m -u 4201 tbu1'];

      it('generates a key for an existing user (2 round trips), with the host name in its comment, as Ansible', async () => {
        const made = await keyWays(base, { name: 'tbu1', generate_ssh_key: true, ssh_key_bits: 1024 });
        expect(made.trips).to.equal(2);
        expect(made.result).to.include({ changed: true, ssh_key_file: '/home/tbu1/.ssh/id_rsa' });
        const host = (await sh('hostname')).trim();
        expect(String(made.result.ssh_public_key)).to.match(new RegExp(`^ssh-rsa \\S+ ansible-generated on ${host}$`));
        const again = await counted({ name: 'tbu1', generate_ssh_key: true });
        expect(again.trips).to.equal(1);
        expect(again.result).to.include({ changed: false, ssh_public_key: made.result.ssh_public_key, ssh_fingerprint: made.result.ssh_fingerprint });
        expect(again.result.warnings).to.deep.equal(['Found existing ssh key private file "/home/tbu1/.ssh/id_rsa", no force, so skipping ssh-keygen generation']);
      });

      it('generates one for a new user, of another type, file and comment, with a passphrase', async () => {
        const { result } = await keyWays([], { name: 'tbu1', generate_ssh_key: true, ssh_key_type: 'ed25519', ssh_key_file: '.ssh/custom', ssh_key_comment: 'me@here', ssh_key_passphrase: 'sesame' });
        expect(result).to.include({ changed: true, ssh_key_file: '/home/tbu1/.ssh/custom' });
        expect(String(result.ssh_public_key)).to.match(/^ssh-ed25519 \S+ me@here$/);
        // the passphrase opens it, and no other
        expect(await sh('ssh-keygen -y -P sesame -f /home/tbu1/.ssh/custom | cut -d" " -f1; ssh-keygen -y -P wrong -f /home/tbu1/.ssh/custom >/dev/null 2>&1 || echo refused')).to.equal('ssh-ed25519\nrefused\n');
      });

      it('overwrites an existing key with force, and check mode reports a key to make', async () => {
        const keyed = [...base, "su tbu1 -c \"mkdir -p ~/.ssh && ssh-keygen -q -t ed25519 -N '' -f ~/.ssh/id_rsa\""];
        const forced = await keyWays(keyed, { name: 'tbu1', generate_ssh_key: true, force: true });
        expect(forced.result).to.include({ changed: true });
        expect(String(forced.result.ssh_public_key)).to.match(/^ssh-rsa /);
        expect(forced.result.warnings).to.have.length(2);
        const check = await keyWays(base, { name: 'tbu1', generate_ssh_key: true }, { check: true });
        expect(check.trips).to.equal(1);
        expect(check.result).to.include({ changed: true, ssh_fingerprint: '', ssh_public_key: null });
      });
    });
  });
});

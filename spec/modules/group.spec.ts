/**
 * group on a real lab host against ansible.builtin.group itself, both ways: the same task from the same state
 * by Ansible then by typebook, equal results and equal /etc/group afterwards. The lab has no libuser (its
 * packages would come from the network): `local` is checked where it needs none of its tools, and where
 * their absence fails, with Ansible's message.
 */
import { expect } from 'chai';
import group from '../../lib/modules/group.js';
import { resolveAliases } from '../../lib/playbook/module-args.js';
import { useLab } from '../lab/fixture.js';
import { onLabHost } from './ansible.js';
import { checkedArgs } from './harness.js';

describe('group module', function () {
  this.timeout(120_000);

  describe('arguments', () => {
    it("refuses what Ansible refuses, with Ansible's messages", () => {
      expect(() => checkedArgs(group, { name: 'g', non_unique: true })).to.throw(/non_unique is true but all of the following are missing: gid/i);
      expect(() => checkedArgs(group, { name: 'g', gid: 'abc' })).to.throw(/gid/);
      expect(() => checkedArgs(group, { name: 'g', state: 'gone' })).to.throw(/'state' is 'gone'; expected one of "absent", "present"/);
      expect(() => checkedArgs(group, { name: 'g', members: 'x' })).to.throw(/unknown argument 'members' for module group/);
      expect(() => checkedArgs(group, {})).to.throw(/name/);
      expect(checkedArgs(group, resolveAliases(group, { name: 'g', gid: '1234', system: 'yes' }).args)).to.deep.include({ name: 'g', gid: 1234, system: true });
    });
  });

  describe('on a lab host, against Ansible', () => {
    const fixture = useLab({ hosts: 1, name: 'mod-user-2' });
    const { sh, counted, ansible } = onLabHost(fixture, group, 'ansible.builtin.group');

    /** The test groups: tbg1 (gid 4101) and tbg2 (gid 4102) present or absent as asked, nothing else of ours. */
    const setUp = async (present: Record<string, number>): Promise<void> => {
      const cmds = ['for g in tbg1 tbg2 tbg3; do getent group $g >/dev/null && groupdel $g; done; true'];
      for (const [name, gid] of Object.entries(present)) cmds.push(`groupadd -g ${gid} ${name}`);
      await sh(cmds.join(' && '));
    };
    const snapshot = () => sh("grep -E '^tbg' /etc/group /etc/gshadow || true; ls -a /etc | grep -cE '^(group|gshadow)[-+.].*lock' || true");

    const bothWays = async (present: Record<string, number>, args: Record<string, unknown>, options: { check?: boolean } = {}) => {
      await setUp(present);
      const theirs = await ansible(args, options);
      const theirHost = await snapshot();
      await setUp(present);
      const ours = await counted(args, options);
      const ourHost = await snapshot();
      expect(ours.result, JSON.stringify(theirs)).to.deep.equal(theirs);
      expect(ourHost).to.equal(theirHost);
      return ours;
    };

    it('creates a group (2 round trips), then has nothing to change (1), as Ansible', async () => {
      const made = await bothWays({}, { name: 'tbg1', gid: 4101 });
      expect(made.trips).to.equal(2);
      expect(made.result).to.deep.equal({ changed: true, name: 'tbg1', state: 'present', system: false, gid: 4101 });
      expect(await sh('getent group tbg1')).to.equal('tbg1:x:4101:\n');
      const again = await counted({ name: 'tbg1', gid: 4101 });
      expect(again.trips).to.equal(1);
      expect(again.result).to.deep.equal({ changed: false, name: 'tbg1', state: 'present', system: false, gid: 4101 });
      expect(await ansible({ name: 'tbg1', gid: 4101 })).to.deep.equal(again.result);
    });

    it('creates a system group without a gid, and takes the gid the host gives', async () => {
      const { result } = await bothWays({}, { name: 'tbg1', system: true });
      expect(result).to.include({ changed: true, system: true });
      expect(result.gid).to.be.a('number').below(1000);
    });

    it('changes a gid, and refuses one another group has unless non_unique, as Ansible', async () => {
      expect((await bothWays({ tbg1: 4101 }, { name: 'tbg1', gid: 4111 })).result).to.deep.equal({ changed: true, name: 'tbg1', state: 'present', system: false, gid: 4111 });
      const taken = await bothWays({ tbg1: 4101, tbg2: 4102 }, { name: 'tbg1', gid: 4102 });
      expect(taken.result).to.deep.equal({ changed: false, failed: true, name: 'tbg1', msg: "groupmod: GID '4102' already exists\n" });
      expect((await bothWays({ tbg1: 4101, tbg2: 4102 }, { name: 'tbg1', gid: 4102, non_unique: true })).result).to.include({ changed: true, gid: 4102 });
      expect((await bothWays({ tbg2: 4102 }, { name: 'tbg3', gid: 4102 })).result).to.include({ failed: true, msg: "groupadd: GID '4102' already exists\n" });
    });

    it('check mode reports the change, touching nothing (1 round trip)', async () => {
      const made = await bothWays({}, { name: 'tbg1', gid: 4101 }, { check: true });
      expect(made.trips).to.equal(1);
      expect(made.result).to.deep.equal({ changed: true });
      expect((await bothWays({ tbg1: 4101 }, { name: 'tbg1', gid: 4111 }, { check: true })).result).to.deep.equal({ changed: true, name: 'tbg1', state: 'present', system: false, gid: 4101 });
      expect((await bothWays({ tbg1: 4101 }, { name: 'tbg1', state: 'absent' }, { check: true })).result).to.deep.equal({ changed: true });
      expect(await sh('getent group tbg1')).to.equal('tbg1:x:4101:\n');
    });

    it('removes a group, and has nothing to remove then, as Ansible', async () => {
      const removed = await bothWays({ tbg1: 4101 }, { name: 'tbg1', state: 'absent' });
      expect(removed.trips).to.equal(2);
      expect(removed.result).to.deep.equal({ changed: true, name: 'tbg1', state: 'absent' });
      const none = await bothWays({}, { name: 'tbg1', state: 'absent' });
      expect(none.trips).to.equal(1);
      expect(none.result).to.deep.equal({ changed: false, name: 'tbg1', state: 'absent' });
    });

    it("refuses to remove a user's primary group with groupdel's message, as Ansible", async () => {
      await setUp({ tbg1: 4101 });
      await sh('useradd -M -g tbg1 tbgu1');
      try {
        const theirs = await ansible({ name: 'tbg1', state: 'absent' });
        const { result } = await counted({ name: 'tbg1', state: 'absent' });
        expect(result).to.deep.equal(theirs);
        expect(result).to.include({ failed: true, name: 'tbg1', msg: "groupdel: cannot remove the primary group of user 'tbgu1'\n" });
      } finally {
        await sh('userdel tbgu1');
      }
    });

    it('with local: reads /etc/group, warns as Ansible when the group is not there, and fails without libuser', async () => {
      // not in /etc/group, nothing to remove: the warning, twice (main() looks twice)
      const absent = await bothWays({}, { name: 'tbg1', state: 'absent', local: true });
      expect(absent.result.warnings).to.have.length(2);
      expect((absent.result.warnings as string[])[0]).to.equal("'local: true' specified and group was not found in /etc/group. The local group may already exist if the local group database exists somewhere other than /etc/group.");
      // lgroupadd / lgroupmod are looked up even with nothing to change
      const add = await bothWays({}, { name: 'tbg1', local: true });
      expect(add.result).to.include({ failed: true });
      expect(add.result.msg).to.match(/^Failed to find required executable "lgroupadd" in paths: \S*\/usr\/sbin/);
      expect((await bothWays({ tbg1: 4101 }, { name: 'tbg1', local: true })).result.msg).to.match(/^Failed to find required executable "lgroupmod"/);
      expect((await bothWays({ tbg1: 4101 }, { name: 'tbg1', local: true, state: 'absent' })).result.msg).to.match(/^Failed to find required executable "lgroupdel"/);
      // a gid another group has, found before the missing tool
      expect((await bothWays({ tbg2: 4102 }, { name: 'tbg1', gid: 4102, local: true })).result).to.deep.include({ failed: true, msg: "GID '4102' already exists with group 'tbg2'" });
    });
  });
});

/** slurp on a real lab host: text and binary bytes, and every failure, equal to Ansible's slurp there. */
import { expect } from 'chai';
import type { CountingConnection } from '../../lib/connection/index.js';
import slurp, { slurpFailure } from '../../lib/modules/slurp.js';
import { labSsh, useSharedLab } from '../lab/fixture.js';
import { runAnsibleTasks } from './ansible.js';
import { checkedArgs, labConnection, runModule } from './harness.js';

const D = '/srv/typebook-slurp';

describe('slurp module (lab, against Ansible)', function () {
  this.timeout(90_000);
  let conn: CountingConnection;
  after(async () => conn?.close());
  const fixture = useSharedLab({ hosts: 1, name: 'mod-inspect' });

  before(async () => {
    conn = labConnection(fixture.lab, 'node1');
    const setup = await labSsh(fixture.lab, 'node1', [
      `rm -rf ${D} && mkdir -p ${D}/dir && cd ${D}`,
      `printf 'hello\\nworld\\n' > text && printf '\\000\\001\\377\\376\\n' > bin && : > empty && head -c 300000 /dev/urandom > big`,
      "printf 'q' > \"it's\" && ln -s missing dangling && ln -s text link && mkdir -p -- -dir && printf 'd' > ./-dir/-f",
    ].join(' && '));
    expect(setup.code, setup.stderr).to.equal(0);
  });

  const cases: Record<string, unknown>[] = [
    { src: `${D}/text` },
    { src: `${D}/bin` },
    { src: `${D}/empty` },
    { src: `${D}/big` },
    { path: `${D}/link` },
    { src: `${D}/it's` },
    { src: `${D}/-dir/-f` },
    { src: `${D}/missing` },
    { src: `${D}/dangling` },
    { src: `${D}/dir` },
    { src: `${D}/text/x` },
  ];

  it("returns Ansible's result for every case, in one round trip each", async () => {
    const theirs = await runAnsibleTasks(fixture.lab, 'node1', cases.map((args) => ({ slurp: args })));
    expect(theirs.slice(7).map((r) => r.msg)).to.deep.equal([
      `file not found: ${D}/missing`, `file not found: ${D}/dangling`, `source is a directory and must be a file: ${D}/dir`,
      `unable to slurp file: [Errno 20] Not a directory: '${D}/text/x'`,
    ]);
    for (const [i, args] of cases.entries()) {
      const before = conn.roundTrips;
      const ours = await runModule(slurp, args, conn);
      expect(conn.roundTrips - before, JSON.stringify(args)).to.equal(1);
      expect(ours, JSON.stringify(args)).to.deep.equal(theirs[i]);
    }
  });

  it('reads the bytes exactly, in check mode too', async () => {
    const result = await runModule(slurp, { src: `${D}/bin` }, conn, { check: true });
    expect(result).to.include({ changed: false, encoding: 'base64', source: `${D}/bin` });
    expect([...Buffer.from(result.content as string, 'base64')]).to.deep.equal([0, 1, 255, 254, 10]);
    const big = await runModule(slurp, { src: `${D}/big` }, conn);
    const sum = await labSsh(fixture.lab, 'node1', `sha1sum < ${D}/big`);
    const { createHash } = await import('node:crypto');
    expect(createHash('sha1').update(Buffer.from(big.content as string, 'base64')).digest('hex')).to.equal(sum.stdout.split(' ')[0]);
  });

  it("words a failure as Ansible does, and takes Ansible's names", () => {
    expect(slurpFailure('/x', 'cat: /x: Permission denied\n')).to.equal('file is not readable: /x');
    expect(slurpFailure('/x', 'cat: /x: Too many levels of symbolic links\n')).to.equal("unable to slurp file: [Errno 40] Too many levels of symbolic links: '/x'");
    expect(slurp.aliases).to.include.members(['ansible.builtin.slurp', 'ansible.legacy.slurp']);
    expect(() => checkedArgs(slurp, {})).to.throw(/src/);
    expect(() => checkedArgs(slurp, { src: '/x', dest: '/y' })).to.throw(/dest/);
  });
});

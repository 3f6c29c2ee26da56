/** template on a real lab host: rendered on the controller, compared by checksum on the host, as Ansible renders it. */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CountingConnection } from '../../lib/connection/index.js';
import template from '../../lib/modules/template.js';
import { TemplateError } from '../../lib/template/index.js';
import { labSsh, useSharedLab } from '../lab/fixture.js';
import { runAnsible } from './ansible.js';
import { checkedArgs, labConnection, runModule } from './harness.js';

describe('template module (lab)', function () {
  this.timeout(60_000);
  let conn: CountingConnection;
  // registered before the lab's own hook, so it runs while the host is still up
  after(async () => conn?.close());
  const fixture = useSharedLab({ hosts: 1, name: 'mod-files' });
  const sh = async (cmd: string) => (await labSsh(fixture.lab, 'node1', cmd)).stdout;
  const local = mkdtempSync(join(tmpdir(), 'typebook-template-'));
  const src = join(local, 'nova.conf.j2');
  const vars = { workers: 4, backends: ['10.0.0.1', '10.0.0.2'] };
  after(() => rmSync(local, { recursive: true, force: true }));

  before(async () => {
    conn = labConnection(fixture.lab, 'node1');
    writeFileSync(src, '[DEFAULT]\nworkers = {{ workers }}\n{% for b in backends %}\nserver {{ b }}\n{% endfor %}\n# end\n\n');
    await sh('mkdir -p /srv/tp');
  });

  it('renders once; unchanged: one round trip', async () => {
    const args = { src, dest: '/srv/tp/nova.conf', mode: '0640' };
    let trips = conn.roundTrips;
    expect(await runModule(template, args, conn, { vars })).to.include({ changed: true, mode: '0640' });
    expect(conn.roundTrips - trips).to.equal(2);
    expect(await sh('cat /srv/tp/nova.conf')).to.equal('[DEFAULT]\nworkers = 4\nserver 10.0.0.1\nserver 10.0.0.2\n# end\n\n');
    trips = conn.roundTrips;
    expect((await runModule(template, args, conn, { vars })).changed).to.equal(false);
    expect(conn.roundTrips - trips).to.equal(1);
  });

  it('check mode and diff: says what would change, changes nothing', async () => {
    const result = await runModule(template, { src, dest: '/srv/tp/nova.conf' }, conn, { vars: { ...vars, workers: 8 }, check: true, diff: true });
    expect(result.changed).to.equal(true);
    const diff = (result.diff as { before: string; after: string }[])[0]!;
    expect(diff.before).to.include('workers = 4');
    expect(diff.after).to.include('workers = 8');
    expect(await sh('grep workers /srv/tp/nova.conf')).to.equal('workers = 4\n');
  });

  it('fails clearly: undefined variable, unsupported options; refuses bad arguments', async () => {
    // the template's error reaches the engine, which fails the task with the template's file:line:col
    const undef = await runModule(template, { src, dest: '/srv/tp/x' }, conn, { vars: { workers: 1 } }).catch((e: unknown) => e);
    expect(undef).to.be.instanceOf(TemplateError);
    expect((undef as TemplateError).message).to.match(/'backends' is undefined/);
    expect((undef as TemplateError).pos).to.include({ file: src });
    expect(await runModule(template, { src, dest: '/srv/tp/x', lstrip_blocks: true }, conn, { vars })).to.include({ failed: true, msg: 'lstrip_blocks: true is not supported by typebook' });
    expect(() => checkedArgs(template, { src, dest: '/x', state: 'file' })).to.throw(/state/);
  });

  it('Ansible renders the same bytes: no change after typebook, and none the other way', async () => {
    const extra = ['-e', JSON.stringify(vars)];
    const ansible = await runAnsible(fixture.lab, 'node1', 'template', { src, dest: '/srv/tp/nova.conf', mode: '0640' }, extra);
    expect(ansible.status).to.equal('SUCCESS');
    expect(ansible.result.changed).to.equal(false);
    const byAnsible = await runAnsible(fixture.lab, 'node1', 'template', { src, dest: '/srv/tp/by-ansible.conf' }, extra);
    expect(byAnsible.result.changed).to.equal(true);
    expect(await runModule(template, { src, dest: '/srv/tp/by-ansible.conf' }, conn, { vars })).to.include({ changed: false, checksum: byAnsible.result.checksum });
  });
});

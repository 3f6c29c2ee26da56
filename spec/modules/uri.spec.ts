/** uri on real lab hosts: requests from node1 to the nova API stand-in served on node2's 10.x address. */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { CountingConnection } from '../../lib/connection/index.js';
import uri from '../../lib/modules/uri.js';
import { labSsh, useLab } from '../lab/fixture.js';
import { runAnsible as ansible } from './ansible.js';
import { checkedArgs, labConnection, runCounted } from './harness.js';

/** sent to the host on stdin: a host has its own /tmp, so a checkout under this machine's /tmp is not visible there */
const STANDIN = readFileSync(new URL('../../lib/lab/nova-standin.py', import.meta.url), 'utf8');


describe('uri module', function () {
  this.timeout(60_000);
  let node1: CountingConnection;
  let serverPid = '';
  after(async () => {
    if (serverPid) await labSsh(fixture.lab, 'node2', `kill ${serverPid}`);
    await node1?.close();
  });
  const fixture = useLab({ hosts: 2, name: 'mod-uri' });
  let base = '';
  const counted = (args: Record<string, unknown>, options: { check?: boolean } = {}) => runCounted(uri, args, node1, options);

  before(async () => {
    node1 = labConnection(fixture.lab, 'node1');
    const address = fixture.lab.hosts.find((h) => h.name === 'node2')!.address;
    base = `http://${address}:8774`;
    const started = await labSsh(fixture.lab, 'node2', `cat > /root/nova-standin.py; python3 /root/nova-standin.py api-alone --bind ${address} --port 8774 --max-version 2.88 --quiet >/tmp/nova.log 2>&1 </dev/null & pid=$!; for i in $(seq 50); do (exec 3<>/dev/tcp/${address}/8774) 2>/dev/null && break; sleep 0.1; done; echo $pid`, 60_000, STANDIN);
    serverPid = started.stdout.trim();
    expect(serverPid).to.match(/^\d+$/);
  });

  it('GETs a JSON document from another host (1 round trip), with Ansible\'s result fields', async () => {
    const { result, trips } = await counted({ url: `${base}/` });
    expect(trips).to.equal(1);
    expect(result).to.include({ changed: false, status: 200, redirected: false, url: `${base}/`, content_type: 'application/json' });
    expect(result.failed).to.equal(undefined);
    expect(result.msg).to.match(/^OK \(\d+ bytes\)$/);
    expect((result.json as { version: { version: string } }).version.version).to.equal('2.88');
    expect(result.content).to.equal(undefined);
    const { status, result: theirs } = await ansible(fixture.lab, 'node1', 'ansible.builtin.uri', { url: `${base}/` });
    expect(status).to.equal('SUCCESS');
    for (const key of ['changed', 'status', 'redirected', 'url', 'json', 'content_type', 'msg']) expect(result[key], key).to.deep.equal(theirs[key]);
  });

  it('returns the content with return_content', async () => {
    const { result } = await counted({ url: `${base}/v2.1`, return_content: true });
    expect(result.content).to.be.a('string').and.match(/"status": "CURRENT"/);
  });

  it('fails with Ansible\'s message for a status not in status_code, passes when listed', async () => {
    const { result } = await counted({ url: `${base}/nope` });
    expect(result).to.include({ failed: true, status: 404, msg: 'Status code was 404 and not [200]: HTTP Error 404: Not Found' });
    const { result: theirs } = await ansible(fixture.lab, 'node1', 'ansible.builtin.uri', { url: `${base}/nope` });
    expect(theirs.msg).to.equal(result.msg);
    expect((await counted({ url: `${base}/nope`, status_code: [200, 404] })).result.failed).to.equal(undefined);
  });

  it('reports a refused connection as status -1', async () => {
    const { result } = await counted({ url: base.replace('8774', '8775'), timeout: 5 });
    expect(result).to.include({ failed: true, status: -1 });
    expect(result.msg).to.match(/^Status code was -1 and not \[200\]: Request failed: <urlopen error .*Connection refused>$/);
  });

  it('sends the headers given (X-Delay to the stand-in)', async () => {
    const { result } = await counted({ url: `${base}/v2.1`, headers: { 'X-Delay': 'abc' } });
    expect(result).to.include({ status: 400, failed: true });
    expect(result.json).to.have.property('badRequest');
    expect((await counted({ url: `${base}/`, method: 'get', headers: { 'X-Delay': '0' } })).result.status).to.equal(200);
  });

  it('is skipped in check mode and refuses bad arguments', async () => {
    const { result, trips } = await counted({ url: `${base}/` }, { check: true });
    expect(result).to.include({ skipped: true, changed: false });
    expect(trips).to.equal(0);
    expect(() => checkedArgs(uri, { url: base, status_codes: [200] })).to.throw(/did you mean 'status_code'/);
    expect(() => checkedArgs(uri, { url: base, body_format: 'xml' })).to.throw(/json/);
    expect(() => checkedArgs(uri, { url: base, method: 'GET ME' })).to.throw(/'method' is 'GET ME'; expected a single word, like GET or POST/);
  });
});

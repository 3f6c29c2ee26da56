/**
 * get_url on a real lab host, against Ansible's: files served from inside the lab by a small HTTP server on the
 * host's own 10.x address; each case run by ansible-playbook and by typebook from the same host state, the
 * results and the files left compared.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import type { CountingConnection } from '../../lib/connection/index.js';
import get_url from '../../lib/modules/get_url.js';
import { labSsh, useLab } from '../lab/fixture.js';
import { runAnsibleTasks } from './ansible.js';
import { checkedArgs, labConnection, runCounted } from './harness.js';

const WWW = '/srv/www';
const D = '/srv/dl';

/**
 * http.server's file serving (If-Modified-Since, 404...), plus: /echo answers the request's headers as its
 * body, /auth wants Basic user:secret (401 with a challenge otherwise), /cd names its file in
 * Content-Disposition, /gz is gzip-encoded. It stops by itself after its time limit.
 */
const SERVER = String.raw`
import base64, gzip, http.server, sys, threading, os
class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
    def answer(self, body, headers=()):
        self.send_response(200)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if self.path == '/echo':
            return self.answer(''.join('%s: %s\n' % (k.lower(), v) for k, v in sorted(self.headers.items())).encode())
        if self.path == '/auth':
            if self.headers.get('Authorization') != 'Basic ' + base64.b64encode(b'user:secret').decode():
                self.send_response(401)
                self.send_header('WWW-Authenticate', 'Basic realm="lab"')
                self.send_header('Content-Length', '0')
                self.end_headers()
                return
            return self.answer(b'welcome\n')
        if self.path == '/cd':
            return self.answer(b'named\n', [('Content-Disposition', 'attachment; filename="given.txt"')])
        if self.path == '/gz':
            return self.answer(gzip.compress(b'plain text\n' * 100, mtime=0), [('Content-Encoding', 'gzip')])
        return http.server.SimpleHTTPRequestHandler.do_GET(self)
os.chdir(sys.argv[3])
server = http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Handler)
threading.Timer(float(sys.argv[4]), server.shutdown).start()
server.serve_forever()
`;

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** What differs between two runs of the same case by nature: the temp file's name, a backup's name. */
function normalized(result: Record<string, unknown>): Record<string, unknown> {
  const out = { ...result };
  if (typeof out.src === 'string') out.src = '<temp>';
  if (typeof out.backup_file === 'string') out.backup_file = out.backup_file.replace(/\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~$/, '.<pid>.<time>~');
  return out;
}

describe('get_url module (lab, against Ansible)', function () {
  this.timeout(180_000);
  let conn: CountingConnection;
  let serverPid = '';
  let base = '';
  after(async () => {
    if (serverPid) await labSsh(fixture.lab, 'node1', `kill ${serverPid}`);
    await conn?.close();
  });
  const fixture = useLab({ hosts: 1, name: 'mod-get-url' });
  const sh = async (cmd: string) => {
    const out = await labSsh(fixture.lab, 'node1', cmd);
    expect(out.code, `${cmd}: ${out.stderr}`).to.equal(0);
    return out.stdout;
  };

  before(async () => {
    conn = labConnection(fixture.lab, 'node1');
    const address = fixture.lab.hosts.find((h) => h.name === 'node1')!.address;
    base = `http://${address}:8080`;
    await sh([
      `rm -rf ${WWW} ${D} && mkdir -p ${WWW}/sub ${D}/dir ${D}/tmp`,
      `printf 'hello\\n' > ${WWW}/a.txt && printf 'other\\n' > ${WWW}/b.txt && printf 'deep\\n' > ${WWW}/sub/c.txt`,
      `cd ${WWW} && sha256sum a.txt b.txt > SHA256SUMS && printf '%s\\n' ${sha1('deep\n')} > sub/c.txt.sha1`,
      // served files older than anything downloaded, so If-Modified-Since gets 304 for what was fetched
      `touch -d '2020-01-01 00:00:00' ${WWW}/*.txt ${WWW}/sub/*`,
    ].join(' && '));
    const started = await labSsh(fixture.lab, 'node1', `cat > /root/www.py; python3 /root/www.py ${address} 8080 ${WWW} 900 >/tmp/www.log 2>&1 </dev/null & pid=$!; for i in $(seq 50); do (exec 3<>/dev/tcp/${address}/8080) 2>/dev/null && break; sleep 0.1; done; echo $pid`, 60_000, SERVER);
    serverPid = started.stdout.trim();
    expect(serverPid).to.match(/^\d+$/);
  });

  /** [name, shell command setting the state up, arguments]: the same state before Ansible's run and before ours */
  const cases = (): [string, string, Record<string, unknown>][] => [
    ['a new file, with a mode', `rm -rf ${D}/f`, { url: `${base}/a.txt`, dest: `${D}/f`, mode: '0640' }],
    ['again: 304, nothing changes', ':', { url: `${base}/a.txt`, dest: `${D}/f`, mode: '0640' }],
    ['again, forced: fetched, same content', ':', { url: `${base}/a.txt`, dest: `${D}/f`, force: true }],
    ['forced, other content, with a backup', ':', { url: `${base}/b.txt`, dest: `${D}/f`, force: true, backup: true }],
    ['into a directory: the URL\'s name', `rm -f ${D}/dir/*`, { url: `${base}/sub/c.txt`, dest: `${D}/dir` }],
    ['into a directory: the Content-Disposition name', ':', { url: `${base}/cd`, dest: `${D}/dir/` }],
    ['checksum matching an existing file: no download, attributes set', `printf 'hello\\n' > ${D}/g; chmod 600 ${D}/g`, { url: `${base}/a.txt`, dest: `${D}/g`, checksum: `sha256:${sha256('hello\n').toUpperCase()}`, mode: 'u=rw,g=r,o=r', owner: 'nobody' }],
    ['checksum not matching the existing file: downloaded again', `printf 'stale\\n' > ${D}/g`, { url: `${base}/a.txt`, dest: `${D}/g`, checksum: `sha256:${sha256('hello\n')}` }],
    ['checksum from a sums file', `rm -f ${D}/h`, { url: `${base}/b.txt`, dest: `${D}/h`, checksum: `sha256:${base}/SHA256SUMS` }],
    ['checksum from a file of one digest', `rm -f ${D}/i`, { url: `${base}/sub/c.txt`, dest: `${D}/i`, checksum: `sha1:${base}/sub/c.txt.sha1` }],
    ['wrong checksum: dest removed', `rm -f ${D}/j`, { url: `${base}/a.txt`, dest: `${D}/j`, checksum: `sha1:${sha1('nope')}` }],
    ['no checksum for the file in the sums file', `rm -f ${D}/k`, { url: `${base}/sub/c.txt`, dest: `${D}/k`, checksum: `sha256:${base}/SHA256SUMS` }],
    ['bad checksum format', ':', { url: `${base}/a.txt`, dest: `${D}/k`, checksum: 'sha256' }],
    ['not a hex digest', ':', { url: `${base}/a.txt`, dest: `${D}/k`, checksum: 'sha256:xyz' }],
    ['404', ':', { url: `${base}/missing.txt`, dest: `${D}/k` }],
    ['connection refused', ':', { url: base.replace(':8080', ':8081'), dest: `${D}/k` }],
    ['missing destination directory', ':', { url: `${base}/a.txt`, dest: `${D}/none/k` }],
    ['tmp_dest missing', ':', { url: `${base}/a.txt`, dest: `${D}/k`, tmp_dest: `${D}/nowhere` }],
    ['tmp_dest a file', `touch ${D}/afile`, { url: `${base}/a.txt`, dest: `${D}/k`, tmp_dest: `${D}/afile` }],
    ['tmp_dest given', `rm -f ${D}/l`, { url: `${base}/a.txt`, dest: `${D}/l`, tmp_dest: `${D}/tmp` }],
    ['a file URL', `rm -f ${D}/m`, { url: `file://${WWW}/a.txt`, dest: `${D}/m` }],
    ['a missing file URL', ':', { url: `file://${WWW}/none`, dest: `${D}/m2` }],
    ['headers and the agent', `rm -f ${D}/echo`, { url: `${base}/echo`, dest: `${D}/echo`, headers: { 'X-Lab': 'yes' }, http_agent: 'typebook-test' }],
    ['basic auth after a 401 challenge', `rm -f ${D}/auth`, { url: `${base}/auth`, dest: `${D}/auth`, url_username: 'user', url_password: 'secret' }],
    ['basic auth sent first', `rm -f ${D}/auth2`, { url: `${base}/auth`, dest: `${D}/auth2`, username: 'user', password: 'secret', force_basic_auth: true }],
    ['wrong password', `rm -f ${D}/auth3`, { url: `${base}/auth`, dest: `${D}/auth3`, url_username: 'user', url_password: 'wrong' }],
    ['gzip-encoded: decompressed', `rm -f ${D}/gz`, { url: `${base}/gz`, dest: `${D}/gz` }],
    ['gzip-encoded: kept', `rm -f ${D}/gz2`, { url: `${base}/gz`, dest: `${D}/gz2`, decompress: false }],
    ['an unknown owner', `rm -f ${D}/n`, { url: `${base}/a.txt`, dest: `${D}/n`, owner: 'nosuchuser' }],
  ];

  /** the state after a case: what each file under D holds, its mode and owner */
  const state = () => sh(`cd ${D} && find . -type f ! -name '*~' -printf '%p %m %u ' -exec sha1sum {} \\; | sort; ls ${D}/tmp | wc -l; ls ${D} | grep -c '~$' || true`);

  it("returns Ansible's results and leaves the same files, in one round trip", async () => {
    const list = cases();
    const theirs: Record<string, unknown>[] = [];
    const theirStates: string[] = [];
    // one case at a time: each Ansible run from the state its setup makes, then ours from the same state
    for (const [name, setup, args] of list) {
      await sh(setup);
      theirs.push((await runAnsibleTasks(fixture.lab, 'node1', [{ name, get_url: args }]))[0]!);
      theirStates.push(await state());
    }
    // typebook replays the same sequence from the start, state by state
    await sh(`rm -rf ${D} && mkdir -p ${D}/dir ${D}/tmp`);
    for (const [i, [name, setup, args]] of list.entries()) {
      await sh(setup);
      const { result, trips } = await runCounted(get_url, args, conn);
      expect(trips, name).to.equal(1);
      expect(normalized(result), name).to.deep.equal(normalized(theirs[i]!));
      expect(await state(), name).to.equal(theirStates[i]);
    }
    // what the cases claim, in short
    expect(theirs.map((r) => (r.failed ? `failed: ${String(r.msg)}` : `${r.changed ? 'changed' : 'ok'} ${String(r.status_code ?? '')}`))).to.deep.equal([
      'changed 200', 'ok 304', 'ok 200', 'changed 200', 'changed 200', 'changed 200', 'changed ', 'changed 200', 'changed 200', 'changed 200',
      `failed: The checksum for ${D}/j did not match ${sha1('nope')}; it was ${sha1('hello\n')}.`,
      `failed: Unable to find a checksum for file 'c.txt' in '${base}/SHA256SUMS'`,
      'failed: The checksum parameter has to be in format <algorithm>:<checksum>', 'failed: The checksum format is invalid',
      'failed: Request failed', 'failed: Request failed: <urlopen error [Errno 111] Connection refused>', `failed: Destination ${D}/none does not exist`,
      `failed: ${D}/nowhere directory does not exist.`, `failed: ${D}/afile is a file but should be a directory.`, 'changed 200', 'changed ',
      `failed: Request failed: <urlopen error [Errno 2] No such file or directory: '${WWW}/none'>`, 'changed 200', 'changed 200', 'changed 200',
      'failed: Request failed', 'changed 200', 'changed 200', 'failed: chown failed: failed to look up user nosuchuser',
    ]);
    expect(await sh(`cat ${D}/echo`)).to.include('x-lab: yes\n').and.include('user-agent: typebook-test\n');
    expect(await sh(`cat ${D}/gz | wc -l; gzip -t ${D}/gz2 && echo gzip`)).to.equal('100\ngzip\n');
  });

  it('check mode: HEAD, reports the change, writes nothing', async () => {
    await sh(`rm -f ${D}/c1`);
    const args = { url: `${base}/a.txt`, dest: `${D}/c1` };
    const [theirs] = await runAnsibleTasks(fixture.lab, 'node1', [{ get_url: args }], ['--check']);
    const { result, trips } = await runCounted(get_url, args, conn, { check: true });
    expect(trips).to.equal(1);
    expect(normalized(result)).to.deep.equal(normalized(theirs!));
    expect(result).to.include({ changed: true, checksum_src: sha1('') });
    expect(await sh(`ls ${D}/c1 2>/dev/null; ls -A ${D} | grep -c typebook || true`)).to.equal('0\n');
  });

  it("takes Ansible's aliases and refuses what Ansible refuses", () => {
    expect(get_url.aliases).to.include.members(['ansible.builtin.get_url', 'ansible.legacy.get_url']);
    expect(checkedArgs(get_url, { url: 'http://x/', dest: '/x', username: 'u', password: 'p', thirsty: true })).to.deep.include({ url_username: 'u', url_password: 'p', force: true });
    expect(() => checkedArgs(get_url, { url: 'http://x/' })).to.throw(/dest/);
    expect(() => checkedArgs(get_url, { url: 'http://x/', dest: '/x', mode: 'rw' })).to.throw(/mode/);
    expect(() => checkedArgs(get_url, { url: 'http://x/', dest: '/x', timeout: 'soon' })).to.throw(/timeout/);
  });
});

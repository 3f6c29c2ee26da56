/** The nova stand-in's API alone (`nova-standin api-alone`), run for real on 127.0.0.1: version document, delays, concurrency, graceful stop. */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../lib/lab/nova-standin.py', import.meta.url));

interface Server {
  child: ChildProcess;
  port: number;
  stderr: () => string;
  exited: Promise<number | null>;
}

async function startServer(...args: string[]): Promise<Server> {
  const child = spawn('python3', [SCRIPT, 'api-alone', '--bind', '127.0.0.1', '--port', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const stderrListeners: ((all: string) => void)[] = [];
  child.stderr!.on('data', (b: Buffer) => {
    err += b.toString();
    for (const l of stderrListeners) l(err);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    stderrListeners.push((all) => {
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(all);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((code) => reject(new Error(`stand-in exited (${code}): ${err}`)));
  });
  return { child, port, stderr: () => err, exited };
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Resolves once `text` shows up in the server's stderr (bounded). */
async function waitForLog(server: Server, text: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (server.stderr().includes(text)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`stand-in never logged '${text}': ${server.stderr()}`);
}

describe('nova stand-in: the API alone', function () {
  this.timeout(20_000);
  const servers: Server[] = [];
  const start = async (...args: string[]): Promise<Server> => {
    const s = await startServer(...args);
    servers.push(s);
    return s;
  };
  afterEach(() => {
    for (const s of servers.splice(0)) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  });

  it('answers GET / and GET /v2.1 with the configured version document', async () => {
    const server = await start('--max-version', '2.42', '--quiet');
    for (const path of ['/', '/v2.1', '/v2.1/']) {
      const reply = await get(server.port, path);
      expect(reply.status).to.equal(200);
      expect(reply.headers['content-type']).to.equal('application/json');
      const doc = JSON.parse(reply.body) as { version: Record<string, unknown> };
      expect(doc.version).to.include({ id: 'v2.1', status: 'CURRENT', version: '2.42', min_version: '2.1' });
      expect(reply.headers['openstack-api-version']).to.equal('compute 2.42');
    }
    expect((await get(server.port, '/servers')).status).to.equal(404);
    expect(JSON.parse((await get(server.port, '/v2.1/servers')).body)).to.deep.equal({ servers: [] });
    expect((await get(server.port, '/?delay=soon')).status).to.equal(400);
  });

  it('refuses a malformed version at start', async () => {
    const child = spawn('python3', [SCRIPT, 'api-alone', '--max-version', 'latest', '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).to.equal(2);
    expect(err).to.match(/--max-version: expected a microversion like 2\.79, got 'latest'/);
  });

  it('delays a response on request while answering others concurrently', async () => {
    const server = await start();
    const order: string[] = [];
    const slow = get(server.port, '/?delay=1').then((r) => order.push(`slow ${r.status}`));
    await waitForLog(server, 'delaying "GET /?delay=1');
    const viaHeader = get(server.port, '/v2.1', { 'X-Delay': '0' }).then((r) => order.push(`fast ${r.status}`));
    await Promise.all([slow, viaHeader]);
    expect(order).to.deep.equal(['fast 200', 'slow 200']);
  });

  it('finishes requests in flight on SIGTERM, then stops listening and exits 0', async () => {
    const server = await start('--max-version', '2.60');
    const inFlight = get(server.port, '/v2.1?delay=1');
    await waitForLog(server, 'delaying "GET /v2.1?delay=1');
    server.child.kill('SIGTERM');
    const reply = await inFlight;
    expect(reply.status).to.equal(200);
    expect((JSON.parse(reply.body) as { version: { version: string } }).version.version).to.equal('2.60');
    expect(await server.exited).to.equal(0);
    expect(server.stderr()).to.include('SIGTERM, finishing 1 request(s) in flight');
    let refused = false;
    await get(server.port, '/').catch((e: NodeJS.ErrnoException) => (refused = e.code === 'ECONNREFUSED'));
    expect(refused).to.equal(true);
  });
});

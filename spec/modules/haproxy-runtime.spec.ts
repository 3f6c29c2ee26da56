/**
 * The runtime API client's parsing, on answers taken from a real HAProxy 2.6 (spec/fixtures/haproxy/, each the
 * answer to `show stat -1 6 -1;show servers state`, some after other commands), and the module's planning.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createServer, createConnection as netConnect, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Connection } from '../../lib/connection/types.js';
import { commandsFor, wantedWeight } from '../../lib/modules/haproxy.js';
import {
  answersBeforeState,
  notFoundMessage,
  parseCsvLine,
  parseServerStatus,
  parseServersState,
  parseShowStat,
  parseSnapshot,
  runtimeExchange,
  RuntimeApiError,
  type ServerState,
} from '../../lib/modules/haproxy-runtime.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/haproxy/${name}`, import.meta.url), 'utf8');
const server = (text: string, id: string): ServerState => {
  const found = parseSnapshot(text).servers.find((s) => `${s.backend}/${s.server}` === id);
  if (!found) throw new Error(`no ${id} in fixture`);
  return found;
};

describe('haproxy runtime: parsing', () => {
  it('splits CSV lines, with quoted fields holding commas and quotes', () => {
    expect(parseCsvLine('a,,b')).to.deep.equal(['a', '', 'b']);
    expect(parseCsvLine('x,"Layer7 wrong status, code ""503""",y')).to.deep.equal(['x', 'Layer7 wrong status, code "503"', 'y']);
    expect(parseCsvLine('')).to.deep.equal(['']);
  });

  it('reads show stat rows by column name, servers and backends, no frontends with -1 6 -1', () => {
    const rows = parseShowStat(fixture('drain-nolb-tracked.txt'));
    expect(rows.map((r) => `${r.pxname}/${r.svname}`)).to.deep.equal([
      'nova-api/node2', 'nova-api/node3', 'nova-api/BACKEND',
      'tracking/node2', 'tracking/node3', 'tracking/BACKEND',
      'nolb/node2', 'nolb/spare', 'nolb/plain', 'nolb/BACKEND',
    ]);
    expect(rows[0]).to.include({ status: 'UP', weight: '10', check_status: 'L7OK', check_desc: 'Layer7 check passed', addr: '10.137.0.12:8774' });
  });

  it('reads show servers state by header name, after a show stat in the same answer', () => {
    const rows = parseServersState(fixture('drain-nolb-tracked.txt'));
    expect(rows).to.have.length(7);
    expect(rows[1]).to.include({ be_name: 'nova-api', srv_name: 'node3', srv_admin_state: '8', srv_uweight: '10', srv_iweight: '10', srv_fqdn: '' });
  });

  it('refuses an answer that is not what was asked, quoting it', () => {
    expect(() => parseShowStat('Unknown command.\n')).to.throw(RuntimeApiError, /no 'show stat' header.*Unknown command/);
    expect(() => parseServersState('# pxname,svname\n')).to.throw(RuntimeApiError, /show servers state/);
  });

  it('takes compound statuses apart', () => {
    expect(parseServerStatus('UP')).to.deep.equal({ base: 'UP', serving: true });
    expect(parseServerStatus('UP 1/3')).to.deep.equal({ base: 'UP', serving: true, transition: { count: 1, of: 3 } });
    expect(parseServerStatus('DOWN 2/3')).to.deep.equal({ base: 'DOWN', serving: false, transition: { count: 2, of: 3 } });
    expect(parseServerStatus('DOWN')).to.deep.equal({ base: 'DOWN', serving: false });
    expect(parseServerStatus('NOLB')).to.deep.equal({ base: 'NOLB', serving: false });
    expect(parseServerStatus('NOLB 1/2')).to.deep.equal({ base: 'NOLB', serving: false, transition: { count: 1, of: 2 } });
    expect(parseServerStatus('DRAIN')).to.deep.equal({ base: 'DRAIN', serving: false });
    expect(parseServerStatus('DRAIN (agent)')).to.deep.equal({ base: 'DRAIN', serving: false, agent: true });
    expect(parseServerStatus('DOWN (agent)')).to.deep.equal({ base: 'DOWN', serving: false, agent: true });
    expect(parseServerStatus('MAINT')).to.deep.equal({ base: 'MAINT', serving: false });
    expect(parseServerStatus('MAINT (via nova-api/node2)')).to.deep.equal({ base: 'MAINT', serving: false, via: 'nova-api/node2' });
    expect(parseServerStatus('MAINT (resolution)')).to.deep.equal({ base: 'MAINT', serving: false, resolution: true });
    expect(parseServerStatus('no check')).to.deep.equal({ base: 'no check', serving: true });
    expect(parseServerStatus('SOMETHING NEW')).to.deep.equal({ base: 'unknown', serving: false });
  });

  it('joins both answers into one record per server: drain, NOLB, inherited drain, configured-disabled, no check', () => {
    const text = fixture('drain-nolb-tracked.txt');
    const snapshot = parseSnapshot(text);
    expect(snapshot.backends).to.deep.equal(['nova-api', 'tracking', 'nolb']);
    expect(server(text, 'nova-api/node3')).to.include({ status: 'DRAIN', admin_state: 'drain', operational_state: 'running', weight: 10, uweight: 10, iweight: 10, health_check: 'enabled', agent_check: 'none', serving: false });
    expect(server(text, 'tracking/node3')).to.include({ status: 'DRAIN', admin_state: 'drain', admin_flags: 0x10, health_check: 'none' });
    expect(server(text, 'nolb/node2')).to.include({ status: 'NOLB', admin_state: 'ready', operational_state: 'stopping', check_status: 'L7OKC' });
    expect(server(text, 'nolb/spare')).to.include({ status: 'MAINT', admin_state: 'maint', admin_flags: 5, operational_state: 'stopped', health_check: 'none' });
    expect(server(text, 'nolb/plain')).to.include({ status: 'no check', admin_state: 'ready', serving: true });
  });

  it('reads health transitions and maintenance inherited through track', () => {
    expect(server(fixture('going-down-via.txt'), 'nova-api/node3')).to.include({ status: 'UP 1/3', serving: true, operational_state: 'running' });
    expect(server(fixture('going-down-via.txt'), 'tracking/node2')).to.include({ status: 'MAINT (via nova-api/node2)', admin_state: 'maint', admin_flags: 0x02 });
    expect(server(fixture('going-down-via.txt'), 'nova-api/node2')).to.include({ status: 'MAINT', admin_state: 'maint', admin_flags: 0x01 });
    expect(server(fixture('down.txt'), 'nova-api/node3')).to.include({ status: 'DOWN', serving: false, operational_state: 'stopped', check_status: 'L4CON' });
    expect(server(fixture('going-up.txt'), 'nova-api/node3')).to.include({ status: 'DOWN 2/3', serving: false, operational_state: 'stopped' });
  });

  it('reads current sessions and requests queued for a server', () => {
    expect(server(fixture('busy-queued.txt'), 'nova-api/node2')).to.include({ scur: 1, qcur: 2, stot: 1 });
    expect(server(fixture('busy-queued.txt'), 'nova-api/node3')).to.include({ scur: 0, qcur: 0 });
  });

  it('finds the answers of commands sent before the state read (errors), and the state after them', () => {
    const text = fixture('apply-with-error.txt');
    expect(answersBeforeState(text)).to.deep.equal(['No such server.']);
    expect(answersBeforeState(fixture('down.txt'))).to.deep.equal([]);
    expect(parseSnapshot(text).servers.length).to.be.greaterThan(0);
  });

  it('names what exists when a backend or a server is not found, with a near name', () => {
    const snapshot = parseSnapshot(fixture('drain-nolb-tracked.txt'));
    expect(notFoundMessage(snapshot, 'node2', 'nova-api')).to.equal(undefined);
    expect(notFoundMessage(snapshot, 'node2', 'nova-apj')).to.equal("backend 'nova-apj' not found (backends: nova-api, tracking, nolb; did you mean 'nova-api'?)");
    expect(notFoundMessage(snapshot, 'nod3', 'nova-api')).to.equal("server 'nod3' not found in backend 'nova-api' (its servers: node2, node3; did you mean 'node3'?)");
    expect(notFoundMessage(snapshot, 'spare2', undefined)).to.match(/^server 'spare2' not found in any backend \(servers: nova-api\/node2, .*nolb\/plain; did you mean 'spare'\?\)$/);
  });
});

describe('haproxy module: what it sends', () => {
  const text = fixture('drain-nolb-tracked.txt');
  const up = server(text, 'nova-api/node2');
  const draining = server(text, 'nova-api/node3');
  const disabledInConfig = server(text, 'nolb/spare');
  const base = { host: 'x' } as const;

  it('computes weights as HAProxy does: absolute, or a percentage of the configured weight rounded down', () => {
    expect(wantedWeight('7', 10)).to.equal(7);
    expect(wantedWeight('50%', 10)).to.equal(5);
    expect(wantedWeight('33%', 10)).to.equal(3);
    expect(wantedWeight('100%', 256)).to.equal(256);
  });

  it('sends only what differs, with set server state and set weight', () => {
    expect(commandsFor(up, { ...base, state: 'enabled' }, 'final')).to.deep.equal([]);
    expect(commandsFor(up, { ...base, state: 'disabled' }, 'final')).to.deep.equal(['set server nova-api/node2 state maint']);
    expect(commandsFor(up, { ...base, state: 'drain' }, 'final')).to.deep.equal(['set server nova-api/node2 state drain']);
    expect(commandsFor(draining, { ...base, state: 'drain' }, 'final')).to.deep.equal([]);
    expect(commandsFor(draining, { ...base, state: 'enabled', weight: '50%' }, 'final')).to.deep.equal(['set weight nova-api/node3 50%', 'set server nova-api/node3 state ready']);
    expect(commandsFor(up, { ...base, state: 'enabled', weight: '10' }, 'final')).to.deep.equal([]);
    expect(commandsFor(disabledInConfig, { ...base, state: 'disabled' }, 'final')).to.deep.equal([]);
    expect(commandsFor(disabledInConfig, { ...base, state: 'enabled' }, 'final')).to.deep.equal(['set server nolb/spare state ready']);
  });

  it('switches health and agent checks only where configured, and ends sessions when disabling', () => {
    expect(commandsFor(up, { ...base, state: 'disabled', health: true, agent: true, shutdown_sessions: true }, 'final')).to.deep.equal([
      'disable health nova-api/node2',
      'set server nova-api/node2 state maint',
      'shutdown sessions server nova-api/node2',
    ]);
    expect(commandsFor(disabledInConfig, { ...base, state: 'disabled', health: true, shutdown_sessions: true }, 'final')).to.deep.equal([]);
  });

  it('drains first for disabled + drain, unless the server is already in maintenance', () => {
    expect(commandsFor(up, { ...base, state: 'disabled', drain: true }, 'drain-first')).to.deep.equal(['set server nova-api/node2 state drain']);
    expect(commandsFor(draining, { ...base, state: 'disabled', drain: true }, 'drain-first')).to.deep.equal([]);
    expect(commandsFor(disabledInConfig, { ...base, state: 'disabled', drain: true }, 'drain-first')).to.deep.equal([]);
  });
});

describe('haproxy runtime: one exchange per socket session', () => {
  let dir: string;
  let fake: Server;
  const received: string[] = [];
  const connection = (path: string): Connection => ({
    host: 'fake',
    connect: async () => {},
    run: () => Promise.reject(new Error('not used')),
    close: async () => {},
    openUnixSocket: (socketPath: string) => new Promise<Duplex>((resolve, reject) => {
      const s = netConnect(socketPath === 'here' ? path : socketPath);
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    }),
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'haproxy-runtime-'));
    // like HAProxy's non-interactive CLI: reads one line, answers each command, closes
    fake = createServer((socket) => {
      let line = '';
      socket.on('data', (b: Buffer) => {
        line += b.toString();
        if (!line.includes('\n')) return;
        received.push(line);
        socket.end(line.trim().split(';').map((c) => (c.startsWith('set') ? '\n' : `${c} answered\n\n`)).join(''));
      });
    });
    await new Promise<void>((resolve) => fake.listen(join(dir, 'sock'), resolve));
  });
  after(() => {
    fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the commands on one line separated by ; and reads until HAProxy closes', async () => {
    const answer = await runtimeExchange(connection(join(dir, 'sock')), 'here', ['set weight b/s 5', 'show info']);
    expect(received).to.deep.equal(['set weight b/s 5;show info\n']);
    expect(answer).to.equal('\nshow info answered\n\n');
  });

  it('refuses a command that would end the line or add a command', async () => {
    for (const bad of ['show stat;shutdown sessions server b/s', 'a\nb']) {
      let error: unknown;
      await runtimeExchange(connection(join(dir, 'sock')), 'here', [bad]).catch((e: unknown) => (error = e));
      expect(String(error)).to.match(/cannot hold ';' or a line break/);
    }
  });
});

/**
 * HAProxy's runtime API (the `stats socket` of haproxy.cfg), reached through the host's connection
 * (`openUnixSocket`), and the parsing of what it answers: `show stat` (CSV) and `show servers state`.
 *
 * One exchange is one socket session: one line of commands separated by ';' (HAProxy runs them in order and
 * answers each, then closes the socket since the session is not interactive). So a change and the state read
 * after it cost one round trip together.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { HostOperationError } from '../connection/files.js';
import type { Become, Connection } from '../connection/types.js';
import { didYouMean } from '../source/index.js';

/** The commands that read everything the modules need: backends and servers (`-1 6 -1`: no frontends), then admin flags and weights. */
export const STATE_COMMANDS = ['show stat -1 6 -1', 'show servers state'] as const;

/** HAProxy names proxies and servers with these characters only; anything else could end or add a command. */
export const HAPROXY_NAME = '^[A-Za-z0-9._:-]+$';
export const NAME_EXPECTED = 'a HAProxy name: letters, digits and . _ : -';

/** A failure on the host's side of the runtime API (no socket, nobody listening, unreadable answer): the task fails with this message. */
export class RuntimeApiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuntimeApiError';
  }
}

/**
 * Sends `commands` as one line in one session and returns all HAProxy answered once it closed the socket.
 * With `become`, the socket is reached as the become user (socat on the host, run as that user), since the
 * usual socket is root's with mode 600: an operator who logs in unprivileged and uses sudo can still drain.
 */
export async function runtimeExchange(connection: Connection, socketPath: string, commands: readonly string[], become?: Become, timeoutMs = 30_000): Promise<string> {
  for (const command of commands) {
    if (/[;\n\r]/.test(command)) throw new Error(`a runtime API command cannot hold ';' or a line break: ${JSON.stringify(command)}`);
  }
  if (become) return exchangeAs(connection, socketPath, commands, become, timeoutMs);
  let stream;
  try {
    stream = await connection.openUnixSocket(socketPath);
  } catch (error) {
    if (error instanceof HostOperationError) throw new RuntimeApiError(`${error.message} (is HAProxy running with 'stats socket ${socketPath} level admin'?)`);
    throw error;
  }
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new RuntimeApiError(`HAProxy's socket ${socketPath} did not close ${timeoutMs / 1000} s after '${commands.join(';')}'`));
    }, timeoutMs);
    stream.on('data', (chunk: Buffer | string) => chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)));
    stream.once('error', (error: Error) => {
      clearTimeout(timer);
      stream.destroy();
      reject(new RuntimeApiError(`HAProxy's socket ${socketPath}: ${error.message}`));
    });
    // HAProxy closes once it answered; our side is ended only then, so it never sees a half-closed request
    stream.once('end', () => {
      clearTimeout(timer);
      stream.end();
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    stream.write(`${commands.join(';')}\n`);
  });
}

/** One exchange through `socat` run with `become`: the commands on its stdin, HAProxy's answer on its stdout. */
async function exchangeAs(connection: Connection, socketPath: string, commands: readonly string[], become: Become, timeoutMs: number): Promise<string> {
  // socat splits its addresses at ':' and ',' and treats quotes and brackets specially: such paths cannot pass
  if (/[:,!"'\\[\]{}()\s]/.test(socketPath)) throw new RuntimeApiError(`HAProxy's socket ${socketPath}: the path cannot be given to socat (needed to reach it with become)`);
  // -t: after our side's end, wait for HAProxy's answer (it closes once it has answered)
  const result = await connection.run({ argv: ['socat', '-t', String(Math.ceil(timeoutMs / 1000)), '-', `UNIX-CONNECT:${socketPath}`] }, { stdin: `${commands.join(';')}\n`, become, timeoutMs });
  if (result.rc === 0) return result.stdout;
  const said = result.stderr.split('\n').filter((l) => / [EF] /.test(l)).join('; ').trim() || `exit ${result.rc}`;
  const reason = result.rc === 127 ? 'socat is not installed on the host (needed to reach the socket with become)' : `socat: ${said}`;
  throw new RuntimeApiError(`cannot connect to HAProxy's socket ${socketPath} as ${become.user ?? 'root'}: ${reason} (is HAProxy running with 'stats socket ${socketPath} level admin'?)`);
}

/** Splits one line of CSV (RFC 4180 quoting, as HAProxy writes fields that hold commas or quotes). */
export function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < line.length) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
    i++;
  }
  fields.push(field);
  return fields;
}

/** One row of `show stat`, keyed by the header's column names (`pxname`, `svname`, `status`, `scur`...). */
export type StatRow = Readonly<Record<string, string>>;

/** The rows of a `show stat` answer (the header line starts with '# '). */
export function parseShowStat(text: string): StatRow[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('# pxname,'));
  if (start < 0) throw new RuntimeApiError(`no 'show stat' header in HAProxy's answer: ${excerpt(text)}`);
  const header = parseCsvLine(lines[start]!.slice(2));
  const rows: StatRow[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line === '') break;
    const values = parseCsvLine(line);
    rows.push(Object.fromEntries(header.map((name, i) => [name, values[i] ?? ''])));
  }
  return rows;
}

/** One server line of `show servers state` (`be_name`, `srv_name`, `srv_admin_state`, `srv_uweight`...), '-' read as empty. */
export type ServersStateRow = Readonly<Record<string, string>>;

/** The server lines of a `show servers state` answer: a format version line ('1'), a '# ' header, one line per server. */
export function parseServersState(text: string): ServersStateRow[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l, i) => l.startsWith('# be_id ') && i > 0 && /^\d+$/.test(lines[i - 1]!));
  if (start < 0) throw new RuntimeApiError(`no 'show servers state' header in HAProxy's answer: ${excerpt(text)}`);
  const header = lines[start]!.slice(2).trim().split(/\s+/);
  const rows: ServersStateRow[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line === '') break;
    const values = line.trim().split(/\s+/);
    rows.push(Object.fromEntries(header.map((name, i) => [name, values[i] === '-' || values[i] === undefined ? '' : values[i]!])));
  }
  return rows;
}

/** The lines of an exchange's answer that come before the `show stat` block: what the commands sent with it answered (nothing when all went well). */
export function answersBeforeState(text: string): string[] {
  const lines = text.split('\n');
  const end = lines.findIndex((l) => l.startsWith('# pxname,'));
  return (end < 0 ? lines : lines.slice(0, end)).filter((l) => l.trim() !== '');
}

export type StatusBase = 'UP' | 'DOWN' | 'NOLB' | 'DRAIN' | 'MAINT' | 'no check';

/** A server's status as `show stat` words it, taken apart. */
export interface ServerStatus {
  /** the status word; `unknown` for a word this parser does not know */
  base: StatusBase | 'unknown';
  /** `UP 1/3`, `DOWN 2/3`: health checks in transition (going down from UP, going up from DOWN): `count` of `of` */
  transition?: { count: number; of: number };
  /** `MAINT (via be/srv)`: maintenance or drain inherited from the tracked server */
  via?: string;
  /** `DOWN (agent)`, `DRAIN (agent)`: set by the agent check */
  agent?: boolean;
  /** `MAINT (resolution)`: the server's name did not resolve */
  resolution?: boolean;
  /** the status lets the server take new requests: UP (even `UP 1/3`, still up) or `no check` */
  serving: boolean;
}

const STATUS_WORDS: readonly StatusBase[] = ['UP', 'DOWN', 'NOLB', 'DRAIN', 'MAINT', 'no check'];

export function parseServerStatus(status: string): ServerStatus {
  const m = /^(no check|[A-Z]+)(?: (\d+)\/(\d+))?(?: \((?:via ([^)]+)|(agent)|(resolution))\))?$/.exec(status.trim());
  const word = m?.[1];
  const base: ServerStatus['base'] = word !== undefined && (STATUS_WORDS as readonly string[]).includes(word) ? (word as StatusBase) : 'unknown';
  const parsed: ServerStatus = { base, serving: base === 'UP' || base === 'no check' };
  if (m?.[2] !== undefined && m[3] !== undefined) parsed.transition = { count: Number(m[2]), of: Number(m[3]) };
  if (m?.[4] !== undefined) parsed.via = m[4];
  if (m?.[5] !== undefined) parsed.agent = true;
  if (m?.[6] !== undefined) parsed.resolution = true;
  return parsed;
}

/** Bits of `srv_admin_state` (HAProxy's enum srv_admin). F = forced by the runtime API, I = inherited from a tracked server. */
export const ADMIN = {
  FMAINT: 0x01,
  IMAINT: 0x02,
  CMAINT: 0x04,
  FDRAIN: 0x08,
  IDRAIN: 0x10,
  RMAINT: 0x20,
  /** any of these puts the server in maintenance (CMAINT only remembers that the configuration said `disabled`) */
  MAINT: 0x23,
  DRAIN: 0x18,
} as const;

/** Bits of `srv_check_state` / `srv_agent_state`. */
const CHECK = { CONFIGURED: 0x02, ENABLED: 0x04 } as const;

export type AdminState = 'ready' | 'drain' | 'maint';
export type CheckState = 'enabled' | 'disabled' | 'none';

const OPERATIONAL = ['stopped', 'starting', 'running', 'stopping'] as const;

/** One server of one backend, as the modules report it (snake_case: it is registered as is). */
export interface ServerState {
  backend: string;
  server: string;
  /** as `show stat` says: UP, UP 1/3, DOWN, DOWN 2/3, NOLB, DRAIN, MAINT, MAINT (via b/s), no check... */
  status: string;
  /** the status lets the server take new requests (UP or no check) */
  serving: boolean;
  /** from the admin flags: maint wins over drain */
  admin_state: AdminState;
  /** what the health checks found: stopped (DOWN), starting, running (UP), stopping (NOLB) */
  operational_state: (typeof OPERATIONAL)[number] | 'unknown';
  /** the effective weight (`show stat` weight) */
  weight: number;
  /** the weight set by `set weight` (what `get weight` answers) */
  uweight: number;
  /** the weight in haproxy.cfg, the base of relative weights */
  iweight: number;
  /** current sessions */
  scur: number;
  /** requests queued for this server */
  qcur: number;
  smax: number;
  stot: number;
  check_status: string;
  check_desc: string;
  health_check: CheckState;
  agent_check: CheckState;
  address: string;
  /** seconds since the last change of status */
  last_change: number;
  /** srv_admin_state, for deciding what to send */
  admin_flags: number;
}

export interface HaproxySnapshot {
  /** every backend, in configuration order */
  backends: string[];
  /** every server of every backend, in configuration order */
  servers: ServerState[];
}

function num(value: string | undefined): number {
  const n = Number(value);
  return value === undefined || value === '' || !Number.isFinite(n) ? 0 : n;
}

function checkState(bits: number): CheckState {
  if (!(bits & CHECK.CONFIGURED)) return 'none';
  return bits & CHECK.ENABLED ? 'enabled' : 'disabled';
}

export function adminStateOf(flags: number): AdminState {
  if (flags & ADMIN.MAINT) return 'maint';
  if (flags & ADMIN.DRAIN) return 'drain';
  return 'ready';
}

/** Joins the `show stat` and `show servers state` answers of one exchange into one record per server. */
export function parseSnapshot(text: string): HaproxySnapshot {
  const stats = parseShowStat(text);
  const states = parseServersState(text);
  const byName = new Map(states.map((s) => [`${s.be_name}/${s.srv_name}`, s]));
  const backends: string[] = [];
  const servers: ServerState[] = [];
  for (const row of stats) {
    const pxname = row.pxname ?? '';
    const svname = row.svname ?? '';
    if (svname === 'BACKEND') {
      backends.push(pxname);
      continue;
    }
    if (svname === 'FRONTEND' || row.type !== '2') continue;
    const state = byName.get(`${pxname}/${svname}`);
    const flags = num(state?.srv_admin_state);
    const status = row.status ?? '';
    servers.push({
      backend: pxname,
      server: svname,
      status,
      serving: parseServerStatus(status).serving,
      admin_state: adminStateOf(flags),
      operational_state: OPERATIONAL[num(state?.srv_op_state)] ?? 'unknown',
      weight: num(row.weight),
      uweight: num(state?.srv_uweight ?? row.uweight),
      iweight: num(state?.srv_iweight),
      scur: num(row.scur),
      qcur: num(row.qcur),
      smax: num(row.smax),
      stot: num(row.stot),
      check_status: row.check_status ?? '',
      check_desc: row.check_desc ?? '',
      health_check: checkState(num(state?.srv_check_state)),
      agent_check: checkState(num(state?.srv_agent_state)),
      address: row.addr ?? state?.srv_addr ?? '',
      last_change: num(row.lastchg),
      admin_flags: flags,
    });
  }
  return { backends, servers };
}

/** Reads every backend and server in one exchange, after sending `before` (whose answers come back too). */
export async function readSnapshot(connection: Connection, socketPath: string, before: readonly string[] = [], become?: Become): Promise<{ snapshot: HaproxySnapshot; answers: string[] }> {
  const text = await runtimeExchange(connection, socketPath, [...before, ...STATE_COMMANDS], become);
  if (/^Permission denied/m.test(text) || /^Unknown command/m.test(text)) {
    throw new RuntimeApiError(`HAProxy's socket ${socketPath} refused: ${excerpt(text)} (the socket needs 'level admin' in haproxy.cfg)`);
  }
  return { snapshot: parseSnapshot(text), answers: answersBeforeState(text) };
}

/** The servers a task names: `server` in `backend`, or in every backend that has it when no backend is given. */
export function selectServers(snapshot: HaproxySnapshot, server: string | undefined, backend: string | undefined): ServerState[] {
  return snapshot.servers.filter((s) => (backend === undefined || s.backend === backend) && (server === undefined || s.server === server));
}

/** The public view of a server: without the raw admin bits. */
export function publicState(state: ServerState): Omit<ServerState, 'admin_flags'> {
  const { admin_flags: _bits, ...rest } = state;
  return rest;
}

/** Waits `seconds`, or fails with `false` when the task is interrupted. */
export async function pause(seconds: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(seconds * 1000, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

function excerpt(text: string): string {
  const t = text.trim().replace(/\s+/g, ' ');
  return t === '' ? '(nothing)' : JSON.stringify(t.length > 200 ? `${t.slice(0, 200)}...` : t);
}

/** Why `server`/`backend` select nothing, naming what exists; undefined when they select something. */
export function notFoundMessage(snapshot: HaproxySnapshot, server: string | undefined, backend: string | undefined): string | undefined {
  if (selectServers(snapshot, server, backend).length > 0) return undefined;
  const list = (names: readonly string[]): string => (names.length === 0 ? 'none' : names.join(', '));
  const hint = (name: string, candidates: readonly string[]): string => {
    const near = didYouMean(name, candidates);
    return near === undefined ? '' : `; ${near}`;
  };
  if (backend !== undefined && !snapshot.backends.includes(backend)) {
    return `backend '${backend}' not found (backends: ${list(snapshot.backends)}${hint(backend, snapshot.backends)})`;
  }
  if (server === undefined) return `backend '${backend ?? ''}' has no servers`;
  if (backend !== undefined) {
    const names = snapshot.servers.filter((s) => s.backend === backend).map((s) => s.server);
    return `server '${server}' not found in backend '${backend}' (its servers: ${list(names)}${hint(server, names)})`;
  }
  const names = [...new Set(snapshot.servers.map((s) => s.server))];
  return `server '${server}' not found in any backend (servers: ${list(snapshot.servers.map((s) => `${s.backend}/${s.server}`))}${hint(server, names)})`;
}

/**
 * ansible.builtin.wait_for: waits, on the host, for a port to open or close, a file to appear (with a text) or
 * go, or a port's connections to drain. Like Ansible's module it runs where it is targeted (delegate_to:
 * localhost runs it locally): a small Python 3 program (standard library only; every Debian host has
 * /usr/bin/python3) gets the arguments as JSON on standard input and answers with one JSON line.
 *
 * Round trips: 1, whatever the outcome (the waiting happens on the host, bounded by `timeout`).
 */
import { Type } from '@sinclair/typebox';
import { List, StringEnum } from './args.js';
import { defineModule, type ModuleResult } from './module.js';
import { isPlainObject } from './coerce.js';

/** The waiting loop, following Ansible's wait_for main() step by step; /proc/net/tcp{,6} for `drained`. */
const PROGRAM = String.raw`
import binascii, datetime, errno, json, math, os, re, select, socket, sys, time
p = json.load(sys.stdin)
host, port, path, state, msg = p['host'], p['port'], p['path'], p['state'], p['msg']
timeout, connect_timeout, pause = p['timeout'], p['connect_timeout'], p['sleep']
STATES = {'ESTABLISHED': '01', 'SYN_SENT': '02', 'SYN_RECV': '03', 'FIN_WAIT1': '04', 'FIN_WAIT2': '05', 'TIME_WAIT': '06'}
regex = re.compile(p['search_regex'].encode(), re.MULTILINE) if p['search_regex'] is not None else None
groups, groupdict = (), {}
def done(**extra):
    extra['elapsed'] = (datetime.datetime.utcnow() - start).seconds
    print(json.dumps(extra, default=lambda b: b.decode('utf-8', 'replace'))); sys.exit(0)
def fail(text):
    done(failed=True, msg=msg or text)
def to_hex(h):
    out = []
    for family, _, _, _, addr in socket.getaddrinfo(h, 80, 0, 0, socket.SOL_TCP):
        ips = [(family, addr[0])] + ([(socket.AF_INET6, '::ffff:' + addr[0])] if family == socket.AF_INET else [])
        for fam, ip in ips:
            raw = binascii.b2a_hex(socket.inet_pton(fam, ip))
            out.append((fam, ''.join('%08X' % socket.ntohl(int(raw[i:i + 8], 16)) for i in range(0, len(raw), 8))))
    return out
def active_connections(ips, excluded):
    wanted = [STATES[s] for s in p['active_connection_states']]
    count = 0
    for family, source, any_ip in ((socket.AF_INET, '/proc/net/tcp', '00000000'), (socket.AF_INET6, '/proc/net/tcp6', '0' * 32)):
        try:
            lines = open(source).readlines()
        except IOError:
            continue
        for line in lines[1:]:
            f = line.split()
            if len(f) < 4 or f[3] not in wanted:
                continue
            local_ip, local_port = f[1].split(':')
            remote_ip = f[2].split(':')[0]
            if local_port != '%04X' % port or (family, remote_ip) in excluded:
                continue
            if (family, local_ip) in ips or (family, any_ip) in ips or (local_ip.startswith('0000000000000000FFFF0000') and (family, '0000000000000000FFFF000000000000') in ips):
                count += 1
    return count
start = datetime.datetime.utcnow()
if p['delay']:
    time.sleep(p['delay'])
end = start + datetime.timedelta(seconds=timeout)
if not port and not path and state != 'drained':
    time.sleep(timeout)
elif state in ('absent', 'stopped'):
    while datetime.datetime.utcnow() < end:
        if path:
            if not os.access(path, os.F_OK):
                break
        else:
            try:
                s = socket.create_connection((host, port), connect_timeout)
                s.shutdown(socket.SHUT_RDWR); s.close()
            except Exception:
                break
        time.sleep(pause)
    else:
        fail('Timeout when waiting for %s:%s to stop.' % (host, port) if port else 'Timeout when waiting for %s to be absent.' % path)
elif state in ('started', 'present'):
    while datetime.datetime.utcnow() < end:
        if path:
            try:
                os.stat(path)
            except OSError as e:
                if e.errno != errno.ENOENT:
                    fail('Failed to stat %s, %s' % (path, e.strerror))
            else:
                if not regex:
                    break
                try:
                    with open(path, 'rb') as f:
                        found = regex.search(f.read())
                    if found:
                        groupdict, groups = found.groupdict() or {}, found.groups() or ()
                        break
                except IOError:
                    pass
        else:
            left = math.ceil((end - datetime.datetime.utcnow()).total_seconds())
            try:
                s = socket.create_connection((host, port), max(min(connect_timeout, left), 1))
            except Exception:
                pass
            else:
                matched = not regex
                if regex:
                    data = b''
                    while datetime.datetime.utcnow() < end:
                        if not select.select([s], [], [], max(math.ceil((end - datetime.datetime.utcnow()).total_seconds()), 0))[0]:
                            continue
                        chunk = s.recv(1024)
                        if not chunk:
                            break
                        data += chunk
                        found = regex.search(data)
                        if found:
                            groupdict, groups, matched = found.groupdict() or {}, found.groups() or (), True
                            break
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except socket.error:
                    pass
                s.close()
                if matched:
                    break
        time.sleep(pause)
    else:
        if port:
            fail('Timeout when waiting for search string %s in %s:%s' % (p['search_regex'], host, port) if regex else 'Timeout when waiting for %s:%s' % (host, port))
        fail('Timeout when waiting for search string %s in %s' % (p['search_regex'], path) if regex else 'Timeout when waiting for file %s' % path)
elif state == 'drained':
    ips = to_hex(host)
    excluded = [ip for h in (p['exclude_hosts'] or []) for ip in to_hex(h)]
    while datetime.datetime.utcnow() < end:
        if active_connections(ips, excluded) == 0:
            break
        time.sleep(pause)
    else:
        fail('Timeout when waiting for %s:%s to drain' % (host, port))
done(state=state, port=port, search_regex=p['search_regex'], match_groups=list(groups), match_groupdict=groupdict, path=path)
`;

const CONNECTION_STATES = ['ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'SYN_RECV', 'SYN_SENT', 'TIME_WAIT'] as const;

export default defineModule({
  name: 'wait_for',
  aliases: ['ansible.builtin.wait_for', 'ansible.legacy.wait_for'],
  description: 'Wait on the host for a port, a file, a text in a file or on a port, or for connections to drain',
  args: Type.Object(
    {
      host: Type.Optional(Type.String({ default: '127.0.0.1', description: 'the address (or name) to connect to, as seen from the host' })),
      port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
      path: Type.Optional(Type.String()),
      state: Type.Optional(StringEnum(['started', 'stopped', 'drained', 'present', 'absent'] as const, { default: 'started' })),
      search_regex: Type.Optional(Type.String({ description: 'a Python regular expression to find in the file or in what the port sends' })),
      delay: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
      timeout: Type.Optional(Type.Integer({ minimum: 0, default: 300 })),
      sleep: Type.Optional(Type.Integer({ minimum: 0, default: 1 })),
      connect_timeout: Type.Optional(Type.Integer({ minimum: 1, default: 5 })),
      active_connection_states: Type.Optional(List(StringEnum(CONNECTION_STATES), { default: [...CONNECTION_STATES] })),
      exclude_hosts: Type.Optional(List(Type.String())),
      msg: Type.Optional(Type.String({ description: 'the failure message instead of the default one' })),
    },
    { additionalProperties: false },
  ),
  rules: {
    mutually_exclusive: [['port', 'path']],
    required_if: [['state', 'drained', ['port']]],
    only_with: [
      ['path', 'state', ['started', 'present', 'absent', 'drained'], 'state=stopped should only be used for checking a port in the wait_for module'],
      ['path', 'state', ['started', 'present', 'absent', 'stopped'], 'state=drained should only be used for checking a port in the wait_for module'],
      ['exclude_hosts', 'state', ['drained'], 'exclude_hosts should only be with state=drained'],
    ],
  },
  async run(args, ctx): Promise<ModuleResult> {
    const state = args.state ?? 'started';
    const refuse = (msg: string): ModuleResult => ({ changed: false, failed: true, msg, elapsed: 0 });
    if (args.search_regex !== undefined) {
      // Python's syntax is close to JavaScript's; a pattern JavaScript refuses is caught before the trip
      try {
        new RegExp(args.search_regex.replace(/\(\?P</g, '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>'), 'm');
      } catch (err) {
        return refuse(`Invalid regular expression: ${(err as Error).message}`);
      }
    }
    const params = {
      host: args.host ?? '127.0.0.1',
      port: args.port ?? null,
      path: args.path ?? null,
      state,
      search_regex: args.search_regex ?? null,
      delay: args.delay ?? 0,
      timeout: args.timeout ?? 300,
      sleep: args.sleep ?? 1,
      connect_timeout: args.connect_timeout ?? 5,
      active_connection_states: args.active_connection_states ?? [...CONNECTION_STATES],
      exclude_hosts: args.exclude_hosts ?? null,
      msg: args.msg ?? null,
    };
    // the host program stops itself at `timeout`; this bound only guards against a host that never answers
    const boundMs = (params.delay + params.timeout + params.connect_timeout + params.sleep + 30) * 1000;
    const run = await ctx.connection.run({ python: PROGRAM }, { stdin: JSON.stringify(params), timeoutMs: boundMs, ...(ctx.become ? { become: ctx.become } : {}), env: ctx.environment });
    const line = run.stdout.trim().split('\n').pop() ?? '';
    let answer: unknown;
    try {
      answer = JSON.parse(line);
    } catch {
      return { changed: false, failed: true, msg: `wait_for could not run python3 on the host: ${(run.stderr.trim() || run.stdout.trim() || `exit code ${run.rc}`)}` };
    }
    if (!isPlainObject(answer)) return { changed: false, failed: true, msg: `wait_for: unexpected answer from the host: ${line}` };
    return { changed: false, ...answer };
  },
});

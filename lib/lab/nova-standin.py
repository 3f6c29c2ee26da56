#!/usr/bin/python3
"""nova stand-in: the parts of nova a rolling upgrade depends on, for lab hosts (not nova; no instances run).

One program, one subcommand per nova command or service:
  nova-standin api|conductor|scheduler|compute   the services (api listens on 8774)
  nova-standin manage api_db sync|db sync|db online_data_migrations|service list
  nova-standin status upgrade check
  nova-standin api-alone [--bind ADDR] [--port N] [--max-version 2.X] [--quiet]
                                                 the API alone, without a package, nova.conf or shared database
                                                 (a plain backend for HAProxy tests; its state in a temp file)
The release it plays is in RELEASE_FILE (written by the package). The shared state, as nova's database, is
one JSON file (`[database] connection = file:///var/lib/nova/standin-db.json` in nova.conf) locked with
flock, on the nova_controller host, whose nova-conductor serves it on port 8799 to the other hosts
(`connection = http://CONTROLLER:8799`; an update made on a changed database is refused and applied again). It holds the schema versions, the services table and the pending online
data migrations. Rules enforced, so a wrong upgrade order fails visibly:
- a service whose code is newer than the schema will not start (run `nova-manage api_db sync` and `db sync`);
- a compute will not start while a conductor in the services table is older ("conductor first");
- with mixed versions, a newer api without `[upgrade_levels] compute = auto` fails requests that need a
  compute (POST /v2.1/servers) while an older compute is registered;
- SIGHUP rereads nova.conf and the minimum service version cached at start.
Python 3 standard library only.
"""
import configparser
import contextlib
import fcntl
import json
import os
import re
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

RELEASE_FILE = os.environ.get('NOVA_STANDIN_RELEASE_FILE', '/usr/share/nova-standin/release.json')
CONF_FILE = os.environ.get('NOVA_CONF', '/etc/nova/nova.conf')
MAX_DELAY = 600.0
MIGRATIONS_PER_RELEASE = 100
VERSION_PATHS = ('/', '/v2.1', '/v2.1/')


class Fail(Exception):
    """A refusal with the message nova would log; exit code 1 unless given."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


def release():
    with open(RELEASE_FILE) as f:
        r = json.load(f)
    # {"version": "27.1.0", "service_version": 27, "max_microversion": "2.95"}
    return r


def load_conf():
    conf = configparser.ConfigParser(interpolation=None)
    try:
        conf.read(CONF_FILE)
    except configparser.Error as e:
        raise Fail('%s: %s' % (CONF_FILE, e), 2)
    return conf


EMPTY_DB = {'schema': {'api': 0, 'main': 0}, 'services': {}, 'pending_migrations': 0}
DB_PORT = 8799


def db_url(conf):
    url = conf.get('database', 'connection', fallback='file:///var/lib/nova/standin-db.json')
    if not re.match(r'(file:///|http://)', url):
        raise Fail('[database] connection: the stand-in knows file:///PATH (on the controller) or http://CONTROLLER:%d, got %r'
                   % (DB_PORT, url), 2)
    return url


@contextlib.contextmanager
def file_database(path, write):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + '.lock', 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX if write else fcntl.LOCK_SH)
        try:
            with open(path) as f:
                db = json.load(f)
        except FileNotFoundError:
            db = json.loads(json.dumps(EMPTY_DB))
        yield db
        if write:
            db['generation'] = db.get('generation', 0) + 1
            tmp = '%s.%d.tmp' % (path, os.getpid())
            with open(tmp, 'w') as f:
                json.dump(db, f, indent=1, sort_keys=True)
            os.replace(tmp, path)


@contextlib.contextmanager
def database(conf):
    """The shared state, as nova's database, read: a file on the controller, or that file over its conductor's HTTP."""
    url = db_url(conf)
    if url.startswith('file://'):
        with file_database(url[len('file://'):], False) as db:
            yield db
        return
    yield fetch(url)


def fetch(url):
    import urllib.request
    try:
        with urllib.request.urlopen(url.rstrip('/') + '/db', timeout=5) as r:
            return json.load(r)
    except (OSError, ValueError) as e:
        raise Fail('cannot reach the database at %s (is nova-conductor running on the controller?): %s' % (url, e), 2)


def transact(conf, change):
    """Applies change(db) and stores the result, as one transaction: over HTTP, an update made on a database that
    changed meanwhile is refused (409) and the change is applied again to the new state, as a database client
    retries a deadlock. Returns what change returned."""
    url = db_url(conf)
    if url.startswith('file://'):
        with file_database(url[len('file://'):], True) as db:
            return change(db)
    import random
    import urllib.error
    import urllib.request
    for attempt in range(50):
        db = fetch(url)
        result = change(db)
        req = urllib.request.Request(url.rstrip('/') + '/db', data=json.dumps(db).encode(), method='PUT',
                                     headers={'Content-Type': 'application/json'})
        try:
            urllib.request.urlopen(req, timeout=5).close()
            return result
        except urllib.error.HTTPError as e:
            if e.code != 409:
                raise Fail('database at %s refused the update (%d %s)' % (url, e.code, e.read().decode().strip()), 2)
        except OSError as e:
            raise Fail('cannot reach the database at %s: %s' % (url, e), 2)
        time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
    raise Fail('database at %s: the update was refused 50 times (changed meanwhile each time)' % url, 2)


def serve_database(conf):
    """On the controller, the conductor serves the database file to the other hosts (GET, and PUT if unchanged)."""
    path = db_url(conf)[len('file://'):]
    port = conf.getint('database', 'standin_port', fallback=DB_PORT)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.0'

        def do_GET(self):
            with file_database(path, False) as db:
                self.reply(200, json.dumps(db))

        def do_PUT(self):
            new = json.loads(self.rfile.read(int(self.headers.get('Content-Length', '0'))))
            with file_database(path, True) as db:
                if new.get('generation', 0) != db.get('generation', 0):
                    return self.reply(409, 'changed meanwhile')
                db.clear()
                db.update(new)
            self.reply(204, '')

        def reply(self, status, body):
            data = body.encode()
            self.send_response(status)
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_request(self, code='-', size='-'):
            pass

    server = ThreadingHTTPServer(('0.0.0.0', port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    log('nova-conductor', 'serving the database on port %d' % port)


def host_name(conf):
    return conf.get('DEFAULT', 'host', fallback=socket.gethostname())


def check_schema(db, rel, binary):
    for name, command in (('api', 'nova-manage api_db sync'), ('main', 'nova-manage db sync')):
        if db['schema'][name] < rel['service_version']:
            raise Fail('%s %s: the %s database schema is at %d, this code needs %d: run `%s` first'
                       % (binary, rel['version'], name, db['schema'][name], rel['service_version'], command))


def min_version(db, binary):
    versions = [s['version'] for s in db['services'].values() if s['binary'] == binary]
    return min(versions) if versions else None


def register(conf, rel, binary):
    """Startup checks, then the service's row in the services table; returns the cached minimum compute version."""
    def change(db):
        check_schema(db, rel, binary)
        if binary == 'nova-compute':
            old = sorted('%s (%d)' % (s['host'], s['version']) for s in db['services'].values()
                         if s['binary'] == 'nova-conductor' and s['version'] < rel['service_version'])
            if old:
                raise Fail('nova-compute %s: conductor(s) still older than this compute: %s; upgrade conductors first'
                           % (rel['version'], ', '.join(old)))
        db['services']['%s/%s' % (host_name(conf), binary)] = {
            'host': host_name(conf), 'binary': binary, 'version': rel['service_version'], 'state': 'up',
            'updated_at': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}
        return min_version(db, 'nova-compute')
    return transact(conf, change)


def mark_down(conf, binary):
    def change(db):
        row = db['services'].get('%s/%s' % (host_name(conf), binary))
        if row:
            row['state'] = 'down'
    transact(conf, change)


class Cache:
    """What a service caches at start and reloads on SIGHUP: nova.conf and the minimum compute version."""

    def __init__(self, conf, min_compute):
        self.conf = conf
        self.min_compute = min_compute

    def reload(self):
        self.conf = load_conf()
        with database(self.conf) as db:
            self.min_compute = min_version(db, 'nova-compute')


def log(binary, message):
    print('%s: %s' % (binary, message), file=sys.stderr, flush=True)


def run_service(binary):
    rel = release()
    conf = load_conf()
    cache = Cache(conf, register(conf, rel, binary))
    log(binary, 'started, version %s (service version %d)' % (rel['version'], rel['service_version']))

    def hup(_signum, _frame):
        cache.reload()
        log(binary, 'SIGHUP: reloaded nova.conf, minimum compute version %s' % cache.min_compute)

    signal.signal(signal.SIGHUP, hup)
    try:
        if binary == 'nova-api':
            serve_api(rel, cache)
        else:
            if binary == 'nova-conductor' and db_url(cache.conf).startswith('file://'):
                serve_database(cache.conf)
            stopping = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stopping.set())
            signal.signal(signal.SIGINT, lambda *_: stopping.set())
            while not stopping.wait(1.0):
                pass
    finally:
        mark_down(cache.conf, binary)
        log(binary, 'stopped')
    return 0


def version_document(rel, host_header):
    return {'version': {
        'id': 'v2.1', 'status': 'CURRENT', 'version': rel['max_microversion'], 'min_version': '2.1',
        'updated': '2013-07-23T11:33:21Z',
        'links': [{'rel': 'self', 'href': 'http://%s/v2.1/' % host_header}],
        'media-types': [{'base': 'application/json', 'type': 'application/vnd.openstack.compute+json;version=2.1'}],
    }}


def serve_api(rel, cache):
    in_flight = [0]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        server_version = 'nova-api-standin'
        protocol_version = 'HTTP/1.0'  # one request per connection: draining never waits on an idle keep-alive

        def do_GET(self):
            self.respond(True)

        def do_HEAD(self):
            self.respond(False)

        def do_OPTIONS(self):  # HAProxy's default `option httpchk` probe
            self.respond(False)

        def do_POST(self):
            self.respond(True)

        def respond(self, with_body):
            with lock:
                in_flight[0] += 1
            try:
                self.answer(with_body)
            finally:
                with lock:
                    in_flight[0] -= 1

        def answer(self, with_body):
            # The version is decided when the request arrives, not when the delayed answer leaves.
            url = urlsplit(self.path)
            raw = parse_qs(url.query).get('delay', [None])[0] or self.headers.get('X-Delay')
            delay = 0.0
            if raw is not None:
                try:
                    delay = float(raw)
                except ValueError:
                    delay = -1
                if not 0 <= delay <= MAX_DELAY:
                    return self.send_json(400, {'badRequest': {'code': 400, 'message': 'delay: expected 0 to %g seconds, got %r' % (MAX_DELAY, raw)}}, with_body)
            status, doc = self.route(url.path)
            if delay > 0:
                if not QUIET:
                    log('nova-api', 'delaying "%s" by %gs' % (self.requestline, delay))
                time.sleep(delay)
            self.send_json(status, doc, with_body)

        def route(self, path):
            host = self.headers.get('Host') or '%s:%d' % self.server.server_address[:2]
            if path in VERSION_PATHS and self.command != 'POST':
                return 200, version_document(rel, host)
            if path in ('/v2.1/servers', '/v2.1/servers/detail'):
                if self.command == 'POST':
                    return self.create_server()
                with database(cache.conf) as db:
                    return 200, {'servers': db.get('servers', [])}
            if path == '/v2.1/os-services':
                with database(cache.conf) as db:
                    rows = sorted(db['services'].values(), key=lambda s: (s['binary'], s['host']))
                return 200, {'services': [dict(r, id=i + 1, status='enabled') for i, r in enumerate(rows)]}
            return 404, {'itemNotFound': {'code': 404, 'message': 'no such resource: ' + path}}

        def create_server(self):
            auto = cache.conf.get('upgrade_levels', 'compute', fallback='') == 'auto'
            oldest = cache.min_compute
            if oldest is not None and oldest < rel['service_version'] and not auto:
                return 500, {'computeFault': {'code': 500, 'message':
                             'compute RPC for service version %d sent to a compute at %d: set [upgrade_levels] compute = auto while versions are mixed'
                             % (rel['service_version'], oldest)}}
            def change(db):
                servers = db.setdefault('servers', [])
                server = {'id': 'standin-%d' % (len(servers) + 1), 'status': 'ACTIVE'}
                servers.append(server)
                return server
            return 202, {'server': transact(cache.conf, change)}

        def send_json(self, status, doc, with_body):
            body = (json.dumps(doc) + '\n').encode()
            self.send_response(status)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(body)))
            self.send_header('OpenStack-API-Version', 'compute ' + rel['max_microversion'])
            self.send_header('X-OpenStack-Nova-API-Version', rel['max_microversion'])
            self.send_header('X-Served-By', socket.gethostname())
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def log_request(self, code='-', size='-'):
            pass

    bind = cache.conf.get('DEFAULT', 'osapi_compute_listen', fallback='0.0.0.0')
    port = cache.conf.getint('DEFAULT', 'osapi_compute_listen_port', fallback=8774)
    server = ThreadingHTTPServer((bind, port), Handler)
    server.daemon_threads = False  # joined by server_close(): a request in flight always gets its answer
    server.block_on_close = True

    def stop(signum, _frame):
        log('nova-api', '%s, finishing %d request(s) in flight' % (signal.Signals(signum).name, in_flight[0]))
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log('nova-api', 'listening on %s:%d, max microversion %s' % (server.server_address[:2] + (rel['max_microversion'],)))
    server.serve_forever(poll_interval=0.1)
    server.server_close()


def manage(argv):
    rel = release()
    conf = load_conf()
    cmd = ' '.join(argv[:2])
    if cmd in ('api_db sync', 'db sync'):
        name = 'api' if argv[0] == 'api_db' else 'main'
        def change(db):
            was = db['schema'][name]
            if was > rel['service_version']:
                raise Fail('%s database schema %d is newer than this code (%d)' % (name, was, rel['service_version']), 2)
            db['schema'][name] = rel['service_version']
            if name == 'main' and was and was < rel['service_version']:
                db['pending_migrations'] += MIGRATIONS_PER_RELEASE
            return was
        was = transact(conf, change)
        print('%s database schema: %d -> %d' % (name, was, rel['service_version']))
        return 0
    if cmd == 'db online_data_migrations':
        max_count = 50
        if '--max-count' in argv:
            try:
                max_count = int(argv[argv.index('--max-count') + 1])
            except (IndexError, ValueError):
                raise Fail('--max-count: expected a number', 127)
        def change(db):
            if db['schema']['main'] < rel['service_version']:
                raise Fail('online_data_migrations: the database schema is at %d, run `nova-manage db sync` first'
                           % db['schema']['main'], 2)
            done = min(max_count, db['pending_migrations'])
            db['pending_migrations'] -= done
            return done, db['pending_migrations']
        done, left = transact(conf, change)
        print('migrated %d record(s), %d left' % (done, left))
        # As nova: 1 while a batch did work (run again), 0 once nothing is left to do.
        return 1 if done else 0
    if cmd == 'service list':
        with database(conf) as db:
            for s in sorted(db['services'].values(), key=lambda s: (s['binary'], s['host'])):
                print('%-16s %-20s %-4s %d' % (s['binary'], s['host'], s['state'], s['version']))
        return 0
    raise Fail('nova-manage: unknown command %r (known: api_db sync, db sync, db online_data_migrations, service list)'
               % ' '.join(argv), 127)


def status(argv):
    if argv[:2] != ['upgrade', 'check']:
        raise Fail('nova-status: unknown command %r (known: upgrade check)' % ' '.join(argv), 127)
    rel = release()
    with database(load_conf()) as db:
        failures, warnings = [], []
        for s in db['services'].values():
            if s['version'] < rel['service_version'] - 1:
                failures.append('%s on %s is at %d, more than one release behind %d' % (s['binary'], s['host'], s['version'], rel['service_version']))
        for name in ('api', 'main'):
            if db['schema'][name] > rel['service_version']:
                failures.append('%s database schema %d is newer than this code' % (name, db['schema'][name]))
        if db['pending_migrations']:
            warnings.append('%d online data migration(s) pending: run nova-manage db online_data_migrations' % db['pending_migrations'])
        if len({s['version'] for s in db['services'].values()}) > 1:
            warnings.append('services run mixed versions')
    for f in failures:
        print('Failure: ' + f)
    for w in warnings:
        print('Warning: ' + w)
    if not failures and not warnings:
        print('Success: upgrade check passed')
    return 2 if failures else 1 if warnings else 0


QUIET = False


def api_alone(argv):
    """The API without a package: the release and nova.conf from the command line, the database a temp file."""
    global QUIET
    import argparse
    import tempfile
    p = argparse.ArgumentParser(prog='nova-standin api-alone', description='the nova API stand-in alone')
    p.add_argument('--bind', default='0.0.0.0')
    p.add_argument('--port', type=int, default=8774, help='0 picks a free one')
    p.add_argument('--max-version', default='2.79')
    p.add_argument('--quiet', action='store_true', help='no log of delayed requests')
    args = p.parse_args(argv)
    if not re.fullmatch(r'2\.\d+', args.max_version):
        p.error('--max-version: expected a microversion like 2.79, got %r' % args.max_version)
    QUIET = args.quiet
    state = tempfile.mkdtemp(prefix='nova-standin-')
    conf = configparser.ConfigParser(interpolation=None)
    conf.read_dict({'DEFAULT': {'osapi_compute_listen': args.bind, 'osapi_compute_listen_port': str(args.port)},
                    'database': {'connection': 'file://' + os.path.join(state, 'db.json')}})
    rel = {'version': 'alone', 'service_version': 0, 'max_microversion': args.max_version}
    try:
        serve_api(rel, Cache(conf, None))
    finally:
        import shutil
        shutil.rmtree(state, ignore_errors=True)
    log('nova-api', 'stopped')
    return 0


BINARIES = {'api': 'nova-api', 'conductor': 'nova-conductor', 'scheduler': 'nova-scheduler', 'compute': 'nova-compute'}


def main(argv):
    prog = os.path.basename(argv[0])
    args = argv[1:]
    if prog[len('nova-'):] in ('manage', 'status', *BINARIES):  # called through a nova-* link
        args = [prog[len('nova-'):]] + args
    if not args:
        print('usage: nova-standin api|conductor|scheduler|compute|api-alone|manage ...|status upgrade check', file=sys.stderr)
        return 127
    try:
        if args[0] in BINARIES:
            return run_service(BINARIES[args[0]])
        if args[0] == 'manage':
            return manage(args[1:])
        if args[0] == 'status':
            return status(args[1:])
        if args[0] == 'api-alone':
            return api_alone(args[1:])
        raise Fail('unknown subcommand %r' % args[0], 127)
    except Fail as e:
        print('%s: %s' % (prog, e), file=sys.stderr)
        return e.code


if __name__ == '__main__':
    sys.exit(main(sys.argv))

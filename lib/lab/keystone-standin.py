#!/usr/bin/python3
"""An identity (keystone v3) stand-in: the few calls that pointing nova's endpoint at the HAProxy VIP takes
(not keystone; one user, one project, a catalog in memory).

  keystone-standin [--bind ADDR] [--port N] [--user NAME] [--password-file FILE] [--nova-url URL]

  POST  /v3/auth/tokens          password auth (user and domain by name); the token in X-Subject-Token
  GET   /v3/services?type=T      the catalog's services
  GET   /v3/endpoints?service_id=ID&interface=I
  PATCH /v3/endpoints/ID         {"endpoint": {"url": ...}}
Every call but the first needs X-Auth-Token. Python 3 standard library only.
"""
import argparse
import json
import secrets
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def parse_args(argv):
    p = argparse.ArgumentParser(description='identity (keystone v3) stand-in')
    p.add_argument('--bind', default='127.0.0.1')
    p.add_argument('--port', type=int, default=5000, help='0 picks a free one')
    p.add_argument('--user', default='admin')
    p.add_argument('--password-file', help='the password, on its first line (default: "secret")')
    p.add_argument('--nova-url', default='http://controller:8774/v2.1', help="the compute endpoints' URL at start")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    password = 'secret'
    if args.password_file:
        with open(args.password_file) as f:
            password = f.readline().rstrip('\n')
    tokens = set()
    lock = threading.Lock()
    services = [{'id': 'svc-compute', 'type': 'compute', 'name': 'nova', 'enabled': True},
                {'id': 'svc-identity', 'type': 'identity', 'name': 'keystone', 'enabled': True}]
    endpoints = [{'id': 'ep-%s' % i, 'service_id': 'svc-compute', 'interface': i, 'region_id': 'RegionOne',
                  'url': args.nova_url, 'enabled': True} for i in ('public', 'internal', 'admin')]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.0'

        def reply(self, status, doc, headers=None):
            body = (json.dumps(doc) + '\n').encode()
            self.send_response(status)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def error(self, status, message):
            self.reply(status, {'error': {'code': status, 'message': message}})

        def body(self):
            try:
                return json.loads(self.rfile.read(int(self.headers.get('Content-Length', '0'))) or b'{}')
            except ValueError:
                return None

        def authorized(self):
            with lock:
                ok = self.headers.get('X-Auth-Token') in tokens
            if not ok:
                self.error(401, 'The request you have made requires authentication.')
            return ok

        def do_POST(self):
            if urlsplit(self.path).path != '/v3/auth/tokens':
                return self.error(404, 'not found')
            doc = self.body()
            try:
                user = doc['auth']['identity']['password']['user']
                given = (user['name'], user['password'])
            except (TypeError, KeyError):
                return self.error(400, 'expected auth.identity.password.user with name and password')
            if given != (args.user, password):
                return self.error(401, 'The request you have made requires authentication.')
            token = secrets.token_hex(16)
            with lock:
                tokens.add(token)
            self.reply(201, {'token': {'methods': ['password'], 'user': {'name': args.user}}}, {'X-Subject-Token': token})

        def do_GET(self):
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if not self.authorized():
                return
            if url.path == '/v3/services':
                return self.reply(200, {'services': [s for s in services if query.get('type') in (None, s['type'])]})
            if url.path == '/v3/endpoints':
                with lock:
                    found = [dict(e) for e in endpoints
                             if query.get('service_id') in (None, e['service_id']) and query.get('interface') in (None, e['interface'])]
                return self.reply(200, {'endpoints': found})
            self.error(404, 'not found')

        def do_PATCH(self):
            url = urlsplit(self.path)
            if not self.authorized():
                return
            if not url.path.startswith('/v3/endpoints/'):
                return self.error(404, 'not found')
            doc = self.body()
            new = doc.get('endpoint', {}).get('url') if isinstance(doc, dict) else None
            if not isinstance(new, str) or not new.startswith(('http://', 'https://')):
                return self.error(400, 'expected {"endpoint": {"url": "http://..."}}')
            with lock:
                for e in endpoints:
                    if e['id'] == url.path.rsplit('/', 1)[1]:
                        e['url'] = new
                        return self.reply(200, {'endpoint': dict(e)})
            self.error(404, 'no endpoint %s' % url.path)

        def log_request(self, code='-', size='-'):
            pass

    server = ThreadingHTTPServer((args.bind, args.port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print('keystone-standin: listening on %s:%d' % server.server_address[:2], file=sys.stderr, flush=True)
    server.serve_forever(poll_interval=0.1)
    server.server_close()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

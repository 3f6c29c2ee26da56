#!/usr/bin/python3
"""A stand-in for the nova API, for rehearsing a zero-downtime upgrade behind HAProxy on lab hosts.

It answers GET / and GET /v2.1 with a version document shaped like nova's
  {"version": {"id": "v2.1", "status": "CURRENT", "version": "<max microversion>", "min_version": "2.1", ...}}
(the max microversion is set with --max-version, to play old and new code), delays a response on request
(?delay=SECONDS or the header X-Delay: SECONDS) to play slow requests, serves requests concurrently, and on
SIGTERM stops accepting, finishes the requests in flight, then exits 0: the graceful stop the upgrade relies on.
Python 3 standard library only: every lab host has the machine's /usr/bin/python3.
"""
import argparse
import json
import re
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

MAX_DELAY = 600.0
VERSION_PATHS = ('/', '/v2.1', '/v2.1/')


def parse_args(argv):
    p = argparse.ArgumentParser(description='nova API stand-in (version document, delays, graceful stop)')
    p.add_argument('--bind', default='0.0.0.0', help='address to listen on (default 0.0.0.0)')
    p.add_argument('--port', type=int, default=8774, help='port (default 8774; 0 picks a free one)')
    p.add_argument('--max-version', default='2.79', help='max API microversion to announce (default 2.79)')
    p.add_argument('--min-version', default='2.1', help='min API microversion to announce (default 2.1)')
    p.add_argument('--delay', type=float, default=0.0, help='seconds every response waits unless the request says otherwise')
    p.add_argument('--quiet', action='store_true', help='no access log on stderr')
    args = p.parse_args(argv)
    for name in ('max_version', 'min_version'):
        if not re.fullmatch(r'2\.\d+', getattr(args, name)):
            p.error('--%s: expected a microversion like 2.79, got %r' % (name.replace('_', '-'), getattr(args, name)))
    if not 0 <= args.delay <= MAX_DELAY:
        p.error('--delay: expected 0 to %g seconds, got %g' % (MAX_DELAY, args.delay))
    return args


def version_document(args, host_header):
    return {
        'version': {
            'id': 'v2.1',
            'status': 'CURRENT',
            'version': args.max_version,
            'min_version': args.min_version,
            'updated': '2013-07-23T11:33:21Z',
            'links': [{'rel': 'self', 'href': 'http://%s/v2.1/' % host_header}],
            'media-types': [{'base': 'application/json', 'type': 'application/vnd.openstack.compute+json;version=2.1'}],
        }
    }


def make_handler(args, in_flight):
    class Handler(BaseHTTPRequestHandler):
        server_version = 'nova-api-standin'
        protocol_version = 'HTTP/1.0'  # one request per connection: draining never waits on an idle keep-alive

        def do_GET(self):
            self.respond(with_body=True)

        def do_HEAD(self):
            self.respond(with_body=False)

        def do_OPTIONS(self):  # HAProxy's default `option httpchk` probe
            self.respond(with_body=False)

        def respond(self, with_body):
            in_flight.add(1)
            try:
                url = urlsplit(self.path)
                delay, problem = self.requested_delay(url.query)
                if problem:
                    return self.send_json(400, {'badRequest': {'code': 400, 'message': problem}}, with_body)
                if url.path not in VERSION_PATHS:
                    return self.send_json(404, {'itemNotFound': {'code': 404, 'message': 'no such resource: ' + url.path}}, with_body)
                if delay > 0:
                    if not args.quiet:
                        self.log_message('delaying "%s" by %gs', self.requestline, delay)
                    time.sleep(delay)
                host = self.headers.get('Host') or '%s:%d' % self.server.server_address[:2]
                self.send_json(200, version_document(args, host), with_body)
            finally:
                in_flight.add(-1)

        def requested_delay(self, query):
            raw = parse_qs(query).get('delay', [None])[0] or self.headers.get('X-Delay')
            if raw is None:
                return args.delay, None
            try:
                delay = float(raw)
            except ValueError:
                return 0, 'delay: expected seconds, got %r' % raw
            if not 0 <= delay <= MAX_DELAY:
                return 0, 'delay: expected 0 to %g seconds, got %g' % (MAX_DELAY, delay)
            return delay, None

        def send_json(self, status, doc, with_body):
            body = (json.dumps(doc) + '\n').encode()
            self.send_response(status)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(body)))
            self.send_header('OpenStack-API-Version', 'compute ' + args.max_version)
            self.send_header('X-OpenStack-Nova-API-Version', args.max_version)
            self.send_header('X-Served-By', socket.gethostname())
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def log_request(self, code='-', size='-'):
            if not args.quiet:
                super().log_request(code, size)

    return Handler


class InFlight:
    """How many requests are being answered, for the message on SIGTERM."""

    def __init__(self):
        self.count = 0
        self._lock = threading.Lock()

    def add(self, n):
        with self._lock:
            self.count += n


def main(argv):
    args = parse_args(argv)
    in_flight = InFlight()
    server = ThreadingHTTPServer((args.bind, args.port), make_handler(args, in_flight))
    # Non-daemon request threads, joined by server_close(): a request in flight always gets its answer.
    server.daemon_threads = False
    server.block_on_close = True

    def stop(signum, _frame):
        print('nova-api-standin: %s, finishing %d request(s) in flight' % (signal.Signals(signum).name, in_flight.count),
              file=sys.stderr, flush=True)
        # shutdown() waits for serve_forever() to return, which runs in this (the main) thread.
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = server.server_address[:2]
    print('nova-api-standin: listening on %s:%d, version %s (min %s)' % (host, port, args.max_version, args.min_version),
          flush=True)
    server.serve_forever(poll_interval=0.1)
    server.server_close()  # stops listening, then waits for the requests in flight
    print('nova-api-standin: stopped', file=sys.stderr, flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

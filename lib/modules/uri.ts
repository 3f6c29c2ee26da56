/**
 * ansible.builtin.uri: an HTTP(S) request made FROM the host the task targets (as Ansible's module runs there;
 * `delegate_to: localhost` makes it local), with Python 3's urllib (every Debian host has python3; curl may be
 * missing). The request goes to the host as JSON on standard input, so a password never shows on a command line.
 *
 * Round trips: 1. Like Ansible's module, it does not run in check mode (skipped) and never reports a change.
 */
import { Type } from '@sinclair/typebox';
import { Dict, List, Raw, StringEnum } from './args.js';
import { isPlainObject } from './coerce.js';
import { defineModule, type ModuleResult } from './module.js';
import { pyList } from './system-state.js';

const PROGRAM = String.raw`
import base64, json, ssl, sys, time, urllib.error, urllib.request
p = json.load(sys.stdin)
class Redirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, hdrs, newurl):
        mode = p['follow_redirects']
        if mode in ('no', 'none'):
            return None
        if mode == 'safe' and req.get_method() not in ('GET', 'HEAD'):
            return None
        return urllib.request.HTTPRedirectHandler.redirect_request(self, req, fp, code, msg, hdrs, newurl)
handlers = [Redirects()]
if not p['validate_certs']:
    ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
    handlers.append(urllib.request.HTTPSHandler(context=ctx))
headers = dict(p['headers'])
if p['user'] is not None:
    if p['force_basic_auth']:
        headers['Authorization'] = 'Basic ' + base64.b64encode(('%s:%s' % (p['user'], p['password'] or '')).encode()).decode()
    else:
        manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        manager.add_password(None, p['url'], p['user'], p['password'] or '')
        handlers.append(urllib.request.HTTPBasicAuthHandler(manager))
opener = urllib.request.build_opener(*handlers)
data = p['body'].encode() if p['body'] is not None else None
req = urllib.request.Request(p['url'], data=data, headers=headers, method=p['method'])
out = {}
start = time.time()
try:
    r = opener.open(req, timeout=p['timeout'])
    body = r.read()
    out.update(status=r.status, url=r.geturl(), msg='OK (%s bytes)' % r.headers.get('Content-Length', 'unknown'), headers=dict(r.headers.items()))
except urllib.error.HTTPError as e:
    body = e.read() if e.fp is not None else b''
    out.update(status=e.code, url=e.geturl() or p['url'], msg=str(e), headers=dict(e.headers.items()) if e.headers else {})
except Exception as e:
    body = b''
    reason = getattr(e, 'reason', e)
    out.update(status=-1, url=p['url'], msg='Request failed: <urlopen error %s>' % reason if isinstance(e, urllib.error.URLError) else 'Status code was -1: %s' % e, headers={})
out['elapsed'] = int(time.time() - start)
charset = 'utf-8'
for part in out['headers'].get('Content-Type', '').split(';')[1:]:
    k, _, v = part.strip().partition('=')
    if k.lower() == 'charset' and v:
        charset = v.strip('"')
try:
    out['content'] = body.decode(charset, 'replace')
except LookupError:
    out['content'] = body.decode('utf-8', 'replace')
print(json.dumps(out))
`;

const JSON_TYPES = new Set(['json', 'javascript']);

/** Python's urlencode of a mapping (Ansible's form_urlencoded: lists become repeated keys). */
function formEncode(body: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(body)) {
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, String(v));
  }
  return params.toString();
}

export default defineModule({
  name: 'uri',
  aliases: ['ansible.builtin.uri', 'ansible.legacy.uri'],
  description: 'Make an HTTP(S) request from the host and check the answer',
  argAliases: { user: 'url_username', password: 'url_password' },
  args: Type.Object(
    {
      url: Type.String({ minLength: 1 }),
      method: Type.Optional(Type.String({ default: 'GET', pattern: '^[A-Za-z]+$', 'x-expected': 'a single word, like GET or POST' })),
      headers: Type.Optional(Dict({ default: {} })),
      body: Type.Optional(Raw({ description: 'a string, or a mapping/list encoded by body_format' })),
      body_format: Type.Optional(StringEnum(['raw', 'json', 'form-urlencoded'] as const, { default: 'raw' })),
      status_code: Type.Optional(List(Type.Integer(), { default: [200] })),
      return_content: Type.Optional(Type.Boolean({ default: false })),
      timeout: Type.Optional(Type.Integer({ minimum: 1, default: 30 })),
      validate_certs: Type.Optional(Type.Boolean({ default: true })),
      follow_redirects: Type.Optional(StringEnum(['all', 'no', 'none', 'safe', 'urllib2', 'yes'] as const, { default: 'safe' })),
      url_username: Type.Optional(Type.String()),
      url_password: Type.Optional(Type.String()),
      force_basic_auth: Type.Optional(Type.Boolean({ default: false })),
    },
    { additionalProperties: false },
  ),
  async run(args, ctx): Promise<ModuleResult> {
    if (ctx.check) return { changed: false, skipped: true, msg: 'remote module (uri) does not support check mode' };
    const method = (args.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = Object.fromEntries(Object.entries(args.headers ?? {}).map(([k, v]) => [k, String(v)]));
    const hasType = Object.keys(headers).some((h) => h.toLowerCase() === 'content-type');
    const format = args.body_format ?? 'raw';
    let body: string | null = null;
    if (args.body !== undefined && args.body !== null) {
      if (format === 'json') {
        body = typeof args.body === 'string' ? args.body : JSON.stringify(args.body);
        if (!hasType) headers['Content-Type'] = 'application/json';
      } else if (format === 'form-urlencoded') {
        if (typeof args.body === 'string') body = args.body;
        else if (isPlainObject(args.body)) body = formEncode(args.body);
        else return { changed: false, failed: true, elapsed: 0, msg: 'failed to parse body as form_urlencoded: expected a mapping or a string' };
        if (!hasType) headers['Content-Type'] = 'application/x-www-form-urlencoded';
      } else body = typeof args.body === 'string' ? args.body : JSON.stringify(args.body);
    }
    const statusCodes = args.status_code ?? [200];
    const timeout = args.timeout ?? 30;
    const request = {
      url: args.url,
      method,
      headers,
      body,
      timeout,
      validate_certs: args.validate_certs ?? true,
      follow_redirects: args.follow_redirects ?? 'safe',
      user: args.url_username ?? null,
      password: args.url_password ?? null,
      force_basic_auth: args.force_basic_auth ?? false,
    };
    const run = await ctx.connection.run({ python: PROGRAM }, { stdin: JSON.stringify(request), timeoutMs: (timeout + 30) * 1000, ...(ctx.become ? { become: ctx.become } : {}), env: ctx.environment });
    let answer: { status: number; url: string; msg: string; headers: Record<string, string>; elapsed: number; content: string };
    try {
      answer = JSON.parse(run.stdout.trim().split('\n').pop() ?? '') as typeof answer;
    } catch {
      return { changed: false, failed: true, msg: `uri could not run python3 on the host: ${run.stderr.trim() || `exit code ${run.rc}`}` };
    }
    // Ansible's result: the response headers as top-level keys, lower case with '_' for '-'
    const result: ModuleResult = { changed: false };
    for (const [key, value] of Object.entries(answer.headers)) result[key.replace(/-/g, '_').toLowerCase()] = value;
    if (typeof result.location === 'string') result.location = new URL(result.location, args.url).toString();
    Object.assign(result, { redirected: answer.url !== args.url, status: answer.status, url: answer.url, msg: answer.msg, elapsed: answer.elapsed });
    const contentType = (answer.headers['Content-Type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const sub = contentType.split('/')[1] ?? '';
    const maybeJson = JSON_TYPES.has(sub.includes('+') ? sub.split('+')[1]! : sub);
    if (maybeJson) {
      try {
        result.json = JSON.parse(answer.content) as unknown;
      } catch {
        // not JSON after all: Ansible leaves `json` out
      }
    }
    if (args.return_content) result.content = answer.content;
    if (!statusCodes.includes(answer.status)) {
      return { ...result, failed: true, msg: `Status code was ${answer.status} and not ${pyList(statusCodes)}: ${answer.msg}` };
    }
    return result;
  },
});

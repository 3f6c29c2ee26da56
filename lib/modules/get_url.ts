/**
 * ansible.builtin.get_url: a file downloaded BY the host (http, https, ftp or file URL, with Python 3's urllib as
 * Ansible's module does), verified against `checksum` (algo:hash, or algo:URL of a checksum file), put at `dest`
 * (a file, or a directory that gets the server's or the URL's file name) by a rename from a temp file in dest's
 * directory (or `tmp_dest`), then given `mode`/`owner`/`group`. As in Ansible: an existing dest is asked for with
 * If-Modified-Since unless `force` (a 304 changes nothing); with `checksum` and no `force`, a dest whose digest
 * matches is not downloaded at all; check mode sends HEAD instead of GET. The request reaches the host as JSON on
 * standard input, so a password never shows on a command line.
 *
 * Round trips: 1, changed or not: one Python program does what Ansible's module does on the host.
 */
import { Type } from '@sinclair/typebox';
import { Dict, List } from './args.js';
import { fileAttributeArgs } from './file-state.js';
import { defineModule, type ModuleContext, type ModuleResult } from './module.js';

/**
 * What get_url and unarchive share on the host: their failures and results with the dest's stat fields (as
 * AnsibleModule's add_path_info adds them), set_fs_attributes_if_different, and fetch_url (Ansible's urls.py,
 * for the options these modules have).
 */
export const HOST_COMMON_PY = String.raw`
import base64, datetime, grp, gzip, hashlib, json, netrc, os, pwd, re, shutil, stat, sys, tempfile, time
import urllib.error, urllib.parse, urllib.request, ssl, http.client

class Fail(Exception):
    def __init__(self, **fields):
        Exception.__init__(self, fields.get('msg'))
        self.fields = fields

class Exit(Exception):
    def __init__(self, **fields):
        Exception.__init__(self)
        self.fields = fields

def path_info(result):
    path = result.get('path', result.get('dest'))
    if path is None or not os.path.exists(path):
        return result
    st = os.lstat(path)
    for key, lookup, ident in (('owner', pwd.getpwuid, st.st_uid), ('group', grp.getgrgid, st.st_gid)):
        try:
            result[key] = lookup(ident)[0]
        except KeyError:
            result[key] = str(ident)
    result['uid'], result['gid'] = st.st_uid, st.st_gid
    result['mode'] = '0%03o' % stat.S_IMODE(st.st_mode)
    if os.path.islink(path):
        result['state'] = 'link'
    elif os.path.isdir(path):
        result['state'] = 'directory'
    elif os.stat(path).st_nlink > 1:
        result['state'] = 'hard'
    else:
        result['state'] = 'file'
    result['size'] = st.st_size
    return result

def run_main(main):
    try:
        main()
        raise Fail(msg='the module ended without a result')
    except Exit as e:
        out = path_info(e.fields)
    except Fail as e:
        out = path_info(dict(e.fields, failed=True))
    sys.stdout.write('\n' + json.dumps(out) + '\n')

MODE_OPERATOR_RE = re.compile(r'[+=-]')
USERS_RE = re.compile(r'[^ugo]')
PERMS_RE = re.compile(r'[^rwxXstugo]')

def symbolic_mode(path_stat, symbolic):
    new_mode = stat.S_IMODE(path_stat.st_mode)
    umask = os.umask(0)
    os.umask(umask)
    for clause in symbolic.split(','):
        permlist = MODE_OPERATOR_RE.split(clause)
        opers = MODE_OPERATOR_RE.findall(clause)
        users = permlist.pop(0)
        use_umask = users == ''
        if users in ('a', ''):
            users = 'ugo'
        if USERS_RE.match(users):
            raise ValueError('bad symbolic permission for mode: %s' % clause)
        for idx, perms in enumerate(permlist):
            if PERMS_RE.match(perms):
                raise ValueError('bad symbolic permission for mode: %s' % clause)
            for user in users:
                prev = new_mode
                shift = {'u': 6, 'g': 3, 'o': 0}[user]
                apply = 0
                for perm in perms:
                    if perm in 'rwx':
                        bit = {'r': 4, 'w': 2, 'x': 1}[perm] << shift
                        apply |= bit & (umask ^ 0o7777) if use_umask else bit
                    elif perm == 'X':
                        if stat.S_ISDIR(path_stat.st_mode) or (stat.S_IMODE(path_stat.st_mode) & 0o111) > 0:
                            apply |= 1 << shift
                    elif perm == 's':
                        apply |= {'u': 0o4000, 'g': 0o2000, 'o': 0}[user]
                    elif perm == 't':
                        apply |= 0o1000 if user == 'o' else 0
                    else:
                        apply |= ((stat.S_IMODE(path_stat.st_mode) >> {'u': 6, 'g': 3, 'o': 0}[perm]) & 7) << shift
                oper = opers[idx]
                if oper == '=':
                    mask = {'u': 0o4700, 'g': 0o2070, 'o': 0o1007}[user]
                    new_mode = (prev & (mask ^ 0o7777)) | apply
                elif oper == '+':
                    new_mode = prev | apply
                else:
                    new_mode = prev - (prev & apply)
    return new_mode

def set_fs_attributes(path, attrs, changed, check_mode):
    """AnsibleModule.set_fs_attributes_if_different: owner, group, then mode, without following a link."""
    absent = check_mode and not os.path.lexists(path)
    owner, group, mode = attrs.get('owner'), attrs.get('group'), attrs.get('mode')
    if owner is not None:
        if absent:
            return True
        try:
            uid = int(owner)
        except ValueError:
            try:
                uid = pwd.getpwnam(owner).pw_uid
            except KeyError:
                raise Fail(path=path, msg='chown failed: failed to look up user %s' % owner)
        if os.lstat(path).st_uid != uid:
            if check_mode:
                return True
            try:
                os.lchown(path, uid, -1)
            except OSError as e:
                raise Fail(path=path, msg='chown failed: %s' % e)
            changed = True
    if group is not None:
        if absent:
            return True
        try:
            gid = int(group)
        except ValueError:
            try:
                gid = grp.getgrnam(group).gr_gid
            except KeyError:
                raise Fail(path=path, msg='chgrp failed: failed to look up group %s' % group)
        if os.lstat(path).st_gid != gid:
            if check_mode:
                return True
            try:
                os.lchown(path, -1, gid)
            except OSError:
                raise Fail(path=path, msg='chgrp failed')
            changed = True
    if mode is not None:
        if absent:
            return True
        path_stat = os.lstat(path)
        if not isinstance(mode, int):
            try:
                mode = int(mode, 8)
            except ValueError:
                try:
                    mode = symbolic_mode(path_stat, mode)
                except ValueError as e:
                    raise Fail(path=path, msg='mode must be in octal or symbolic form', details=str(e))
                if mode != stat.S_IMODE(mode):
                    raise Fail(path=path, msg='Invalid mode supplied, only permission info is allowed', details=mode)
        prev_mode = stat.S_IMODE(path_stat.st_mode)
        if prev_mode != mode:
            if check_mode:
                return True
            try:
                if not os.path.islink(path):
                    os.chmod(path, mode)
                else:
                    # Linux has no lchmod: Ansible chmods through the link, then puts the target's bits back
                    underlying = os.stat(path)
                    os.chmod(path, mode)
                    if underlying.st_mode != os.stat(path).st_mode:
                        os.chmod(path, stat.S_IMODE(underlying.st_mode))
            except OSError as e:
                if not (os.path.islink(path) or e.errno in (2, 40)):
                    raise Fail(path=path, msg='chmod failed', details=str(e))
            if stat.S_IMODE(os.lstat(path).st_mode) != prev_mode:
                changed = True
    return changed

class GzipDecodedReader(gzip.GzipFile):
    """urls.py's: a gzip-encoded answer, decoded as it is read."""
    def __init__(self, fp):
        gzip.GzipFile.__init__(self, mode='rb', fileobj=fp)
        self._io = fp
    def close(self):
        try:
            gzip.GzipFile.close(self)
        finally:
            self._io.close()

def rfc2822(timetuple):
    return '%s, %02d %s %04d %02d:%02d:%02d GMT' % (
        ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][timetuple[6]], timetuple[2],
        ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][timetuple[1] - 1],
        timetuple[0], timetuple[3], timetuple[4], timetuple[5])

def basic_auth(user, password):
    return 'Basic ' + base64.b64encode(('%s:%s' % (user, password or '')).encode()).decode()

def fetch_url(p, url, method='GET', force=False, last_mod_time=None):
    """Ansible's fetch_url: (response or None, info) where info has status, msg, url and the answer's headers."""
    info = dict(url=url, status=-1)
    handlers = []
    headers = dict(p.get('headers') or {})
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme != 'ftp':
        username, password = p.get('url_username'), p.get('url_password')
        netloc = parsed.netloc
        if not username and '@' in parsed.netloc:
            credentials, netloc = parsed.netloc.split('@', 1)
            username, _, password = credentials.partition(':')
            url = urllib.parse.urlunparse(parsed._replace(netloc=netloc))
        if username and not p.get('force_basic_auth'):
            manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            manager.add_password(None, netloc, username, password)
            handlers += [urllib.request.HTTPBasicAuthHandler(manager), urllib.request.HTTPDigestAuthHandler(manager)]
        elif username:
            headers['Authorization'] = basic_auth(username, password)
        elif p.get('use_netrc', True):
            try:
                login = netrc.netrc(os.environ.get('NETRC')).authenticators(parsed.hostname)
            except (IOError, netrc.NetrcParseError):
                login = None
            if login and login[0] and login[2]:
                headers['Authorization'] = basic_auth(login[0], login[2])
    if not p.get('use_proxy', True):
        handlers.append(urllib.request.ProxyHandler({}))
    context = ssl.create_default_context()
    if not p.get('validate_certs', True):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if p.get('ciphers'):
        context.set_ciphers(':'.join(p['ciphers']))
    if p.get('client_cert'):
        context.load_cert_chain(p['client_cert'], p.get('client_key'))
    handlers.append(urllib.request.HTTPSHandler(context=context))
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, method=method)
    if p.get('http_agent'):
        request.add_header('User-agent', p['http_agent'])
    if force:
        request.add_header('cache-control', 'no-cache')
    elif last_mod_time:
        request.add_header('If-Modified-Since', rfc2822(last_mod_time.timetuple()))
    unredirected = [h.lower() for h in p.get('unredirected_headers') or []]
    for name, value in headers.items():
        if name.lower() in unredirected:
            request.add_unredirected_header(name, value)
        else:
            request.add_header(name, value)
    r = None
    try:
        r = opener.open(request, None, p['timeout'])
        if p.get('decompress', True) and r.headers.get('content-encoding', '').lower() == 'gzip':
            r.fp = GzipDecodedReader(r.fp)
            r.length = None
        answer = {}
        for name, value in r.headers.items():
            name = name.lower()
            answer[name] = answer[name] + ', ' + value if name in answer else value
        info.update(answer)
        info.update(msg='OK (%s bytes)' % r.headers.get('Content-Length', 'unknown'), url=r.geturl(), status=r.code)
    except ValueError as e:
        raise Fail(msg=str(e), **info)
    except urllib.error.HTTPError as e:
        # the answer is the error, its body already read (fetch_file then writes an empty file, as Ansible's does)
        r = e
        try:
            if e.fp is not None:
                e.read()
                e.close()
        except Exception:
            pass
        try:
            info.update((k.lower(), v) for k, v in e.info().items())
        except Exception:
            pass
        info.update(msg=str(e), status=e.code)
    except urllib.error.URLError as e:
        info.update(msg='Request failed: %s' % e, status=int(getattr(e, 'code', -1)))
    except OSError as e:
        info.update(msg='Connection failure: %s' % e, status=-1)
    except http.client.BadStatusLine as e:
        info.update(msg='Connection failure: connection was closed before a valid response was received: %s' % e.line, status=-1)
    except Exception as e:
        info.update(msg='An unknown error occurred: %s' % e, status=-1)
    return r, info
`;

/** The module's own part, after HOST_COMMON_PY: get_url.py's main() and url_get(). */
const PROGRAM = HOST_COMMON_PY + String.raw`
p = json.loads(sys.stdin.readline())
CHECK = p['check_mode']
# Ansible's AVAILABLE_HASH_ALGORITHMS on Python 3 (its lookup of hashlib.algorithms finds nothing, so the fallback list)
ALGORITHMS = ('md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512')

def digest(path, algorithm):
    if not os.path.exists(path):
        return None
    if os.path.isdir(path):
        raise Fail(msg='attempted to take checksum of directory: %s' % path)
    if algorithm not in ALGORITHMS:
        raise Fail(msg="Could not hash file '%s' with algorithm '%s'. Available algorithms: %s" % (path, algorithm, ', '.join(ALGORITHMS)))
    h = hashlib.new(algorithm)
    with open(os.path.realpath(path), 'rb') as f:
        for block in iter(lambda: f.read(65536), b''):
            h.update(block)
    return h.hexdigest()

def url_filename(url):
    return os.path.basename(urllib.parse.urlsplit(url)[2]) or 'index.html'

def url_get(url, dest, last_mod_time, force, tmp_dest, method='GET'):
    start = datetime.datetime.utcnow()
    rsp, info = fetch_url(p, url, method=method, force=force, last_mod_time=last_mod_time)
    elapsed = (datetime.datetime.utcnow() - start).seconds
    if info['status'] == 304:
        raise Exit(url=url, dest=dest, changed=False, msg=info.get('msg', ''), status_code=info['status'], elapsed=elapsed)
    if info['status'] == -1:
        raise Fail(msg=info['msg'], url=url, dest=dest, elapsed=elapsed)
    if info['status'] != 200 and not url.startswith('file:/') and not (url.startswith('ftp:/') and info.get('msg', '').startswith('OK')):
        raise Fail(msg='Request failed', status_code=info['status'], response=info['msg'], url=url, dest=dest, elapsed=elapsed)
    if tmp_dest:
        if not os.path.isdir(tmp_dest):
            if os.path.exists(tmp_dest):
                raise Fail(msg='%s is a file but should be a directory.' % tmp_dest, elapsed=elapsed)
            raise Fail(msg='%s directory does not exist.' % tmp_dest, elapsed=elapsed)
        where = tmp_dest
    else:
        # next to dest, so that the final rename is atomic (Ansible downloads to its remote tmp, then moves)
        where = dest if os.path.isdir(dest) else os.path.dirname(dest) or '.'
        if not (os.path.isdir(where) and os.access(where, os.W_OK)):
            where = tempfile.gettempdir()
    fd, tempname = tempfile.mkstemp(dir=where, prefix='.typebook-get_url.')
    TEMPS.append(tempname)
    try:
        with os.fdopen(fd, 'wb') as f:
            for block in iter(lambda: rsp.read(65536), b''):
                f.write(block)
    except Exception as e:
        raise Fail(msg='failed to create temporary content file: %s' % e, elapsed=elapsed)
    rsp.close()
    return tempname, info

def extract_filename_from_headers(headers):
    match = re.match('attachment; ?filename="?([^"]+)', headers.get('content-disposition', ''))
    return os.path.basename(match.group(1)) if match else None

def atomic_move(src, dest):
    """AnsibleModule.atomic_move: the new file takes an existing dest's mode and owner, or 0666 & ~umask."""
    creating = not os.path.exists(dest)
    if not creating:
        st = os.stat(dest)
        try:
            os.chmod(src, st.st_mode & 0o7777)
            os.chown(src, st.st_uid, st.st_gid)
        except OSError as e:
            if e.errno != 1:
                raise
    try:
        os.rename(src, dest)
    except OSError as e:
        if e.errno not in (1, 18, 13, 26, 16):
            raise Fail(msg='Could not replace file: %s to %s: %s' % (src, dest, e))
        # another file system (tmp_dest elsewhere): a copy next to dest, then the rename
        fd, tmp = tempfile.mkstemp(prefix='.ansible_tmp', dir=os.path.dirname(dest), suffix=os.path.basename(dest))
        os.close(fd)
        TEMPS.append(tmp)
        shutil.copy2(src, tmp)
        os.rename(tmp, dest)
    if creating:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(dest, 0o666 & ~umask)
        try:
            os.chown(dest, os.geteuid(), os.getegid())
        except OSError:
            pass

def main():
    url, force, checksum = p['url'], p['force'], p['checksum']
    dest = os.path.expanduser(os.path.expandvars(p['dest']))
    tmp_dest = os.path.expanduser(os.path.expandvars(p['tmp_dest'])) if p['tmp_dest'] else ''
    result = dict(changed=False, checksum_dest=None, checksum_src=None, dest=dest, elapsed=0, url=url)
    dest_is_dir = os.path.isdir(dest)
    last_mod_time = None
    algorithm = None
    if checksum:
        try:
            algorithm, checksum = checksum.split(':', 1)
        except ValueError:
            raise Fail(msg='The checksum parameter has to be in format <algorithm>:<checksum>', **result)
        if urllib.parse.urlsplit(checksum).scheme in ('http', 'https', 'ftp', 'file'):
            checksum_url = checksum
            checksum_tmpsrc, _ = url_get(checksum_url, dest, last_mod_time, force, tmp_dest)
            with open(checksum_tmpsrc) as f:
                lines = [line.rstrip('\n') for line in f]
            os.remove(checksum_tmpsrc)
            checksum_map = []
            filename = url_filename(url)
            if len(lines) == 1 and len(lines[0].split()) == 1:
                checksum_map.append((lines[0], filename))
            else:
                for line in lines:
                    parts = line.split(' ', 1)
                    if len(parts) == 2:
                        if parts[1].startswith((' ', '*')):
                            parts[1] = parts[1][1:]
                        checksum_map.append((parts[0], parts[1].lstrip('./')))
            checksum = next((s for (s, f) in checksum_map if f == filename), None)
            if checksum is None:
                raise Fail(msg="Unable to find a checksum for file '%s' in '%s'" % (filename, checksum_url))
        checksum = re.sub(r'\W+', '', checksum).lower()
        try:
            int(checksum, 16)
        except ValueError:
            raise Fail(msg='The checksum format is invalid', **result)
    if not dest_is_dir and os.path.exists(dest):
        checksum_mismatch = False
        if not force and checksum != '':
            if checksum != digest(dest, algorithm):
                checksum_mismatch = True
        if not force and checksum and not checksum_mismatch:
            result['changed'] = set_fs_attributes(dest, p['attributes'], False, CHECK)
            if result['changed']:
                raise Exit(msg='file already exists but file attributes changed', **result)
            raise Exit(msg='file already exists', **result)
        last_mod_time = datetime.datetime.utcfromtimestamp(os.path.getmtime(dest))
        if checksum_mismatch:
            force = True
    start = datetime.datetime.utcnow()
    tmpsrc, info = url_get(url, dest, last_mod_time, force, tmp_dest, 'HEAD' if CHECK else 'GET')
    result['elapsed'] = (datetime.datetime.utcnow() - start).seconds
    result['src'] = tmpsrc
    if dest_is_dir:
        dest = os.path.join(dest, extract_filename_from_headers(info) or url_filename(info['url']))
        result['dest'] = dest
    if not os.access(tmpsrc, os.R_OK):
        raise Fail(msg='Source %s is not readable' % tmpsrc, **result)
    result['checksum_src'] = digest(tmpsrc, 'sha1')
    if os.path.exists(dest):
        if not os.access(dest, os.W_OK):
            raise Fail(msg='Destination %s is not writable' % dest, **result)
        if not os.access(dest, os.R_OK):
            raise Fail(msg='Destination %s is not readable' % dest, **result)
        result['checksum_dest'] = digest(dest, 'sha1')
    else:
        if not os.path.exists(os.path.dirname(dest)):
            raise Fail(msg='Destination %s does not exist' % os.path.dirname(dest), **result)
        if not os.access(os.path.dirname(dest), os.W_OK):
            raise Fail(msg='Destination %s is not writable' % os.path.dirname(dest), **result)
    if CHECK:
        result['changed'] = result['checksum_dest'] is None or result['checksum_src'] != result['checksum_dest']
        raise Exit(msg=info.get('msg', ''), **result)
    backup_file = None
    if result['checksum_src'] != result['checksum_dest']:
        try:
            if p['backup'] and os.path.exists(dest):
                backup_file = '%s.%s.%s' % (dest, os.getpid(), time.strftime('%Y-%m-%d@%H:%M:%S~', time.localtime(time.time())))
                shutil.copy2(dest, backup_file)
            atomic_move(tmpsrc, dest)
        except (OSError, shutil.Error) as e:
            raise Fail(msg='failed to copy %s to %s: %s' % (tmpsrc, dest, e), **result)
        result['changed'] = True
    if checksum != '':
        destination_checksum = digest(dest, algorithm)
        if checksum != destination_checksum:
            os.remove(dest)
            raise Fail(msg='The checksum for %s did not match %s; it was %s.' % (dest, checksum, destination_checksum), **result)
    result['changed'] = set_fs_attributes(dest, p['attributes'], result['changed'], CHECK)
    result['md5sum'] = digest(dest, 'md5')
    if backup_file:
        result['backup_file'] = backup_file
    raise Exit(msg=info.get('msg', ''), status_code=info.get('status', ''), **result)

TEMPS = []
try:
    run_main(main)
finally:
    for temp in TEMPS:
        if os.path.exists(temp):
            os.remove(temp)
`;

const args = Type.Object(
  {
    url: Type.String({ minLength: 1, description: 'http, https, ftp or file URL' }),
    dest: Type.String({ minLength: 1, description: 'the file to write, or a directory (the file gets the server\'s or the URL\'s name)' }),
    backup: Type.Optional(Type.Boolean({ default: false })),
    checksum: Type.Optional(Type.String({ default: '', description: 'algorithm:hex digest, or algorithm:URL of a checksum file' })),
    force: Type.Optional(Type.Boolean({ default: false, description: 'download even when dest exists (and replace it when the content differs)' })),
    timeout: Type.Optional(Type.Integer({ default: 10 })),
    headers: Type.Optional(Dict()),
    tmp_dest: Type.Optional(Type.String({ description: 'the directory the download goes to before it is moved to dest' })),
    url_username: Type.Optional(Type.String()),
    url_password: Type.Optional(Type.String()),
    force_basic_auth: Type.Optional(Type.Boolean({ default: false })),
    validate_certs: Type.Optional(Type.Boolean({ default: true })),
    use_proxy: Type.Optional(Type.Boolean({ default: true })),
    http_agent: Type.Optional(Type.String({ default: 'ansible-httpget' })),
    unredirected_headers: Type.Optional(List(Type.String(), { default: [] })),
    decompress: Type.Optional(Type.Boolean({ default: true })),
    ciphers: Type.Optional(List(Type.String())),
    use_netrc: Type.Optional(Type.Boolean({ default: true })),
    client_cert: Type.Optional(Type.String()),
    client_key: Type.Optional(Type.String()),
    ...fileAttributeArgs,
  },
  { additionalProperties: false },
);

/** Runs one of the host programs (PROGRAM here, unarchive's) and reads its JSON result, the last line it prints. */
export async function runHostProgram(ctx: ModuleContext, program: string, stdin: string | Uint8Array, timeoutMs: number, what: string): Promise<ModuleResult> {
  const run = await ctx.connection.run({ python: program }, { stdin, timeoutMs, ...(ctx.become ? { become: ctx.become } : {}), env: ctx.environment });
  const last = run.stdout.trimEnd().split('\n').pop() ?? '';
  let result: Record<string, unknown>;
  try {
    result = JSON.parse(last) as Record<string, unknown>;
  } catch {
    return { changed: false, failed: true, msg: `${what} could not run python3 on the host: ${run.stderr.trim() || `exit code ${run.rc}`}` };
  }
  return { changed: false, ...result };
}

/** The file attributes as Ansible's module takes them (an integer mode stays a number, a string is octal or symbolic). */
export function attributesOf(a: { mode?: string | number; owner?: string; group?: string }): Record<string, string | number> {
  return { ...(a.mode !== undefined ? { mode: a.mode } : {}), ...(a.owner !== undefined ? { owner: a.owner } : {}), ...(a.group !== undefined ? { group: a.group } : {}) };
}

export default defineModule({
  name: 'get_url',
  aliases: ['ansible.builtin.get_url', 'ansible.legacy.get_url'],
  description: 'Download a file from an HTTP, HTTPS, FTP or file URL on the host',
  argAliases: { username: 'url_username', password: 'url_password', thirsty: 'force' },
  args,
  async run(a, ctx) {
    const timeout = a.timeout ?? 10;
    const request = {
      url: a.url, dest: a.dest, backup: a.backup ?? false, checksum: a.checksum ?? '', force: a.force ?? false, timeout,
      headers: Object.fromEntries(Object.entries(a.headers ?? {}).map(([k, v]) => [k, String(v)])), tmp_dest: a.tmp_dest ?? '',
      url_username: a.url_username ?? null, url_password: a.url_password ?? null, force_basic_auth: a.force_basic_auth ?? false,
      validate_certs: a.validate_certs ?? true, use_proxy: a.use_proxy ?? true, http_agent: a.http_agent ?? 'ansible-httpget',
      unredirected_headers: a.unredirected_headers ?? [], decompress: a.decompress ?? true, ciphers: a.ciphers ?? null,
      use_netrc: a.use_netrc ?? true, client_cert: a.client_cert ?? null, client_key: a.client_key ?? null,
      attributes: attributesOf(a), check_mode: ctx.check,
    };
    // two requests at most (a checksum file, then the file), each bounded by `timeout` while waiting, plus the copy
    return runHostProgram(ctx, PROGRAM, `${JSON.stringify(request)}\n`, (2 * timeout + 120) * 1000, 'get_url');
  },
});

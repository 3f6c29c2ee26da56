/**
 * ansible.builtin.unarchive: a tar (plain, gz, bz2, xz, zst) or zip archive unpacked into an existing directory
 * on the host, as Ansible 2.14's action plugin and module do it: the archive comes from the controller (sent on
 * standard input, verified by size and SHA-256, into a private temp directory), or is on the host already
 * (`remote_src`), or is downloaded by the host (`remote_src` and a URL). Whether to unpack is Ansible's test:
 * GNU tar's `--diff` against dest, or zipinfo's listing compared file by file (type, mtime, size, CRC32, mode,
 * owner); then mode/owner/group on every listed path. `creates` skips the task; check mode reports for zip and
 * is skipped for tar, as in Ansible; zip's itemized changes are the result's `diff.prepared`.
 *
 * Round trips: 1, changed or not: one Python program does the action's and the module's host work.
 */
import { Type } from '@sinclair/typebox';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { List } from './args.js';
import { fileAttributeArgs } from './file-state.js';
import { attributesOf, HOST_COMMON_PY, runHostProgram } from './get_url.js';
import { defineModule } from './module.js';

/** The action plugin's checks (no path info in their results), then unarchive.py's main() and handlers. */
const PROGRAM = HOST_COMMON_PY + String.raw`
import binascii, codecs, fnmatch, platform, subprocess
from shlex import quote
stdin = sys.stdin.buffer
p = json.loads(stdin.readline())
CHECK = p['check_mode']
TMP = tempfile.mkdtemp(prefix='typebook-unarchive-')

class ActionResult(Exception):
    """What the action plugin answers itself (AnsibleActionFail/Skip): the fields alone."""
    def __init__(self, **fields):
        Exception.__init__(self)
        self.fields = fields

class UnarchiveError(Exception):
    pass

OWNER_DIFF_RE = re.compile(r': Uid differs$')
GROUP_DIFF_RE = re.compile(r': Gid differs$')
MODE_DIFF_RE = re.compile(r': Mode differs$')
MOD_TIME_DIFF_RE = re.compile(r': Mod time differs$')
EMPTY_FILE_RE = re.compile(r': : Warning: Cannot stat: No such file or directory$')
MISSING_FILE_RE = re.compile(r': Warning: Cannot stat: No such file or directory$')
ZIP_FILE_MODE_RE = re.compile(r'([r-][w-][SsTtx-]){3}')
INVALID_OWNER_RE = re.compile(r': Invalid owner')
INVALID_GROUP_RE = re.compile(r': Invalid group')

def get_bin_path(name):
    found = shutil.which(name, path=os.pathsep.join(os.environ.get('PATH', '').split(os.pathsep) + ['/sbin', '/usr/sbin', '/usr/local/sbin']))
    if not found:
        raise ValueError(name)
    return found

def run_command(cmd, cwd=None, environ_update=None):
    env = dict(os.environ, **(environ_update or {}))
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return proc.returncode, proc.stdout.decode('utf-8', 'surrogateescape'), proc.stderr.decode('utf-8', 'surrogateescape')

def best_locale():
    try:
        rc, out, err = run_command(['locale', '-a'])
    except OSError:
        return 'C'
    available = out.strip().splitlines() if rc == 0 else []
    return next((l for l in ('C.utf8', 'C.UTF-8', 'en_US.utf8', 'en_US.UTF-8', 'C', 'POSIX') if l in available), 'C')

def crc32(path, buffer_size):
    crc = binascii.crc32(b'')
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(buffer_size), b''):
            crc = binascii.crc32(block, crc)
    return crc & 0xffffffff

class ZipArchive(object):
    binaries = (('unzip', 'cmd_path'), ('zipinfo', 'zipinfo_cmd_path'))
    zipinfoflag = ''
    def __init__(self, src, dest, file_args):
        self.src, self.b_dest, self.file_args = src, dest, file_args
        self.opts = p['extra_opts']
        self.io_buffer_size = p['io_buffer_size']
        self.excludes = list(p['exclude'])
        self.includes = []
        self.include_files = p['include']
        self._files_in_archive = []
        self._infodict = {}
    def _permstr_to_octal(self, modestr, umask):
        revstr = modestr[::-1]
        mode = 0
        for j in range(0, 3):
            for i in range(0, 3):
                if revstr[i + 3 * j] in ['r', 'w', 'x', 's', 't']:
                    mode += 2 ** (i + 3 * j)
        return mode & ~umask
    def _crc32(self, path):
        if not self._infodict:
            from zipfile import ZipFile
            with ZipFile(self.src) as archive:
                for item in archive.infolist():
                    self._infodict[item.filename] = int(item.CRC)
        return self._infodict[path]
    @property
    def files_in_archive(self):
        if self._files_in_archive:
            return self._files_in_archive
        from zipfile import ZipFile
        try:
            with ZipFile(self.src) as archive:
                for member in archive.namelist():
                    if self.include_files:
                        for include in self.include_files:
                            if fnmatch.fnmatch(member, include):
                                self._files_in_archive.append(member)
                    elif not any(fnmatch.fnmatch(member, exclude) for exclude in self.excludes):
                        self._files_in_archive.append(member)
        except Exception as e:
            raise UnarchiveError('Unable to list files in the archive: %s' % e)
        return self._files_in_archive
    def is_unarchived(self):
        cmd = [self.zipinfo_cmd_path] + ([self.zipinfoflag] if self.zipinfoflag else []) + ['-T', '-s', self.src]
        if self.excludes:
            cmd.extend(['-x'] + self.excludes)
        if self.include_files:
            cmd.extend(self.include_files)
        rc, old_out, err = run_command(cmd)
        diff = ''
        out = ''
        unarchived = rc == 0
        umask = os.umask(0)
        os.umask(umask)
        systemtype = platform.system()
        groups = os.getgroups()
        run_uid, run_gid = os.getuid(), os.getgid()
        try:
            run_owner = pwd.getpwuid(run_uid).pw_name
        except (TypeError, KeyError):
            run_owner = run_uid
        try:
            run_group = grp.getgrgid(run_gid).gr_name
        except (KeyError, ValueError, OverflowError):
            run_group = run_gid
        if self.file_args['owner']:
            try:
                tpw = pwd.getpwnam(self.file_args['owner'])
            except KeyError:
                try:
                    tpw = pwd.getpwuid(int(self.file_args['owner']))
                except (TypeError, KeyError, ValueError):
                    tpw = pwd.getpwuid(run_uid)
            fut_owner, fut_uid = tpw.pw_name, tpw.pw_uid
        else:
            fut_owner, fut_uid = run_owner, run_uid
        if self.file_args['group']:
            try:
                tgr = grp.getgrnam(self.file_args['group'])
            except (ValueError, KeyError):
                try:
                    tgr = grp.getgrgid(int(self.file_args['group']))
                except (KeyError, ValueError, OverflowError):
                    tgr = grp.getgrgid(run_gid)
            fut_group, fut_gid = tgr.gr_name, tgr.gr_gid
        else:
            fut_group, fut_gid = run_group, run_gid
        for line in old_out.splitlines():
            change = False
            pcs = line.split(None, 7)
            if len(pcs) != 8 or len(pcs[0]) not in (7, 10) or len(pcs[6]) != 15:
                continue
            if pcs[0][0] not in 'dl-?' or not frozenset(pcs[0][1:]).issubset('rwxstah-'):
                continue
            ztype, permstr, size, path = pcs[0][0], pcs[0][1:], int(pcs[3]), pcs[7]
            if path in self.excludes:
                out += 'Path %s is excluded on request\n' % path
                continue
            if path[-1] == '/':
                if ztype != 'd':
                    err += 'Path %s incorrectly tagged as "%s", but is a directory.\n' % (path, ztype)
                ftype = 'd'
            elif ztype == 'l':
                ftype = 'L'
            else:
                ftype = 'f'
            if len(permstr) == 6:
                if path[-1] == '/' or permstr == 'rwx---':
                    permstr = 'rwxrwxrwx'
                else:
                    permstr = 'rw-rw-rw-'
                file_umask = umask
            elif 'bsd' in systemtype.lower():
                file_umask = umask
            else:
                file_umask = 0
            if len(permstr) != 9 or not ZIP_FILE_MODE_RE.match(permstr):
                raise UnarchiveError('ZIP info perm format incorrect, %s' % permstr)
            b_dest = os.path.join(self.b_dest, path)
            try:
                st = os.lstat(b_dest)
            except Exception:
                self.includes.append(path)
                err += 'Path %s is missing\n' % path
                diff += '>%s++++++.?? %s\n' % (ftype, path)
                continue
            if ftype == 'd' and not stat.S_ISDIR(st.st_mode):
                self.includes.append(path)
                err += 'File %s already exists, but not as a directory\n' % path
                diff += 'c%s++++++.?? %s\n' % (ftype, path)
                continue
            if ftype == 'f' and not stat.S_ISREG(st.st_mode):
                unarchived = False
                self.includes.append(path)
                err += 'Directory %s already exists, but not as a regular file\n' % path
                diff += 'c%s++++++.?? %s\n' % (ftype, path)
                continue
            if ftype == 'L' and not stat.S_ISLNK(st.st_mode):
                self.includes.append(path)
                err += 'Directory %s already exists, but not as a symlink\n' % path
                diff += 'c%s++++++.?? %s\n' % (ftype, path)
                continue
            itemized = list('.%s.......??' % ftype)
            timestamp = time.mktime(datetime.datetime(*(time.strptime(pcs[6], '%Y%m%d.%H%M%S')[0:6])).timetuple())
            if stat.S_ISREG(st.st_mode):
                if p['keep_newer']:
                    if timestamp > st.st_mtime:
                        change = True
                        self.includes.append(path)
                        err += 'File %s is older, replacing file\n' % path
                        itemized[4] = 't'
                    elif timestamp < st.st_mtime:
                        out += 'File %s is newer, excluding file\n' % path
                        self.excludes.append(path)
                        continue
                elif timestamp != st.st_mtime:
                    change = True
                    self.includes.append(path)
                    err += 'File %s differs in mtime (%f vs %f)\n' % (path, timestamp, st.st_mtime)
                    itemized[4] = 't'
            if stat.S_ISREG(st.st_mode) and size != st.st_size:
                change = True
                err += 'File %s differs in size (%d vs %d)\n' % (path, size, st.st_size)
                itemized[3] = 's'
            if stat.S_ISREG(st.st_mode):
                crc = crc32(b_dest, self.io_buffer_size)
                if crc != self._crc32(path):
                    change = True
                    err += 'File %s differs in CRC32 checksum (0x%08x vs 0x%08x)\n' % (path, self._crc32(path), crc)
                    itemized[2] = 'c'
            if ftype != 'L':
                mode = self.file_args['mode']
                if mode:
                    if not isinstance(mode, int):
                        try:
                            mode = int(mode, 8)
                        except ValueError:
                            try:
                                mode = symbolic_mode(st, mode)
                            except ValueError as e:
                                raise Fail(path=path, msg=str(e))
                elif ztype == '?':
                    mode = self._permstr_to_octal(permstr, 0)
                else:
                    mode = self._permstr_to_octal(permstr, file_umask)
                if mode != stat.S_IMODE(st.st_mode):
                    change = True
                    itemized[5] = 'p'
                    err += 'Path %s differs in permissions (%o vs %o)\n' % (path, mode, stat.S_IMODE(st.st_mode))
            owner = uid = None
            try:
                owner = pwd.getpwuid(st.st_uid).pw_name
            except (TypeError, KeyError):
                uid = st.st_uid
            if run_uid != 0 and (fut_owner != run_owner or fut_uid != run_uid):
                raise UnarchiveError('Cannot change ownership of %s to %s, as user %s' % (path, fut_owner, run_owner))
            if owner and owner != fut_owner:
                change = True
                err += 'Path %s is owned by user %s, not by user %s as expected\n' % (path, owner, fut_owner)
                itemized[6] = 'o'
            elif uid and uid != fut_uid:
                change = True
                err += 'Path %s is owned by uid %s, not by uid %s as expected\n' % (path, uid, fut_uid)
                itemized[6] = 'o'
            group = gid = None
            try:
                group = grp.getgrgid(st.st_gid).gr_name
            except (KeyError, ValueError, OverflowError):
                gid = st.st_gid
            if run_uid != 0 and (fut_group != run_group or fut_gid != run_gid) and fut_gid not in groups:
                raise UnarchiveError('Cannot change group ownership of %s to %s, as user %s' % (path, fut_group, run_owner))
            if group and group != fut_group:
                change = True
                err += 'Path %s is owned by group %s, not by group %s as expected\n' % (path, group, fut_group)
                itemized[6] = 'g'
            elif gid and gid != fut_gid:
                change = True
                err += 'Path %s is owned by gid %s, not by gid %s as expected\n' % (path, gid, fut_gid)
                itemized[6] = 'g'
            if change:
                if path not in self.includes:
                    self.includes.append(path)
                diff += '%s %s\n' % (''.join(itemized), path)
        if self.includes:
            unarchived = False
        return dict(unarchived=unarchived, rc=rc, out=out, err=err, cmd=cmd, diff=diff)
    def unarchive(self):
        cmd = [self.cmd_path, '-o'] + list(self.opts) + [self.src]
        if self.excludes:
            cmd.extend(['-x'] + self.excludes)
        if self.include_files:
            cmd.extend(self.include_files)
        cmd.extend(['-d', self.b_dest])
        rc, out, err = run_command(cmd)
        return dict(cmd=cmd, rc=rc, out=out, err=err)
    def can_handle_archive(self):
        missing = []
        for name, attr in self.binaries:
            try:
                setattr(self, attr, get_bin_path(name))
            except ValueError:
                missing.append(name)
        if missing:
            return False, "Unable to find required '{missing}' binary in the path.".format(missing="' or '".join(missing))
        rc, out, err = run_command([self.cmd_path, '-l', self.src])
        if rc == 0:
            return True, None
        return False, 'Command "%s" could not handle archive: %s' % (self.cmd_path, err)

class ZipZArchive(ZipArchive):
    binaries = (('unzip', 'cmd_path'), ('unzip', 'zipinfo_cmd_path'))
    zipinfoflag = '-Z'
    def can_handle_archive(self):
        available, error_msg = ZipArchive.can_handle_archive(self)
        if not available:
            return available, error_msg
        rc, out, err = run_command([self.zipinfo_cmd_path, self.zipinfoflag])
        if 'zipinfo' in out.lower():
            return True, None
        return False, 'Command "unzip -Z" could not handle archive: %s' % err

class TgzArchive(object):
    zipflag = '-z'
    def __init__(self, src, dest, file_args):
        self.src, self.b_dest, self.file_args = src, dest, file_args
        self.opts = p['extra_opts']
        if CHECK:
            raise Exit(skipped=True, msg='remote module (%s) does not support check mode when using gtar' % p['module_name'])
        self.excludes = [path.rstrip('/') for path in p['exclude']]
        self.include_files = p['include']
        self.cmd_path = None
        self._files_in_archive = []
    def _command(self, action):
        cmd = [self.cmd_path, action, '-C', self.b_dest]
        if self.zipflag:
            cmd.append(self.zipflag)
        if self.opts:
            cmd.extend(['--show-transformed-names'] + self.opts)
        if action != '--list':
            if self.file_args['owner']:
                cmd.append('--owner=' + quote(self.file_args['owner']))
            if self.file_args['group']:
                cmd.append('--group=' + quote(self.file_args['group']))
            if p['keep_newer']:
                cmd.append('--keep-newer-files')
        if self.excludes:
            cmd.extend(['--exclude=' + f for f in self.excludes])
        cmd.extend(['-f', self.src])
        if self.include_files:
            cmd.extend(self.include_files)
        locale = best_locale()
        rc, out, err = run_command(cmd, cwd=self.b_dest, environ_update=dict(LANG=locale, LC_ALL=locale, LC_MESSAGES=locale, LANGUAGE=locale))
        return cmd, rc, out, err
    @property
    def files_in_archive(self):
        if self._files_in_archive:
            return self._files_in_archive
        cmd, rc, out, err = self._command('--list')
        if rc != 0:
            raise UnarchiveError('Unable to list files in the archive: %s' % err)
        for filename in out.splitlines():
            # gtar prints non-ASCII names as octal escapes in some locales
            filename = codecs.escape_decode(filename)[0].decode('utf-8', 'surrogateescape')
            if filename.startswith('/'):
                filename = filename[1:]
            if not any(fnmatch.fnmatch(filename, exclude) for exclude in self.excludes):
                self._files_in_archive.append(filename)
        return self._files_in_archive
    def is_unarchived(self):
        cmd, rc, old_out, err = self._command('--diff')
        out = ''
        run_uid = os.getuid()
        for line in old_out.splitlines() + err.splitlines():
            if EMPTY_FILE_RE.search(line):
                continue
            if run_uid == 0 and not self.file_args['owner'] and OWNER_DIFF_RE.search(line):
                out += line + '\n'
            if run_uid == 0 and not self.file_args['group'] and GROUP_DIFF_RE.search(line):
                out += line + '\n'
            if not self.file_args['mode'] and MODE_DIFF_RE.search(line):
                out += line + '\n'
            for regex in (MOD_TIME_DIFF_RE, MISSING_FILE_RE, INVALID_OWNER_RE, INVALID_GROUP_RE):
                if regex.search(line):
                    out += line + '\n'
        return dict(unarchived=not out, rc=rc, out=out, err=err, cmd=cmd)
    def unarchive(self):
        cmd, rc, out, err = self._command('--extract')
        return dict(cmd=cmd, rc=rc, out=out, err=err)
    def can_handle_archive(self):
        try:
            self.cmd_path = get_bin_path('gtar')
        except ValueError:
            try:
                self.cmd_path = get_bin_path('tar')
            except ValueError:
                return False, "Unable to find required 'gtar' or 'tar' binary in the path"
        rc, out, err = run_command([self.cmd_path, '--version'])
        tar_type = 'bsd' if out.startswith('bsdtar') else 'gnu' if out.startswith('tar') and 'GNU' in out else None
        if tar_type != 'gnu':
            return False, 'Command "%s" detected as tar type %s. GNU tar required.' % (self.cmd_path, tar_type)
        try:
            if self.files_in_archive:
                return True, None
        except UnarchiveError as e:
            return False, 'Command "%s" could not handle archive: %s' % (self.cmd_path, e)
        return False, 'Command "%s" found no files in archive. Empty archive files are not supported.' % self.cmd_path

class TarArchive(TgzArchive):
    zipflag = ''

class TarBzipArchive(TgzArchive):
    zipflag = '-j'

class TarXzArchive(TgzArchive):
    zipflag = '-J'

class TarZstdArchive(TgzArchive):
    zipflag = '--use-compress-program=zstd'

def pick_handler(src, dest, file_args):
    reasons = set()
    for handler in (ZipArchive, ZipZArchive, TgzArchive, TarArchive, TarBzipArchive, TarXzArchive, TarZstdArchive):
        obj = handler(src, dest, file_args)
        can_handle, reason = obj.can_handle_archive()
        if can_handle:
            return obj
        reasons.add(reason)
    raise Fail(msg='Failed to find handler for "%s". Make sure the required command to extract the file is installed.\n%s' % (src, '\n'.join(reasons)))

def split_multiext(name):
    """urls.py's _split_multiext(count=2): the name and its last one or two 3- or 4-character suffixes ('.tar.gz')."""
    suffixes = [] if name.endswith('.') else ['.' + s for s in name.lstrip('.').split('.')[1:]]
    extension = ''
    for i, sfx in enumerate(reversed(suffixes)):
        if i >= 2 or not 3 <= len(sfx) <= 4:
            break
        extension = sfx + extension
    return (name[:-len(extension)], extension) if extension else (name, '')

def fetch_file(url):
    prefix, ext = split_multiext(os.path.basename(urllib.parse.urlparse(url).path))
    fd, name = tempfile.mkstemp(dir=TMP, prefix=prefix, suffix=ext)
    try:
        rsp, info = fetch_url(dict(p, timeout=10, http_agent='ansible-httpget'), url)
        if not rsp:
            raise Fail(msg='Failure downloading %s, %s' % (url, info['msg']))
        with os.fdopen(fd, 'wb') as f:
            for block in iter(lambda: rsp.read(65536), b''):
                f.write(block)
    except Fail:
        raise
    except Exception as e:
        raise Fail(msg='Failure downloading %s, %s' % (url, e))
    return name

def action():
    """The action plugin on the host: creates, the controller's file, dest."""
    if p['creates']:
        creates = os.path.expanduser(p['creates'])
        if os.path.exists(creates):
            raise ActionResult(changed=False, skipped=True, msg='skipped, since %s exists' % creates)
    # AnsibleActionFail's result carries traceback.format_exc() of no exception at all: 'NoneType: None'
    if p['local_missing']:
        raise ActionResult(changed=False, failed=True, msg=p['local_missing'], exception='NoneType: None\n')
    dest = os.path.expanduser(p['dest'])
    if not os.path.isdir(dest):
        raise ActionResult(changed=False, failed=True, msg="dest '%s' must be an existing dir" % dest, exception='NoneType: None\n')
    src = p['src']
    if not p['remote_src']:
        src = os.path.join(TMP, 'source')
        sha = hashlib.sha256()
        size = 0
        with open(src, 'wb') as f:
            for block in iter(lambda: stdin.read(65536), b''):
                f.write(block)
                sha.update(block)
                size += len(block)
        # the end of the input cannot be told from a cut connection: only a complete, intact archive is unpacked
        if size != p['size'] or sha.hexdigest() != p['sha256']:
            raise ActionResult(changed=False, failed=True, msg='typebook: the archive arrived damaged or cut (%d of %d bytes); nothing was unpacked' % (size, p['size']))
    module(src)

def module(src):
    src = os.path.expanduser(os.path.expandvars(src))
    dest = os.path.expanduser(os.path.expandvars(p['dest']))
    file_args = dict(path=dest, mode=p['attributes'].get('mode'), owner=p['attributes'].get('owner'), group=p['attributes'].get('group'))
    if not os.path.exists(src):
        if not p['remote_src']:
            raise Fail(msg="Source '%s' failed to transfer" % src)
        elif '://' in src:
            src = fetch_file(src)
        else:
            raise Fail(msg="Source '%s' does not exist" % src)
    if not os.access(src, os.R_OK):
        raise Fail(msg="Source '%s' not readable" % src)
    try:
        if os.path.getsize(src) == 0:
            raise Fail(msg="Invalid archive '%s', the file is 0 bytes" % src)
    except OSError as e:
        raise Fail(msg="Source '%s' not readable, %s" % (src, e))
    if not os.path.isdir(dest):
        raise Fail(msg="Destination '%s' is not a directory" % dest)
    handler = pick_handler(src, dest, file_args)
    res_args = dict(handler=handler.__class__.__name__, dest=dest, src=src)
    check_results = handler.is_unarchived()
    if CHECK:
        res_args['changed'] = not check_results['unarchived']
    elif check_results['unarchived']:
        res_args['changed'] = False
    else:
        try:
            res_args['extract_results'] = handler.unarchive()
            if res_args['extract_results']['rc'] != 0:
                raise Fail(msg='failed to unpack %s to %s' % (src, dest), **res_args)
        except IOError:
            raise Fail(msg='failed to unpack %s to %s' % (src, dest), **res_args)
        res_args['changed'] = True
    if check_results.get('diff', False):
        res_args['diff'] = {'prepared': check_results['diff']}
    if not CHECK:
        top_folders = []
        for filename in handler.files_in_archive:
            try:
                res_args['changed'] = set_fs_attributes(os.path.join(dest, filename), file_args, res_args['changed'], False)
            except OSError as e:
                raise Fail(msg='Unexpected error when accessing exploded file: %s' % e, **res_args)
            if '/' in filename:
                top = filename.split('/')[0]
                if top not in top_folders:
                    top_folders.append(top)
        for top in top_folders:
            try:
                res_args['changed'] = set_fs_attributes('%s/%s' % (dest, top), file_args, res_args['changed'], False)
            except OSError as e:
                raise Fail(msg='Unexpected error when accessing exploded file: %s' % e, **res_args)
    if p['list_files']:
        res_args['files'] = handler.files_in_archive
    raise Exit(**res_args)

try:
    try:
        run_main(action)
    except ActionResult as e:
        sys.stdout.write('\n' + json.dumps(e.fields) + '\n')
finally:
    shutil.rmtree(TMP, ignore_errors=True)
`;

const args = Type.Object(
  {
    src: Type.String({ minLength: 1, description: "the archive: on the controller (searched in files/), on the host with remote_src, or a URL with remote_src" }),
    dest: Type.String({ minLength: 1, description: 'the existing directory to unpack into' }),
    remote_src: Type.Optional(Type.Boolean({ default: false })),
    copy: Type.Optional(Type.Boolean({ description: 'deprecated: the opposite of remote_src' })),
    creates: Type.Optional(Type.String({ description: 'a path that, when it exists, skips the task' })),
    list_files: Type.Optional(Type.Boolean({ default: false })),
    keep_newer: Type.Optional(Type.Boolean({ default: false })),
    exclude: Type.Optional(List(Type.String(), { default: [] })),
    include: Type.Optional(List(Type.String(), { default: [] })),
    extra_opts: Type.Optional(List(Type.String(), { default: [] })),
    validate_certs: Type.Optional(Type.Boolean({ default: true })),
    io_buffer_size: Type.Optional(Type.Integer({ minimum: 1, default: 65536 })),
    decrypt: Type.Optional(Type.Boolean({ default: true })),
    ...fileAttributeArgs,
  },
  { additionalProperties: false },
);

export default defineModule({
  name: 'unarchive',
  aliases: ['ansible.builtin.unarchive', 'ansible.legacy.unarchive'],
  description: 'Unpack a tar or zip archive (from the controller, the host or a URL) into a directory on the host',
  args,
  rules: { mutually_exclusive: [['include', 'exclude'], ['copy', 'remote_src']] },
  async run(a, ctx) {
    const remoteSrc = a.copy !== undefined ? !a.copy : (a.remote_src ?? false);
    let data = Buffer.alloc(0);
    let localMissing = '';
    if (!remoteSrc) {
      // read here, refused on the host after `creates` (which the action plugin checks first)
      const local = ctx.findFile('files', a.src);
      try {
        data = await readFile(local);
      } catch {
        localMissing = `Could not find or access '${a.src}' on the Ansible Controller.`;
      }
    }
    const request = {
      src: a.src, dest: a.dest, remote_src: remoteSrc, creates: a.creates ?? '', list_files: a.list_files ?? false, keep_newer: a.keep_newer ?? false,
      exclude: a.exclude ?? [], include: a.include ?? [], extra_opts: a.extra_opts ?? [], validate_certs: a.validate_certs ?? true,
      io_buffer_size: a.io_buffer_size ?? 65536, attributes: attributesOf(a), check_mode: ctx.check, module_name: 'ansible.legacy.unarchive',
      local_missing: localMissing, size: data.length, sha256: createHash('sha256').update(data).digest('hex'),
    };
    // zip's itemized changes stay in the result as Ansible registers them ({prepared: ...}), --diff or not
    return runHostProgram(ctx, PROGRAM, Buffer.concat([Buffer.from(`${JSON.stringify(request)}\n`), data]), 600_000, 'unarchive');
  },
});

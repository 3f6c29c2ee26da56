/**
 * ansible.builtin.user: a user account present or absent, as ansible-core 2.14's module manages it on Linux
 * (its generic User class): useradd / usermod / userdel, or with `local` libuser's luseradd / lusermod /
 * luserdel with lchage and lgroupmod; the account looked up through NSS (pwd, grp, getspnam), or in
 * /etc/passwd itself with `local`. It handles what Ansible's does there: uid (non_unique), primary group and
 * groups (append), comment, home (create_home, move_home, skeleton, umask), shell, password (a hash;
 * update_password always / on_create), password_lock, expires, password_expire_min/max (chage), system,
 * seuser, remove and force on removal, and generate_ssh_key (ssh-keygen with ssh_key_type, _bits, _file,
 * _comment, _passphrase). The results are Ansible's keys and values (name, state, uid, group, comment, home,
 * shell, groups, system, create_home, append, move_home, force, remove, password masked, stdout/stderr,
 * ssh_fingerprint, ssh_key_file, ssh_public_key), its warnings and its messages. Check mode reports what would
 * change and changes nothing; Ansible's module has no diff mode, neither has this one.
 *
 * The decisions are made here, on what a Python program read on the host (the same lookups as Ansible's
 * module); the host runs only the commands decided and the file work Ansible does itself (the home made from
 * the skeleton, chown of it, the .ssh directory, ssh-keygen answered through a pty for a passphrase).
 *
 * Round trips: 1 to read the account (all that an unchanged run or check mode needs); 1 more to change it and
 * read it again. What Ansible decides from the account as its command left it (a home still missing, the ssh
 * key, chage) takes one more after a useradd or usermod ran, when there is such work to do.
 */
import { Type } from '@sinclair/typebox';
import { List, StringEnum } from './args.js';
import { AccountFailure, failJson, putOutput, requireBin, runAccountsProgram, unsupportedSystem, type CommandRun, type Tools } from './accounts.js';
import { defineModule, type ModuleContext, type ModuleResult } from './module.js';

const TOOLS = ['useradd', 'usermod', 'userdel', 'luseradd', 'lusermod', 'luserdel', 'lgroupmod', 'lchage', 'chage', 'ssh-keygen'] as const;
const PASSWORD_FILE = '/etc/passwd';

/*
 * Input {name, local, lookups, home, sshFile, usermod, steps}. The steps first (see Step), each one's outcome
 * in `ran` (null: not run); then the account read as Ansible's module reads it (UserState).
 */
const PROGRAM = String.raw`
import ctypes, ctypes.util, pty, re, select, shutil, socket, time
p = json.load(sys.stdin)
name = p['name']
class Spwd(ctypes.Structure):
    _fields_ = [('sp_namp', ctypes.c_char_p), ('sp_pwdp', ctypes.c_char_p), ('sp_lstchg', ctypes.c_long), ('sp_min', ctypes.c_long),
                ('sp_max', ctypes.c_long), ('sp_warn', ctypes.c_long), ('sp_inact', ctypes.c_long), ('sp_expire', ctypes.c_long), ('sp_flag', ctypes.c_ulong)]
try:
    libc = ctypes.cdll.LoadLibrary(ctypes.util.find_library('c'))
    libc.getspnam.argtypes = (ctypes.c_char_p,)
    libc.getspnam.restype = ctypes.POINTER(Spwd)
except (AttributeError, OSError):
    libc = None
def shadow():
    # getspnam as Ansible calls it through ctypes: NULL (no entry, or not allowed to read it) is no answer
    if libc is None:
        return None
    try:
        s = libc.getspnam(name.encode('utf-8', 'surrogateescape')).contents
    except ValueError:
        return None
    return {'pwdp': text(s.sp_pwdp or b''), 'expire': s.sp_expire, 'min': s.sp_min, 'max': s.sp_max}
def group_info(g):
    # Ansible's group_info: the group as a gid first, then as a name
    try:
        x = grp.getgrgid(int(g))
    except (ValueError, KeyError, OverflowError):
        try:
            x = grp.getgrnam(g)
        except KeyError:
            return None
    return {'name': x.gr_name, 'gid': x.gr_gid}
def has_append(tool):
    if tool is None or not os.access(tool, os.X_OK):
        return False
    r = run([tool, '--help'])
    return any(line.strip().startswith('-a, --append') for line in (r['out'] + r['err']).split('\n'))
def version_id():
    for f in ('/etc/os-release', '/usr/lib/os-release'):
        if os.path.isfile(f):
            with open(f) as h:
                for line in h:
                    if line.startswith('VERSION_ID='):
                        return line[11:].strip().strip('"\'')
            return ''
    return ''
def read():
    st = tools(${JSON.stringify(TOOLS)})
    st.update(os=os.uname().sysname, osId=os_id(), versionId=version_id(), hostname=socket.gethostname(),
              redhat=os.path.exists('/etc/redhat-release'), suse=os.path.exists('/etc/SuSE-release'))
    st['passwdFile'] = os.path.exists('${PASSWORD_FILE}')
    st['localEntry'] = bool(p['local']) and st['passwdFile'] and local_entry('${PASSWORD_FILE}', name)
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        pw = None
    st['pw'] = None if pw is None else {'passwd': pw.pw_passwd, 'uid': pw.pw_uid, 'gid': pw.pw_gid, 'gecos': pw.pw_gecos, 'dir': pw.pw_dir, 'shell': pw.pw_shell}
    st['sp'] = shadow()
    st['membership'] = [{'name': g.gr_name, 'gid': g.gr_gid} for g in grp.getgrall() if name in g.gr_mem] if pw else []
    st['lookups'] = dict((g, group_info(g)) for g in p['lookups'])
    if p['home'] is not None:
        st['homeArg'] = {'exists': os.path.exists(p['home']), 'parentIsDir': os.path.isdir(os.path.dirname(p['home']))}
    if pw is not None:
        st['pwHomeExists'] = os.path.exists(pw.pw_dir)
        if p['usermod'] is not None:
            st['usermodAppend'] = has_append(st['bins'][p['usermod']])
        if p['sshFile'] is not None:
            f = p['sshFile']
            key = f if os.path.isabs(f) else os.path.join(pw.pw_dir, f)
            ssh = {'path': key, 'dirExists': os.path.exists(os.path.dirname(key)), 'key': os.path.exists(key), 'pub': os.path.exists(key + '.pub'), 'publicKey': None, 'fingerprint': None}
            try:
                with open(key + '.pub') as h:
                    ssh['publicKey'] = h.read().strip()
            except IOError:
                pass
            if ssh['key'] and st['bins']['ssh-keygen']:
                ssh['fingerprint'] = run([st['bins']['ssh-keygen'], '-l', '-f', key])
            st['ssh'] = ssh
    return st
def ok():
    return {'rc': 0, 'out': '', 'err': ''}
def failure(msg):
    return {'rc': 1, 'out': '', 'err': msg}
def ids():
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        return None
    return pw.pw_uid, pw.pw_gid
def mkhome(path, skeleton):
    # Ansible's create_homedir: a copy of the skeleton (or an empty directory), its mode from login.defs' UMASK
    if os.path.exists(path):
        return ok()
    skel = skeleton if skeleton is not None else '/etc/skel'
    try:
        if os.path.exists(skel):
            shutil.copytree(skel, path, symlinks=True)
        else:
            os.makedirs(path)
        if os.path.exists('/etc/login.defs'):
            with open('/etc/login.defs') as f:
                for line in f:
                    m = re.match(r'^UMASK\s+(\d+)$', line)
                    if m:
                        os.chmod(path, 0o777 & ~int(m.group(1), 8))
    except OSError as e:
        return failure(str(e))
    return ok()
def chown_home(path):
    # Ansible's chown_homedir, to the account's ids as they are now (after useradd made it)
    u = ids()
    if u is None:
        return ok()
    try:
        os.chown(path, u[0], u[1])
        for root, dirs, files in os.walk(path):
            for d in dirs:
                os.chown(os.path.join(root, d), u[0], u[1])
            for f in files:
                os.chown(os.path.join(root, f), u[0], u[1])
    except OSError as e:
        return failure(str(e))
    return ok()
def ssh_dir(path):
    u = ids()
    try:
        os.mkdir(path, 0o700)
        os.chown(path, u[0], u[1])
    except OSError as e:
        return failure('Failed to create %s: %s' % (path, e))
    return ok()
def keygen_pty(argv, passphrase):
    # ssh-keygen asks twice on its terminal: answered on a pty, as Ansible answers it; bounded in time
    fds = [pty.openpty() for _ in range(3)]
    try:
        proc = subprocess.Popen(argv, stdin=fds[0][1], stdout=fds[1][1], stderr=fds[2][1], start_new_session=True)
    except OSError as e:
        return {'rc': 1, 'out': '', 'err': str(e)}
    for _, slave in fds:
        os.close(slave)
    out, err, answered = b'', b'', 0
    prompts = (b'Enter passphrase', b'Enter same passphrase again')
    deadline = time.time() + 120
    while proc.poll() is None and time.time() < deadline:
        for fd in select.select([fds[1][0], fds[2][0]], [], [], 1)[0]:
            try:
                chunk = os.read(fd, 10240)
            except OSError:
                chunk = b''
            if fd == fds[1][0]:
                out += chunk
            else:
                err += chunk
            seen = sum(1 for q in prompts if q in out + err)
            if seen > answered:
                os.write(fds[0][0], passphrase.encode('utf-8', 'surrogateescape') + b'\r')
                answered = seen
            if b'Overwrite (y/n)?' in out + err:
                proc.kill()
                proc.wait()
                # made meanwhile: Ansible's (None, 'Key already exists', '')
                return {'rc': None, 'out': 'Key already exists', 'err': ''}
    if proc.poll() is None:
        proc.kill()
        proc.wait()
        return {'rc': 1, 'out': text(out), 'err': 'ssh-keygen did not finish in 120 s'}
    for master, _ in fds:
        os.close(master)
    return {'rc': proc.returncode, 'out': text(out), 'err': text(err)}
def keygen(s):
    r = keygen_pty(s['argv'], s['passphrase']) if s.get('passphrase') is not None else run(s['argv'], s.get('data'))
    if r['rc'] == 0:
        u = ids()
        os.chown(s['key'], u[0], u[1])
        os.chown(s['key'] + '.pub', u[0], u[1])
    return r
def do(s):
    k = s['kind']
    if k == 'run':
        return run(s['argv'], s.get('data'))
    if k == 'mkhome':
        return mkhome(s['path'], s.get('skeleton'))
    if k == 'chown':
        return chown_home(s['path'])
    if k == 'sshdir':
        return ssh_dir(s['path'])
    if k == 'unlink':
        os.unlink(s['path'])
        return ok()
    return keygen(s)
ran, failed, fatal = [], False, False
for s in p['steps']:
    if fatal or (failed and not s.get('always')):
        ran.append(None)
        continue
    r = do(s)
    ran.append(r)
    if r['rc'] not in (0, None):
        if s['kind'] in ('mkhome', 'chown'):
            fatal = True
        else:
            failed = True
print(json.dumps({'ran': ran, 'state': read()}))
`;

export interface Passwd {
  passwd: string;
  uid: number;
  gid: number;
  gecos: string;
  dir: string;
  shell: string;
}

export interface Shadow {
  pwdp: string;
  expire: number;
  min: number;
  max: number;
}

interface GroupRef {
  name: string;
  gid: number;
}

export interface SshRead {
  path: string;
  dirExists: boolean;
  key: boolean;
  pub: boolean;
  publicKey: string | null;
  fingerprint: CommandRun | null;
}

/** What the program read on the host. */
export interface UserState extends Tools {
  os: string;
  osId: string;
  versionId: string;
  hostname: string;
  redhat: boolean;
  suse: boolean;
  passwdFile: boolean;
  /** with `local`: /etc/passwd has a line for the user */
  localEntry: boolean;
  pw: Passwd | null;
  sp: Shadow | null;
  /** the groups that list the user as a member */
  membership: GroupRef[];
  /** group_info() of each group the arguments name, and of the user's name */
  lookups: Readonly<Record<string, GroupRef | null>>;
  /** the `home` argument's path */
  homeArg?: { exists: boolean; parentIsDir: boolean };
  pwHomeExists?: boolean;
  /** usermod --help (lusermod with `local`) lists -a, --append */
  usermodAppend?: boolean;
  ssh?: SshRead;
}

/** One thing for the host to do; `always`: done even after a command before it failed. */
export type Step =
  | { kind: 'run'; argv: string[]; data?: string; always?: boolean }
  | { kind: 'mkhome'; path: string; skeleton: string | null }
  | { kind: 'chown'; path: string; always?: boolean }
  | { kind: 'sshdir'; path: string }
  | { kind: 'unlink'; path: string }
  | { kind: 'keygen'; argv: string[]; key: string; data?: string; passphrase?: string };

/** A step's outcome; rc null: ssh-keygen found a key made meanwhile (Ansible's None: nothing done) */
type StepRun = Omit<CommandRun, 'rc'> & { rc: number | null };
type Ran = (StepRun | null)[];

export interface UserArgs {
  name: string;
  state: 'present' | 'absent';
  uid?: number;
  non_unique: boolean;
  group?: string;
  groups?: string[];
  comment?: string;
  home?: string;
  shell?: string;
  password?: string;
  password_expire_max?: number;
  password_expire_min?: number;
  seuser?: string;
  force: boolean;
  remove: boolean;
  create_home: boolean;
  skeleton?: string;
  system: boolean;
  move_home: boolean;
  append: boolean;
  generate_ssh_key?: boolean;
  ssh_key_bits: number;
  ssh_key_type: string;
  ssh_key_file?: string;
  ssh_key_comment?: string;
  ssh_key_passphrase?: string;
  update_password: 'always' | 'on_create';
  expires?: number;
  password_lock?: boolean;
  local?: boolean;
  umask?: string;
}

/** time.gmtime(seconds)[:3] (UTC year, month, day), or undefined where Python's gmtime overflows. */
export function gmtimeDate(seconds: number): [number, number, number] | undefined {
  const days = Math.floor(Math.floor(seconds) / 86400);
  // days to civil date (proleptic Gregorian), exact for any day count a double holds
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  // struct tm's tm_year is an int of years since 1900
  if (year - 1900 > 2147483647 || year - 1900 < -2147483648) return undefined;
  return [year, month, day];
}

/** time.strftime('%Y-%m-%d', ...) */
function isoDate([y, m, d]: [number, number, number]): string {
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

const HASH_CHARS = /[^a-zA-Z0-9./=]/;

/** check_password_encrypted: whether Ansible warns that the password does not look hashed. */
export function looksUnhashed(password: string | undefined): boolean {
  if (!password || ['*', '!', '*************'].includes(password)) return false;
  let maybeInvalid = [':', '*', '!'].some((c) => password.includes(c));
  if (!password.includes('$')) return true;
  const fields = password.split('$');
  if (fields.length < 3) return true;
  const last = fields.at(-1)!;
  if (HASH_CHARS.test(last)) maybeInvalid = true;
  const lengths: Record<string, number> = { '1': 22, '5': 43, '6': 86 };
  const wanted = lengths[fields[1]!];
  if (wanted !== undefined && last.length !== wanted) maybeInvalid = true;
  return maybeInvalid;
}

/** The groups named in `groups` as Ansible splits them again: the items of its comma-joined string, stripped, the empty ones dropped. */
function groupItems(groups: string | undefined): string[] {
  if (groups === undefined) return [];
  return [...new Set(groups.split(',').filter((x) => x !== '').map((x) => x.trim()))];
}

/** What the read program needs to know: the groups to look up, the paths to test. */
export function readInput(args: UserArgs, steps: readonly Step[]): Record<string, unknown> {
  const groups = args.groups !== undefined ? args.groups.join(',') : undefined;
  const lookups = [...new Set([...(args.group !== undefined ? [args.group] : []), ...groupItems(groups), args.name])];
  return {
    name: args.name,
    local: args.local ?? false,
    lookups,
    home: args.home ?? null,
    sshFile: args.generate_ssh_key ? sshFile(args) : null,
    usermod: args.local ? 'lusermod' : 'usermod',
    steps,
  };
}

function sshFile(args: UserArgs): string {
  return args.ssh_key_file ?? `.ssh/id_${args.ssh_key_type}`;
}

/** A command sequence as Ansible's methods run it: rc of the last one run (null: none), their output joined. */
interface Sequence {
  steps: Step[];
  /** indexes of the steps whose output counts (the commands, not the file work around them) */
  commands: number[];
}

/** The outcome of a sequence's commands: rc (null when none ran), out and err joined. */
function outcome(seq: Sequence, ran: Ran | 'pretend', offset: number): { rc: number | null; out: string; err: string } {
  let rc: number | null = null;
  let out = '';
  let err = '';
  for (const i of seq.commands) {
    const r = ran === 'pretend' ? { rc: 0, out: '', err: '' } : ran[offset + i];
    if (r === null || r === undefined) break;
    rc = r.rc;
    out += r.out;
    err += r.err;
  }
  return { rc, out, err };
}

/**
 * Ansible's User object on a state read from the host; the module's methods decide on it. Each call to
 * user_exists() is made where Ansible makes it, so its warning about a local user not found comes as often.
 */
export class UserOnHost {
  constructor(readonly args: UserArgs, public state: UserState, readonly warnings: string[], readonly check: boolean) {}

  get groups(): string | undefined {
    return this.args.groups !== undefined ? this.args.groups.join(',') : undefined;
  }

  exists(): boolean {
    if (!this.args.local) return this.state.pw !== null;
    if (!this.state.passwdFile) throw failJson(`'local: true' specified but unable to find local account file ${PASSWORD_FILE} to parse.`);
    if (!this.state.localEntry) {
      this.warnings.push(
        `'local: true' specified and user '${this.args.name}' was not found in ${PASSWORD_FILE}. The local user account may already exist if the local account database exists somewhere other than ${PASSWORD_FILE}.`,
      );
    }
    return this.state.localEntry;
  }

  /** get_pwd_info() */
  pwdInfo(): Passwd | false {
    if (!this.exists() || this.state.pw === null) return false;
    return this.state.pw;
  }

  /** user_info(): the passwd entry, its password field from the shadow entry when it is 'x' or empty */
  info(): Passwd | false {
    if (!this.exists()) return false;
    const pw = this.pwdInfo();
    if (pw === false) return false;
    return pw.passwd.length <= 1 ? { ...pw, passwd: this.state.sp?.pwdp ?? '' } : pw;
  }

  /** info() where Ansible indexes it without a check: a user gone from the system between two lookups */
  knownInfo(): Passwd {
    const info = this.info();
    if (info === false) throw failJson(`failed to look up user name: ${this.args.name}`);
    return info;
  }

  groupInfo(group: string): GroupRef | null {
    return this.state.lookups[group] ?? null;
  }

  /** get_groups_set() */
  groupsSet(removeExisting: boolean): string[] | undefined {
    if (this.groups === undefined) return undefined;
    const info = this.info();
    const set = groupItems(this.groups);
    for (const g of [...set]) {
      const ginfo = this.groupInfo(g);
      if (ginfo === null) throw failJson(`Group ${g} does not exist`);
      if (info !== false && removeExisting && ginfo.gid === info.gid) set.splice(set.indexOf(g), 1);
    }
    return set;
  }

  /** user_group_membership() */
  membership(excludePrimary: boolean): string[] {
    const info = this.pwdInfo();
    return this.state.membership.filter((g) => !excludePrimary || info === false || g.gid !== info.gid).map((g) => g.name);
  }

  /** time.gmtime(expires), or Ansible's message */
  expiresDate(): [number, number, number] | undefined {
    if (this.args.expires === undefined) return undefined;
    const date = gmtimeDate(this.args.expires);
    if (date === undefined) throw failJson("Invalid value for 'expires' None: [Errno 75] Value too large for defined data type");
    return date;
  }

  /** lexpires for lchage: days since the epoch, -1 to remove */
  lexpires(): number {
    return this.args.expires! < 0 ? -1 : Math.floor(Math.floor(this.args.expires!) / 86400);
  }

  /** create_user_useradd: the file work and commands, and which of them are the commands */
  create(): Sequence {
    const { args, state } = this;
    const local = args.local ?? false;
    let lgroupmod = '';
    let lchage = '';
    if (local) {
      lgroupmod = requireBin(state, 'lgroupmod');
      lchage = requireBin(state, 'lchage');
    }
    const cmd = [requireBin(state, local ? 'luseradd' : 'useradd')];
    const pre: Step[] = [];
    if (args.uid !== undefined) {
      cmd.push('-u', String(args.uid));
      if (args.non_unique) cmd.push('-o');
    }
    if (args.seuser !== undefined) cmd.push('-Z', args.seuser);
    if (args.group !== undefined) {
      if (this.groupInfo(args.group) === null) throw failJson(`Group ${args.group} does not exist`);
      cmd.push('-g', args.group);
    } else if (this.groupInfo(args.name) !== null) {
      // a group of the user's name already: useradd must not try to make it (USERGROUPS_ENAB)
      if (local) cmd.push('-n');
      else if (state.redhat) cmd.push(Number.parseInt(state.versionId.split('.')[0]!, 10) <= 5 ? '-n' : '-N');
      else if (state.suse) {
        if (Number.parseInt(state.versionId.split('.')[0]!, 10) >= 12) cmd.push('-N');
      } else cmd.push('-N');
    }
    let groups: string[] = [];
    if (this.groups !== undefined && this.groups.length > 0) {
      groups = this.groupsSet(true)!;
      if (!local) cmd.push('-G', groups.join(','));
    }
    if (args.comment !== undefined) cmd.push('-c', args.comment);
    if (args.home !== undefined) {
      if (args.create_home && !state.homeArg!.parentIsDir) pre.push({ kind: 'mkhome', path: args.home, skeleton: args.skeleton ?? null });
      cmd.push('-d', args.home);
    }
    if (args.shell !== undefined) cmd.push('-s', args.shell);
    const expires = this.expiresDate();
    if (expires !== undefined && !local) cmd.push('-e', args.expires! < 0 ? '' : isoDate(expires));
    if (args.password !== undefined) cmd.push('-p', args.password_lock ? `!${args.password}` : args.password);
    if (args.create_home) {
      if (!local) cmd.push('-m');
      if (args.skeleton !== undefined) cmd.push('-k', args.skeleton);
      if (args.umask !== undefined) cmd.push('-K', `UMASK=${args.umask}`);
    } else cmd.push('-M');
    if (args.system) cmd.push('-r');
    cmd.push(args.name);
    const commands: Step[] = [{ kind: 'run', argv: cmd }];
    if (local) {
      if (expires !== undefined) commands.push({ kind: 'run', argv: [lchage, '-E', String(this.lexpires()), args.name] });
      for (const g of groups) commands.push({ kind: 'run', argv: [lgroupmod, '-M', args.name, g] });
    }
    return { steps: [...pre, ...commands], commands: commands.map((_s, i) => pre.length + i) };
  }

  /** modify_user_usermod: the commands (none when nothing is to change) */
  modify(): Sequence {
    const { args, state } = this;
    const local = args.local ?? false;
    let lgroupmod = '';
    let lchage = '';
    let lgroupAdd: string[] = [];
    let lgroupDel: string[] = [];
    let lexpires: number | undefined;
    if (local) {
      lgroupmod = requireBin(state, 'lgroupmod');
      lchage = requireBin(state, 'lchage');
    }
    let cmd = [requireBin(state, local ? 'lusermod' : 'usermod')];
    const info = this.knownInfo();
    const hasAppend = state.usermodAppend ?? false;
    if (args.uid !== undefined && info.uid !== args.uid) {
      cmd.push('-u', String(args.uid));
      if (args.non_unique) cmd.push('-o');
    }
    if (args.group !== undefined) {
      const ginfo = this.groupInfo(args.group);
      if (ginfo === null) throw failJson(`Group ${args.group} does not exist`);
      if (info.gid !== ginfo.gid) cmd.push('-g', String(ginfo.gid));
    }
    if (this.groups !== undefined) {
      const current = this.membership(false);
      let needMod = false;
      let groups: string[] = [];
      let diff: string[] = [];
      if (this.groups === '') {
        if (current.length > 0 && !args.append) needMod = true;
      } else {
        groups = this.groupsSet(false)!;
        diff = [...current.filter((g) => !groups.includes(g)), ...groups.filter((g) => !current.includes(g))];
        if (diff.length > 0) {
          if (args.append) {
            if (groups.some((g) => diff.includes(g))) {
              if (hasAppend) cmd.push('-a');
              needMod = true;
            }
          } else needMod = true;
        }
      }
      if (needMod) {
        if (local) {
          lgroupAdd = groups.filter((g) => !current.includes(g));
          lgroupDel = args.append ? [] : current.filter((g) => !groups.includes(g));
        } else if (args.append && !hasAppend) cmd.push('-A', diff.join(','));
        else cmd.push('-G', groups.join(','));
      }
    }
    if (args.comment !== undefined && info.gecos !== args.comment) cmd.push('-c', args.comment);
    if (args.home !== undefined && info.dir !== args.home) {
      cmd.push('-d', args.home);
      if (args.move_home) cmd.push('-m');
    }
    if (args.shell !== undefined && info.shell !== args.shell) cmd.push('-s', args.shell);
    const expires = this.expiresDate();
    if (expires !== undefined) {
      const current = this.state.sp?.expire;
      if (current === undefined) throw failJson(`no shadow entry to read the expiry date of user ${args.name} from`);
      if (args.expires! < 0) {
        if (current >= 0) {
          if (local) lexpires = -1;
          else cmd.push('-e', '');
        }
      } else {
        const currentDate = gmtimeDate(current * 86400);
        if (current < 0 || currentDate === undefined || currentDate.some((v, i) => v !== expires[i])) {
          if (local) lexpires = this.lexpires();
          else cmd.push('-e', isoDate(expires));
        }
      }
    }
    if (args.password_lock && !info.passwd.startsWith('!')) cmd.push('-L');
    else if (args.password_lock === false && info.passwd.startsWith('!')) cmd.push('-U');
    if (args.update_password === 'always' && args.password !== undefined && info.passwd.replace(/^!+/, '') !== args.password.replace(/^!+/, '')) {
      // -p replaces -L / -U (any argument spelled so, as Ansible filters them)
      cmd = cmd.filter((c) => c !== '-U' && c !== '-L');
      cmd.push('-p', args.password_lock ? `!${args.password}` : args.password);
    }
    const steps: Step[] = [];
    if (cmd.length > 1) steps.push({ kind: 'run', argv: [...cmd, args.name] });
    if (local) {
      if (lexpires !== undefined) steps.push({ kind: 'run', argv: [lchage, '-E', String(lexpires), args.name] });
      for (const g of lgroupAdd) steps.push({ kind: 'run', argv: [lgroupmod, '-M', args.name, g] });
      for (const g of lgroupDel) steps.push({ kind: 'run', argv: [lgroupmod, '-m', args.name, g] });
    }
    return { steps, commands: steps.map((_s, i) => i) };
  }

  /** remove_user_userdel */
  remove(): Sequence {
    const local = this.args.local ?? false;
    const cmd = [requireBin(this.state, local ? 'luserdel' : 'userdel')];
    if (this.args.force && !local) cmd.push('-f');
    if (this.args.remove) cmd.push('-r');
    return { steps: [{ kind: 'run', argv: [...cmd, this.args.name] }], commands: [0] };
  }
}

/** The host's side of the run: apply steps and read the account again. */
export type Apply = (steps: readonly Step[]) => Promise<{ ran: Ran; state: UserState }>;

/**
 * ansible.builtin.user's main() on Linux, on the state read (`state`) and with `apply` for what it does on
 * the host: steps whose outcome a later decision needs are applied before it; the rest go together.
 */
export async function userMain(args: UserArgs, first: UserState, check: boolean, apply: Apply): Promise<ModuleResult> {
  const warnings: string[] = [];
  if (args.groups === undefined && args.append) {
    warnings.push("'append' is set, but no 'groups' are specified. Use 'groups' for appending new groups.This will change to an error in Ansible 2.14.");
  }
  if (looksUnhashed(args.password)) warnings.push("The input password appears not to have been hashed. The 'password' argument must be encrypted for this module to work properly.");
  const u = new UserOnHost(args, first, warnings, check);
  const withWarnings = (result: ModuleResult): ModuleResult => (warnings.length > 0 ? { ...result, warnings: [...warnings] } : result);

  /** steps to apply: what each stage decided, with what it does once they ran */
  let pending: { steps: Step[]; then: (ran: Ran) => void }[] = [];
  const flush = async (): Promise<void> => {
    const batch = pending;
    pending = [];
    const steps = batch.flatMap((b) => b.steps);
    if (steps.length === 0) return;
    const applied = await apply(steps);
    u.state = applied.state;
    let at = 0;
    for (const b of batch) {
      b.then(applied.ran.slice(at, at + b.steps.length));
      at += b.steps.length;
    }
  };
  /** create_homedir / chown_homedir failed: Ansible's exit_json(failed=True, msg=...) */
  const fileWorkFailed = (steps: readonly Step[], ran: Ran): void => {
    ran.forEach((r, i) => {
      const kind = steps[i]!.kind;
      if (r !== null && r.rc !== 0 && (kind === 'mkhome' || kind === 'chown')) throw new AccountFailure({ changed: false, failed: true, msg: r.err });
    });
  };

  try {
    // time.gmtime(expires) in User.__init__: an impossible date fails before anything
    u.expiresDate();
    const refused = unsupportedSystem('user', first.os, first.osId);
    if (refused) return refused;
    const result: ModuleResult = { changed: false, name: args.name, state: args.state };
    // what the account's command did (rc null: none ran), as main() keeps it
    let done: { rc: number | null; out: string; err: string } = { rc: null, out: '', err: '' };
    if (args.state === 'absent') {
      if (u.exists()) {
        if (check) return withWarnings({ changed: true });
        const seq = u.remove();
        pending.push({ steps: seq.steps, then: (ran) => (done = outcome(seq, ran, 0)) });
        await flush();
        if (done.rc !== 0) throw failJson(done.err, { name: args.name, rc: done.rc });
        result.force = args.force;
        result.remove = args.remove;
      }
    } else if (!u.exists()) {
      if (check) return withWarnings({ changed: true });
      const pathNeedsParents = Boolean(args.home) && args.create_home && !first.homeArg!.parentIsDir;
      const seq = u.create();
      const steps = [...seq.steps, ...(pathNeedsParents ? [{ kind: 'chown', path: args.home!, always: true } as const] : [])];
      pending.push({
        steps,
        then: (ran) => {
          fileWorkFailed(steps, ran);
          done = outcome(seq, ran, 0);
        },
      });
      await flush();
      result.system = args.system;
      result.create_home = args.create_home;
    } else {
      const seq = u.modify();
      if (seq.steps.length > 0) {
        if (check) done = outcome(seq, 'pretend', 0);
        else {
          pending.push({ steps: seq.steps, then: (ran) => (done = outcome(seq, ran, 0)) });
          await flush();
        }
      }
      result.append = args.append;
      result.move_home = args.move_home;
    }
    if (args.state === 'present') {
      if (done.rc !== null && done.rc !== 0) throw failJson(done.err, { name: args.name, rc: done.rc });
      if (args.password !== undefined) result.password = 'NOT_LOGGING_PASSWORD';
    }
    result.changed = done.rc !== null;
    putOutput(result, done.out, done.err);
    if (!u.exists() || args.state !== 'present') return withWarnings(result);

    const info = u.knownInfo();
    Object.assign(result, { uid: info.uid, group: info.gid, comment: info.gecos, home: info.dir, shell: info.shell });
    if (u.groups !== undefined) result.groups = u.groups;

    // a home still missing: made from the skeleton
    const home = args.home ?? u.knownInfo().dir;
    const homeExists = args.home !== undefined ? u.state.homeArg!.exists : u.state.pwHomeExists!;
    if (!homeExists && args.create_home) {
      if (!check) {
        const steps: Step[] = [{ kind: 'mkhome', path: home, skeleton: args.skeleton ?? null }, { kind: 'chown', path: home }];
        pending.push({ steps, then: (ran) => fileWorkFailed(steps, ran) });
      }
      result.changed = true;
    }

    if (args.generate_ssh_key) {
      // its decisions read the home as the steps before left it
      await flush();
      sshKeyStage(u, result, pending);
    }
    chageStage(u, result, pending);
    await flush();
    if (args.generate_ssh_key) sshKeyResult(u, result);
    return withWarnings(result);
  } catch (error) {
    if (error instanceof AccountFailure) return withWarnings(error.result);
    throw error;
  }
}

/** ssh_key_gen(): the steps, and `changed` once they ran as Ansible reports it. */
function sshKeyStage(u: UserOnHost, result: ModuleResult, pending: { steps: Step[]; then: (ran: Ran) => void }[]): void {
  const { args, state, check } = u;
  // ssh_key_gen() starts with user_info(): its lookups (and a local user's warnings) as Ansible makes them
  u.knownInfo();
  const ssh = state.ssh!;
  const file = sshFile(args);
  if (!file.startsWith('/') && !state.pwHomeExists && !check) throw failJson(`User ${args.name} home directory does not exist`, { name: args.name, rc: 1 });
  const steps: Step[] = [];
  const done = (r: { rc: number | null; err: string }): void => {
    if (r.rc !== null && r.rc !== 0) throw failJson(r.err, { name: args.name, rc: r.rc });
    if (r.rc === 0) result.changed = true;
  };
  const dir = ssh.path.slice(0, Math.max(ssh.path.lastIndexOf('/'), 0));
  if (!ssh.dirExists) {
    if (check) return done({ rc: 0, err: '' });
    steps.push({ kind: 'sshdir', path: dir });
  }
  let overwrite: string | undefined;
  if (ssh.key) {
    if (args.force) {
      u.warnings.push(`Overwriting existing ssh key private file "${ssh.path}"`);
      overwrite = 'y';
    } else {
      u.warnings.push(`Found existing ssh key private file "${ssh.path}", no force, so skipping ssh-keygen generation`);
      return done({ rc: null, err: '' });
    }
  }
  if (ssh.pub) {
    if (args.force) {
      u.warnings.push(`Overwriting existing ssh key public file "${ssh.path}.pub"`);
      // Ansible removes it even in check mode; check mode here leaves it
      if (!check) steps.push({ kind: 'unlink', path: `${ssh.path}.pub` });
    } else {
      u.warnings.push(`Found existing ssh key public file "${ssh.path}.pub", no force, so skipping ssh-keygen generation`);
      return done({ rc: null, err: '' });
    }
  }
  const argv = [requireBin(state, 'ssh-keygen'), '-t', args.ssh_key_type];
  if (args.ssh_key_bits > 0) argv.push('-b', String(args.ssh_key_bits));
  argv.push('-C', args.ssh_key_comment ?? `ansible-generated on ${state.hostname}`, '-f', ssh.path);
  if (check) return done({ rc: 0, err: '' });
  if (args.ssh_key_passphrase !== undefined) steps.push({ kind: 'keygen', argv, key: ssh.path, passphrase: args.ssh_key_passphrase });
  else steps.push({ kind: 'keygen', argv: [...argv, '-N', ''], key: ssh.path, ...(overwrite !== undefined ? { data: overwrite } : {}) });
  pending.push({
    steps,
    then: (ran) => {
      // the first step that failed, else the key's generation (rc null: a key made meanwhile)
      const failed = ran.find((r) => r !== null && r.rc !== 0 && r.rc !== null);
      done(failed ?? ran.at(-1) ?? { rc: null, err: '' });
    },
  });
}

/** The ssh_* results, read after the key's generation. */
function sshKeyResult(u: UserOnHost, result: ModuleResult): void {
  const ssh = u.state.ssh!;
  if (!ssh.key) result.ssh_fingerprint = '';
  else {
    requireBin(u.state, 'ssh-keygen');
    const fp = ssh.fingerprint!;
    result.ssh_fingerprint = fp.rc === 0 ? fp.out.trim() : fp.err.trim();
  }
  result.ssh_key_file = ssh.path;
  result.ssh_public_key = ssh.publicKey;
}

/** set_password_expire(): chage -m / -M where the shadow entry differs. */
function chageStage(u: UserOnHost, result: ModuleResult, pending: { steps: Step[]; then: (ran: Ran) => void }[]): void {
  const { args, state, check } = u;
  const sp = state.sp;
  if (sp === null) return;
  const min = args.password_expire_min !== undefined && args.password_expire_min !== sp.min;
  const max = args.password_expire_max !== undefined && args.password_expire_max !== sp.max;
  if (!min && !max) return;
  const argv = [requireBin(state, 'chage')];
  if (min) argv.push('-m', String(args.password_expire_min));
  if (max) argv.push('-M', String(args.password_expire_max));
  argv.push(args.name);
  if (check) {
    result.changed = true;
    return;
  }
  pending.push({
    steps: [{ kind: 'run', argv }],
    then: ([r]) => {
      // not run: an earlier step of the batch failed, and its failure is the result
      if (r === null || r === undefined) return;
      if (r.rc !== 0) throw failJson(r.err, { name: args.name, rc: r.rc });
      result.changed = true;
    },
  });
}

export default defineModule({
  name: 'user',
  aliases: ['ansible.builtin.user', 'ansible.legacy.user'],
  description: 'Create, change or remove a user account (and its ssh key)',
  argAliases: { user: 'name', createhome: 'create_home' },
  args: Type.Object(
    {
      name: Type.String({ description: 'the account' }),
      state: Type.Optional(StringEnum(['absent', 'present'] as const, { default: 'present' })),
      uid: Type.Optional(Type.Integer()),
      non_unique: Type.Optional(Type.Boolean({ default: false, description: 'allow a uid another user has (-o)' })),
      group: Type.Optional(Type.String({ description: 'the primary group, a name or a gid' })),
      groups: Type.Optional(List(Type.String(), { description: "the other groups; '' for none but the primary" })),
      comment: Type.Optional(Type.String()),
      home: Type.Optional(Type.String()),
      shell: Type.Optional(Type.String()),
      password: Type.Optional(Type.String({ description: "the password's hash, as crypt(3) makes it ('!' or '*' for none)" })),
      login_class: Type.Optional(Type.String({ description: 'BSD only: ignored on Linux, as by Ansible' })),
      password_expire_max: Type.Optional(Type.Integer()),
      password_expire_min: Type.Optional(Type.Integer()),
      hidden: Type.Optional(Type.Boolean({ description: 'macOS only: ignored on Linux, as by Ansible' })),
      seuser: Type.Optional(Type.String({ description: 'the SELinux user for useradd -Z' })),
      force: Type.Optional(Type.Boolean({ default: false })),
      remove: Type.Optional(Type.Boolean({ default: false })),
      create_home: Type.Optional(Type.Boolean({ default: true })),
      skeleton: Type.Optional(Type.String()),
      system: Type.Optional(Type.Boolean({ default: false })),
      move_home: Type.Optional(Type.Boolean({ default: false })),
      append: Type.Optional(Type.Boolean({ default: false })),
      generate_ssh_key: Type.Optional(Type.Boolean()),
      ssh_key_bits: Type.Optional(Type.Integer({ default: 0 })),
      ssh_key_type: Type.Optional(Type.String({ default: 'rsa' })),
      ssh_key_file: Type.Optional(Type.String()),
      ssh_key_comment: Type.Optional(Type.String({ description: 'default: ansible-generated on HOSTNAME (the host\'s name)' })),
      ssh_key_passphrase: Type.Optional(Type.String()),
      update_password: Type.Optional(StringEnum(['always', 'on_create'] as const, { default: 'always' })),
      expires: Type.Optional(Type.Number({ description: 'seconds since the epoch; negative: no expiry' })),
      password_lock: Type.Optional(Type.Boolean()),
      local: Type.Optional(Type.Boolean()),
      profile: Type.Optional(Type.String({ description: 'Solaris only: ignored on Linux, as by Ansible' })),
      authorization: Type.Optional(Type.String({ description: 'Solaris only: ignored on Linux, as by Ansible' })),
      role: Type.Optional(Type.String({ description: 'Solaris only: ignored on Linux, as by Ansible' })),
      umask: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
  rules: { only_with: [['umask', 'local', [false], "'umask' can not be used with 'local'"]] },
  async run(given, ctx: ModuleContext): Promise<ModuleResult> {
    const { state, non_unique, force, remove, create_home, system, move_home, append, ssh_key_bits, ssh_key_type, update_password, ...rest } = given;
    const args: UserArgs = {
      ...rest,
      state: state ?? 'present',
      non_unique: non_unique ?? false,
      force: force ?? false,
      remove: remove ?? false,
      create_home: create_home ?? true,
      system: system ?? false,
      move_home: move_home ?? false,
      append: append ?? false,
      ssh_key_bits: ssh_key_bits ?? 0,
      ssh_key_type: ssh_key_type ?? 'rsa',
      update_password: update_password ?? 'always',
    };
    try {
      const read = await runAccountsProgram<{ state: UserState }>(ctx, PROGRAM, readInput(args, []));
      return await userMain(args, read.state, ctx.check, (steps) => runAccountsProgram<{ ran: Ran; state: UserState }>(ctx, PROGRAM, readInput(args, steps)));
    } catch (error) {
      if (error instanceof AccountFailure) return error.result;
      throw error;
    }
  },
});

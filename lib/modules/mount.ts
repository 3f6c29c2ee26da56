/**
 * ansible.posix.mount (Linux): a mount point's line in fstab (default /etc/fstab) and its live mount. The fstab is
 * edited here as ansible.posix 1.5's module edits it (its line format, its field comparisons, its 4-to-6-field
 * rules), mounts are told apart as it tells them (ismount, /proc/self/mountinfo, `mount -v`), and mount/umount
 * run with its command lines, remount falling back to umount + mount, the old fstab put back when a mount fails.
 * Unlike Ansible's in-place write, the fstab is replaced atomically (temp file in its directory, then rename).
 *
 * Round trips: 1 to read (fstab, mountinfo, whether the path is a mount point; all an unchanged or check-mode
 * run needs, unless the fstab is missing: Ansible creates it even then), 1 more to apply.
 */
import { Type } from '@sinclair/typebox';
import { StringEnum } from './args.js';
import { defineModule, type ModuleContext, type ModuleResult } from './module.js';

const STATES = ['absent', 'absent_from_fstab', 'mounted', 'present', 'unmounted', 'remounted', 'ephemeral'] as const;
type State = (typeof STATES)[number];

const args = Type.Object(
  {
    path: Type.String({ description: 'the mount point' }),
    src: Type.Optional(Type.String({ description: 'the device (or tmpfs, or a directory to bind) to mount' })),
    fstype: Type.Optional(Type.String({ description: 'the file system type' })),
    opts: Type.Optional(Type.String({ description: 'mount options (fstab(5))' })),
    dump: Type.Optional(Type.String({ default: '0' })),
    passno: Type.Optional(Type.String({ default: '0' })),
    state: StringEnum(STATES),
    fstab: Type.Optional(Type.String({ description: 'the file to use instead of /etc/fstab' })),
    boot: Type.Optional(Type.Boolean({ default: true, description: 'false: noauto is added to opts' })),
    backup: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

/** The module's `args`: what it writes in fstab, and what its result holds. */
export interface MountArgs {
  name: string;
  src?: string;
  fstype?: string;
  opts: string;
  dump: string;
  passno: string;
  fstab: string;
  boot: 'yes' | 'no';
}

/** Python's str.split()/strip() whitespace. */
const PY_SPACE = '[ \\t\\n\\r\\x0b\\x0c\\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const pySplit = (line: string): string[] => line.split(new RegExp(`${PY_SPACE}+`)).filter((w) => w !== '');
const pyStrip = (line: string): string => line.replace(new RegExp(`^${PY_SPACE}+|${PY_SPACE}+$`, 'g'), '');

/** Python's readlines() of text: each line with its '\n'. */
export function readLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** _escape_fstab: space, & and backslash as fstab's octal escapes. */
export function escapeFstab(value: string): string {
  return value.replace(/\\/g, '\\134').replace(/ /g, '\\040').replace(/&/g, '\\046');
}

/** A parsed fstab line; a missing dump/passno is Python's int 0, which never equals a string argument. */
type Entry = Record<'src' | 'name' | 'fstype' | 'opts', string> & Record<'dump' | 'passno', string | 0>;

function entryLine(e: { src?: string | undefined; name: string; fstype?: string | undefined; opts: string; dump: string | 0; passno: string | 0 }): string {
  // '%(src)s' of a missing key raises in Python: required_if keeps src and fstype present where lines are written
  return `${e.src} ${e.name} ${e.fstype} ${e.opts} ${e.dump} ${e.passno}\n`;
}

/** Whether the line is the mount point's (swap lines, all named none, by their src). */
function matches(ld: Entry, name: string, src: string | undefined): boolean {
  return ld.name === name && !(src !== undefined && ld.name === 'none' && ld.fstype === 'swap' && ld.src !== src);
}

/** _set_mount_save_old: fstab's lines with the mount point's set (changed, or appended). */
export function setMount(text: string, a: MountArgs): { lines: string[]; old: string[]; changed: boolean } {
  const esc = { ...a, name: escapeFstab(a.name), src: a.src === undefined ? undefined : escapeFstab(a.src), fstype: a.fstype === undefined ? undefined : escapeFstab(a.fstype), opts: escapeFstab(a.opts), dump: escapeFstab(a.dump), passno: escapeFstab(a.passno) };
  const out: string[] = [];
  const old: string[] = [];
  let exists = false;
  let changed = false;
  for (let line of readLines(text)) {
    if (!line.endsWith('\n')) line += '\n';
    old.push(line);
    const fields = pySplit(line);
    if (pyStrip(line) === '' || pyStrip(line).startsWith('#') || fields.length < 4 || fields.length > 6) {
      out.push(line);
      continue;
    }
    const ld: Entry = { src: fields[0]!, name: fields[1]!, fstype: fields[2]!, opts: fields[3]!, dump: fields[4] ?? 0, passno: fields[5] ?? 0 };
    if (!matches(ld, esc.name, a.src)) {
      out.push(line);
      continue;
    }
    exists = true;
    // `changed` carries over from an earlier matching line, as in Ansible's loop
    for (const t of ['src', 'fstype', 'opts', 'dump', 'passno'] as const) {
      if (ld[t] !== esc[t]) {
        (ld as Record<string, unknown>)[t] = esc[t];
        changed = true;
      }
    }
    out.push(changed ? entryLine(ld) : line);
  }
  if (!exists) {
    out.push(entryLine(esc));
    changed = true;
  }
  return { lines: out, old, changed };
}

/** unset_mount: fstab's lines without the mount point's 6-field lines. */
export function unsetMount(text: string, a: Pick<MountArgs, 'name' | 'src'>): { lines: string[]; changed: boolean } {
  const name = escapeFstab(a.name);
  const out: string[] = [];
  let changed = false;
  for (const line of readLines(text)) {
    const fields = pySplit(line);
    if (pyStrip(line) === '' || pyStrip(line).startsWith('#') || fields.length !== 6) {
      out.push(line);
      continue;
    }
    const [src, lname, fstype] = fields as [string, string, string];
    if (!matches({ src, name: lname, fstype, opts: '', dump: 0, passno: 0 }, name, a.src)) out.push(line);
    else changed = true;
  }
  return { lines: out, changed };
}

export interface LinuxMount {
  src: string;
  opts: string;
  fs: string;
}

/** get_linux_mounts: mount points (escaped as mountinfo prints them) with a bind mount's source directory as src. */
export function linuxMounts(mountinfo: string): Map<string, LinuxMount> {
  const info = new Map<number, { id: number; parent: number; root: string; dst: string; opts: string; fs: string; src: string }>();
  for (const line of mountinfo.split('\n').map(pyStrip)) {
    // Python would raise on a short line; the kernel writes none
    const f = pySplit(line);
    if (f.length < 7) continue;
    const id = Number(f[0]);
    info.set(id, { id, parent: Number(f[1]), root: f[3]!, dst: f[4]!, opts: f[5]!, fs: f[f.length - 3]!, src: f[f.length - 2]! });
  }
  const mounts = new Map<string, LinuxMount>();
  for (const mnt of info.values()) {
    let src = mnt.src;
    const parent = info.get(mnt.parent);
    if (mnt.parent !== 1 && parent) {
      let root = mnt.root;
      if (parent.root.length > 1 && root.startsWith(`${parent.root}/`)) root = root.slice(parent.root.length);
      if (parent.dst !== '/') root = `${parent.dst}${root}`;
      src = root;
    }
    mounts.set(mnt.dst, { src, opts: mnt.opts, fs: mnt.fs });
  }
  return mounts;
}

/** What the read step saw on the host. */
export interface MountView {
  /** fstab's text, undefined when it does not exist */
  fstab?: string;
  /** /proc/self/mountinfo, undefined when it could not be read */
  mountinfo?: string;
  /** `mount -l` (read only without mountinfo) and `mount -v` (only for ephemeral) */
  mountL?: string;
  mountV?: string;
  ismount: boolean;
  exists: boolean;
}

/** is_bind_mounted */
function isBindMounted(view: MountView, mounts: Map<string, LinuxMount> | undefined, dest: string, src?: string, fstype?: string): boolean {
  if (mounts) return src === undefined ? mounts.has(dest) : mounts.get(dest)?.src === src;
  return (view.mountL ?? '').trim().split('\n').filter((l) => l !== '').some((l) => {
    const w = pySplit(l);
    return (src === undefined || w[0] === src) && w[2] === dest && (fstype === undefined || w[4] === fstype);
  });
}

/** _is_same_mount_src */
function sameMountSrc(view: MountView, mounts: Map<string, LinuxMount> | undefined, src: string | undefined, mountpoint: string): boolean | { failure: string } {
  if (!view.ismount && !isBindMounted(view, mounts, mountpoint)) return false;
  if (mounts && isBindMounted(view, mounts, mountpoint, src)) return true;
  const out = view.mountV ?? '';
  if (out === '') return { failure: "Unable to retrieve mount info with command 'mount -v'" };
  return out.trim().split('\n').some((l) => {
    const w = pySplit(l);
    return w[0] === src && w[2] === mountpoint;
  });
}

/** What the apply step does, in Ansible's order; see APPLY_PROGRAM. */
export interface ApplyPlan {
  name: string;
  fstab: string;
  create_fstab: boolean;
  check: boolean;
  mkdir: boolean;
  /** the new fstab, when it changes */
  write?: string;
  backup: boolean;
  /** set_mount reports its backup; unset_mount makes one and drops its name */
  report_backup: boolean;
  /** mounted/ephemeral: fstab's old lines, put back when the mount fails */
  restore?: string;
  op: 'none' | 'umount' | 'absent' | 'mount' | 'remount' | 'remounted';
  /** absent: unmount first */
  mounted: boolean;
  mount_argv: string[];
  remount_argv: string[];
  /** remounted with opts: no umount + mount fallback */
  strict_remount: boolean;
}

export type Decision = { failure: string } | { changed: boolean; plan?: ApplyPlan };

/** main()'s decision on what the host showed: the result's `changed` and what the apply step must do (if anything). */
export function decide(state: State, a: MountArgs, view: MountView, options: { check: boolean; backup: boolean }): Decision {
  const { check, backup } = options;
  const mounts = view.mountinfo === undefined ? undefined : linuxMounts(view.mountinfo);
  const fstabArgs = a.fstab !== '/etc/fstab' ? ['-T', a.fstab] : [];
  const ephemeralArgs = state === 'ephemeral' ? ['-t', a.fstype!, ...(a.opts !== 'defaults' ? ['-o', a.opts] : []), a.src!] : [];
  const plan: ApplyPlan = {
    name: a.name, fstab: a.fstab, create_fstab: state !== 'ephemeral' && view.fstab === undefined, check, mkdir: false, backup: false, report_backup: false,
    op: 'none', mounted: false, strict_remount: state === 'remounted' && a.opts !== 'defaults',
    mount_argv: ['mount', ...(state !== 'ephemeral' ? fstabArgs : []), ...ephemeralArgs, a.name],
    remount_argv: ['mount', '-o', state === 'remounted' && a.opts !== 'defaults' ? `remount,${a.opts}` : 'remount', ...(state !== 'ephemeral' ? fstabArgs : []), ...ephemeralArgs, a.name],
  };
  const fstab = view.fstab ?? '';
  const mounted = view.ismount || isBindMounted(view, mounts, a.name);
  let changed = false;
  switch (state) {
    case 'absent':
    case 'absent_from_fstab': {
      const unset = unsetMount(fstab, a);
      changed = unset.changed;
      if (changed) Object.assign(plan, { write: unset.lines.join(''), backup });
      if (changed && state === 'absent') Object.assign(plan, { op: 'absent', mounted });
      break;
    }
    case 'unmounted':
      if (mounted) Object.assign(plan, { op: 'umount' });
      changed = mounted;
      break;
    case 'present':
    case 'mounted':
    case 'ephemeral': {
      plan.mkdir = !view.exists && state !== 'present';
      if (state !== 'ephemeral') {
        const set = setMount(fstab, a);
        changed = set.changed;
        if (changed) Object.assign(plan, { write: set.lines.join(''), backup, report_backup: true, restore: set.old.join('') });
      }
      if (state === 'present') break;
      if (view.ismount || isBindMounted(view, mounts, a.name, a.src, a.fstype)) {
        if (changed) plan.op = 'remount';
        if (state === 'ephemeral') {
          const same = sameMountSrc(view, mounts, a.src, a.name);
          if (typeof same !== 'boolean') return same;
          if (!same) return { failure: 'Ephemeral mount point is already mounted with a different source than the specified one. Failing in order to prevent an unwanted unmount or override operation. Try replacing this command with a "state: unmounted" followed by a "state: ephemeral", or use a different destination path.' };
          changed = true;
          plan.op = 'remount';
        }
      } else {
        changed = true;
        plan.op = 'mount';
      }
      break;
    }
    case 'remounted':
      changed = true;
      plan.op = 'remounted';
      break;
  }
  const needed = plan.create_fstab || (!check && (plan.write !== undefined || plan.op !== 'none' || plan.mkdir));
  return needed ? { changed, plan } : { changed };
}

/** Reads fstab, mountinfo and whether the path is a mount point (ansible.posix's ismount), as JSON. */
const READ_PROGRAM = String.raw`
import json, os, subprocess, sys
q = json.load(sys.stdin)
def ismount(path):
    try:
        s1 = os.lstat(path)
    except (OSError, ValueError):
        return False
    if os.path.stat.S_ISLNK(s1.st_mode):
        return False
    try:
        s2 = os.lstat(os.path.realpath(os.path.join(path, '..')))
    except (OSError, ValueError):
        return False
    return s1.st_dev != s2.st_dev or s1.st_ino == s2.st_ino
def read(path):
    try:
        with open(path) as f:
            return f.read()
    except IOError:
        return None
def mount(flag):
    env = dict(os.environ, LANG='C', LC_ALL='C', LC_MESSAGES='C')
    return subprocess.run(['mount', flag], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env).stdout.decode('utf-8', 'replace')
out = {'ismount': ismount(q['path']), 'exists': os.path.exists(q['path']), 'mountinfo': read('/proc/self/mountinfo')}
if q['fstab'] is not None and os.path.exists(q['fstab']):
    out['fstab'] = read(q['fstab'])
    if out['fstab'] is None:
        out['error'] = 'cannot read %s' % q['fstab']
if out['mountinfo'] is None:
    out['mountL'] = mount('-l')
if q['mountv']:
    out['mountV'] = mount('-v')
print(json.dumps(out))
`;

/**
 * Applies an ApplyPlan in main()'s order (fstab created, mount point made, fstab written with its backup,
 * then umount/mount/remount as Ansible runs them), with its failure messages; prints JSON.
 */
const APPLY_PROGRAM = String.raw`
import errno, json, os, shutil, stat, subprocess, sys, tempfile, time
p = json.load(sys.stdin)
res = {}
def finish(failure=None):
    if failure is not None:
        res['failed'] = failure
    print(json.dumps(res))
    sys.exit(0)
env = dict(os.environ, LANG='C', LC_ALL='C', LC_MESSAGES='C')
def run(argv):
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    except OSError as e:
        return 1, str(e)
    return (0, '') if r.returncode == 0 else (r.returncode, r.stdout.decode('utf-8', 'replace') + r.stderr.decode('utf-8', 'replace'))
def backup_local(fn):
    if not os.path.exists(fn):
        return ''
    dest = '%s.%s.%s' % (fn, os.getpid(), time.strftime('%Y-%m-%d@%H:%M:%S~', time.localtime(time.time())))
    shutil.copy2(fn, dest)
    return dest
def write_fstab(text):
    path = p['fstab']
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or '.', prefix='.%s.typebook.' % os.path.basename(path))
    try:
        with os.fdopen(fd, 'w') as f:
            f.write(text)
        st = os.stat(path)
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        os.chown(tmp, st.st_uid, st.st_gid)
        os.rename(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
name = p['name']
if p['create_fstab']:
    if not os.path.exists(os.path.dirname(p['fstab'])):
        os.makedirs(os.path.dirname(p['fstab']))
    try:
        open(p['fstab'], 'a').close()
    except PermissionError as e:
        finish('Failed to open %s due to permission issue' % p['fstab'])
    except Exception as e:
        finish('Failed to open %s due to %s' % (p['fstab'], e))
if p['check']:
    finish()
created = []
if p['mkdir']:
    try:
        curpath = ''
        for dirname in name.strip('/').split('/'):
            curpath = '/'.join([curpath, dirname])
            if not os.path.isabs(name):
                curpath = curpath.lstrip('/')
            if not os.path.exists(curpath):
                try:
                    os.mkdir(curpath)
                    created.append(curpath)
                except OSError as ex:
                    if not (ex.errno == errno.EEXIST and os.path.isdir(curpath)):
                        raise
    except (OSError, IOError) as e:
        finish('Error making dir %s: %s' % (name, e))
if p.get('write') is not None:
    backup = backup_local(p['fstab']) if p['backup'] else ''
    write_fstab(p['write'])
    if p['report_backup']:
        res['backup_file'] = backup
def umount():
    return run(['umount', name])
def remount():
    rc, msg = run(p['remount_argv'])
    if rc != 0:
        if p['strict_remount']:
            finish('Options were specified with remounted, but the remount command failed. Failing in order to prevent an unexpected mount result. Try replacing this command with a "state: unmounted" followed by a "state: mounted" using the full desired mount options instead.')
        rc, msg = umount()
        if rc == 0:
            rc, msg = run(p['mount_argv'])
    return rc, msg
op = p['op']
if op == 'umount' or (op == 'absent' and p['mounted']):
    rc, msg = umount()
    if rc:
        finish('Error unmounting %s: %s' % (name, msg))
if op == 'absent' and os.path.exists(name):
    try:
        os.rmdir(name)
    except (OSError, IOError) as e:
        finish('Error rmdir %s: %s' % (name, e))
if op in ('mount', 'remount'):
    rc, msg = run(p['mount_argv']) if op == 'mount' else remount()
    if rc:
        try:
            if p.get('restore') is not None:
                write_fstab(p['restore'])
        except Exception:
            pass
        try:
            for dirname in created[::-1]:
                os.rmdir(dirname)
        except Exception:
            pass
        finish('Error mounting %s: %s' % (name, msg))
if op == 'remounted':
    rc, msg = remount()
    if rc:
        finish('Error remounting %s: %s' % (name, msg))
finish()
`;

async function python<T>(ctx: ModuleContext, program: string, input: unknown): Promise<T | { crash: string }> {
  const run = await ctx.connection.run({ python: program }, { stdin: JSON.stringify(input), ...(ctx.become ? { become: ctx.become } : {}), env: ctx.environment });
  try {
    if (run.rc !== 0) throw new Error();
    return JSON.parse(run.stdout.trim().split('\n').pop() ?? '') as T;
  } catch {
    return { crash: `mount could not run python3 on the host: ${run.stderr.trim() || `exit code ${run.rc}`}` };
  }
}

const fail = (msg: string): ModuleResult => ({ changed: false, failed: true, msg });

export default defineModule({
  name: 'mount',
  aliases: ['ansible.posix.mount', 'ansible.builtin.mount'],
  description: 'Set a mount point in fstab and mount, unmount or remount it',
  argAliases: { name: 'path' },
  args,
  rules: {
    required_if: [['state', 'mounted', ['src', 'fstype']], ['state', 'present', ['src', 'fstype']], ['state', 'ephemeral', ['src', 'fstype']]],
  },
  async run(p, ctx): Promise<ModuleResult> {
    const warnings: string[] = [];
    const a: MountArgs = {
      name: p.path, opts: p.opts ?? 'defaults', dump: p.dump ?? '0', passno: p.passno ?? '0', fstab: p.fstab ?? '/etc/fstab', boot: 'yes',
      ...(p.src !== undefined ? { src: p.src } : {}), ...(p.fstype !== undefined ? { fstype: p.fstype } : {}),
    };
    // noauto stands for boot: false, unless opts has it already or says defaults
    const opts = a.opts.split(',');
    if (opts.includes('noauto')) warnings.push("Ignore the 'boot' due to 'opts' contains 'noauto'.");
    else if (p.boot === false) {
      a.boot = 'no';
      if (opts.includes('defaults')) warnings.push("Ignore the 'boot' due to 'opts' contains 'defaults'.");
      else a.opts = [...opts, 'noauto'].join(',');
    }

    const view = await python<MountView & { error?: string }>(ctx, READ_PROGRAM, { path: a.name, fstab: p.state === 'ephemeral' ? null : a.fstab, mountv: p.state === 'ephemeral' });
    if ('crash' in view) return fail(view.crash);
    if (view.error !== undefined) return fail(view.error);
    // JSON's null for what Python could not read
    for (const key of ['fstab', 'mountinfo', 'mountL', 'mountV'] as const) if (view[key] === null) delete view[key];
    if (view.mountinfo === undefined) {
      warnings.push('Cannot open file /proc/self/mountinfo. Bind mounts might be misinterpreted.');
    }
    const decided = decide(p.state, a, view, { check: ctx.check, backup: p.backup ?? false });
    if ('failure' in decided) return fail(decided.failure);
    const result: ModuleResult = { changed: decided.changed, ...a, backup_file: '', ...(warnings.length > 0 ? { warnings } : {}) };
    if (!decided.plan) return result;
    const applied = await python<{ failed?: string; backup_file?: string }>(ctx, APPLY_PROGRAM, decided.plan);
    if ('crash' in applied) return fail(applied.crash);
    if (applied.failed !== undefined) return fail(applied.failed);
    return { ...result, ...(applied.backup_file !== undefined ? { backup_file: applied.backup_file } : {}) };
  },
});

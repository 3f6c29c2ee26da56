/**
 * ansible.builtin.apt_repository: a `deb` / `deb-src` line present in (or absent from) apt's one-line sources,
 * /etc/apt/sources.list and /etc/apt/sources.list.d/*.list (the paths apt-config gives for Dir::Etc::sourcelist
 * and Dir::Etc::sourceparts), read and rewritten as Ansible 2.14's SourcesList does:
 *
 * - every line parsed as Ansible parses it: a leading '#' disables it, a later '#' starts its comment, a source is
 *   valid when its first word is deb or deb-src, and its words are joined by single spaces;
 * - present: every valid line (enabled or not) with the same source is enabled; when there is none, the line is
 *   appended to the file named by `filename` (+ '.list') or, by default, after the line's address
 *   ("deb file:/srv/repo ./" goes to file_srv_repo.list), created with 0666 & ~umask then `mode`;
 * - absent: the enabled lines with that source are removed (disabled ones stay), with Ansible's own walk over the
 *   lines it removes from (a second match can take the wrong line, or fail as Ansible's IndexError does);
 * - once anything changed, every file is written back in Ansible's form ('# ' before a disabled line, ' # ' before
 *   a comment), a file left without lines is deleted, then `apt-get update` (update_cache) with Ansible's retries
 *   and back-off; when it keeps failing the files are put back and the module fails with python-apt's message.
 *
 * `ppa:OWNER/NAME` is expanded as Ansible expands it (codename from `codename` or lsb_release): removing it, or
 * asking for one already there, needs nothing more; adding one is refused, since Ansible would then fetch the PPA's
 * key from Launchpad and a keyserver and typebook reaches no such service. Results are Ansible's ({changed, repo,
 * state} and, in diff mode, one before/after per file); files are written atomically (a temp file beside the file,
 * renamed over it, keeping an existing file's mode and owner).
 *
 * Left different: python3-apt is not needed (install_python_apt has nothing to install); a file whose text is
 * already what Ansible would write is left untouched (Ansible rewrites it with the same bytes); an invalid `mode` is
 * refused before anything is written (Ansible fails after writing); the diff lists files in the order read (Ansible's
 * comes in a Python set's order); without diff mode Ansible's result holds `diff: {}`, typebook's no `diff`; where
 * Ansible's module crashes (a traceback), typebook fails with a message saying so.
 *
 * Round trips: 1 to read the sources (all a run that changes nothing, or check mode, needs); 1 more to write them
 * and run apt-get update.
 */
import { Type } from '@sinclair/typebox';
import { StringEnum } from './args.js';
import { FileModeArg, ModeError, resolveMode } from './file-state.js';
import { defineModule, type Diff, type ModuleResult } from './module.js';
import { pySplit, pyStrip } from '../ansible/index.js';
import { C_LOCALE, parseSections, runScript } from './system-state.js';

const VALID_SOURCE_TYPES = ['deb', 'deb-src'];

/*
 * $1: 1 when lsb_release's codename is needed (a ppa: line without `codename`). Sections: noapt (no apt-config),
 * sourcelist, sourceparts, umask, keytool (apt-key and/or gpg as Ansible's get_bin_path finds them), lsb, then
 * per file file:PATH (its mode, a newline, its text and one newline more) or unreadable:PATH.
 */
const READ_SCRIPT = String.raw`set -f
command -v apt-config >/dev/null 2>&1 || { section noapt; exit 0; }
eval "$(apt-config shell SL Dir::Etc::sourcelist/f SP Dir::Etc::sourceparts/d)"
t=$(mktemp) || exit 10
trap 'rm -f "$t"' EXIT
section sourcelist; printf '%s\n' "$SL"
section sourceparts; printf '%s\n' "$SP"
section umask; umask
section keytool
old=$IFS; IFS=:
for b in apt-key gpg; do
  for d in $PATH /sbin /usr/sbin /usr/local/sbin; do
    if [ -n "$d" ] && [ -f "$d/$b" ] && [ -x "$d/$b" ]; then echo "$b"; break; fi
  done
done
IFS=$old
if [ "$1" = 1 ]; then section lsb; lsb_release -idrc 2>/dev/null; fi
show() {
  if [ -f "$1" ] && m=$(stat -L -c %a -- "$1") && cat -- "$1" >"$t" 2>/dev/null; then section "file:$1"; echo "$m"; cat "$t"; echo
  else section "unreadable:$1"; fi
}
if [ -f "$SL" ]; then show "$SL"; fi
set +f
for f in "$SP"*.list; do
  if [ -e "$f" ] || [ -L "$f" ]; then show "$f"; fi
done
`;

/*
 * Steps, each a word and fixed arguments, then `revert` and the steps that undo them:
 *   write PATH TEXT NEWMODE CHMOD   TEXT written beside PATH and renamed over it (its mode and owner kept; a new
 *                                   file gets NEWMODE), then chmod CHMOD when not empty
 *   remove PATH
 *   update N MAX R                  apt-get update, at most N times, sleeping 2^k + R/1000 seconds (at most
 *                                   MAX + R/1000) after each failure, as Ansible's loop does
 * A failed write or remove: section failed (the error), after the revert steps ran. A failed update: section
 * update.failed (with the last attempt's stderr), after the revert steps ran, or update.broken when apt could not
 * read the sources at all (python-apt raises there, before Ansible's retries, and nothing is reverted).
 */
const APPLY_SCRIPT = String.raw`set -f
t=$(mktemp -d) || exit 10
trap 'rm -rf "$t"' EXIT
write_file() {
  p=$1
  d=$(dirname -- "$p") && fn=$(basename -- "$p") && mkdir -p -- "$d" || return 1
  tmp=$(mktemp -- "$d/.$fn-XXXXXXXX") || return 1
  if printf '%s' "$2" >"$tmp" && if [ -e "$p" ]; then chmod --reference="$p" -- "$tmp" && chown --reference="$p" -- "$tmp"; else chmod "$3" -- "$tmp"; fi && mv -f -- "$tmp" "$p"; then
    if [ -n "$4" ]; then chmod "$4" -- "$p" || return 1; fi
    return 0
  fi
  rm -f -- "$tmp"; return 1
}
remove_file() { if [ -e "$1" ] || [ -L "$1" ]; then rm -f -- "$1"; fi; }
update() {
  n=$1 max=$2 r=$3 k=0
  : >"$t/uerr"
  while [ "$k" -lt "$n" ]; do
    LANG=C LC_ALL=C apt-get update >/dev/null 2>"$t/uerr" </dev/null && return 0
    if grep -q 'The list of sources could not be read' "$t/uerr"; then return 2; fi
    if [ "$k" -lt 30 ] && [ $((1 << k)) -le "$max" ]; then p=$((1 << k)); else p=$max; fi
    ms=$((p * 1000 + r))
    sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
    k=$((k + 1))
  done
  return 1
}
run_steps() {
  while [ $# -gt 0 ]; do
    case $1 in
      write) write_file "$2" "$3" "$4" "$5" 2>"$t/err" || return 1; shift 5 ;;
      remove) remove_file "$2" 2>"$t/err" || return 1; shift 2 ;;
      update) update "$2" "$3" "$4"; u=$?; [ "$u" = 0 ] || return $((u + 2)); shift 4 ;;
      revert) return 0 ;;
      *) exit 11 ;;
    esac
  done
}
undo() {
  while [ $# -gt 0 ]; do
    case $1 in write) shift 5 ;; remove) shift 2 ;; update) shift 4 ;; revert) shift; break ;; *) exit 11 ;; esac
  done
  run_steps "$@" revert
}
run_steps "$@"
case $? in
  0) section applied ;;
  1) cp "$t/err" "$t/ferr"; undo "$@"; section failed; cat "$t/ferr" ;;
  3) undo "$@"; section update.failed; cat "$t/uerr" ;;
  *) section update.broken; cat "$t/uerr" ;;
esac
`;

/** A line of a sources file, as SourcesList keeps it: (n, valid, enabled, source, comment). */
export interface SourceLine {
  n: number;
  valid: boolean;
  enabled: boolean;
  source: string;
  comment: string;
}

/** SourcesList._parse: the line's fields, and the text InvalidSource names for a line that is no enabled source. */
export function parseLine(text: string): SourceLine & { stripped: string } {
  let line = pyStrip(text);
  let enabled = true;
  let comment = '';
  let valid = false;
  if (line.startsWith('#')) {
    enabled = false;
    line = line.slice(1);
  }
  const i = line.indexOf('#');
  if (i > 0) {
    comment = pyStrip(line.slice(i + 1));
    line = line.slice(0, i);
  }
  let source = pyStrip(line);
  if (source !== '') {
    const chunks = pySplit(source);
    if (VALID_SOURCE_TYPES.includes(chunks[0]!)) {
      valid = true;
      source = chunks.join(' ');
    }
  }
  return { n: 0, valid, enabled, source, comment, stripped: line };
}

/** SourcesList.load: Python's text-mode lines (universal newlines), each parsed. */
export function parseFile(text: string): SourceLine[] {
  const lines = text.replace(/\r\n?/g, '\n').match(/[^\n]*\n|[^\n]+$/g) ?? [];
  return lines.map((l, n) => {
    const { valid, enabled, source, comment } = parseLine(l);
    return { n, valid, enabled, source, comment };
  });
}

/** SourcesList.dump's text of one file's lines. */
export function dumpLines(lines: readonly SourceLine[]): string {
  return lines.map((l) => `${l.enabled ? '' : '# '}${l.source}${l.comment ? ` # ${l.comment}` : ''}\n`).join('');
}

/** Where Ansible's module would stop with a traceback: typebook fails with this instead. */
class Crash extends Error {}

/** A failure of the module with Ansible's message. */
class Failure extends Error {}

/** SourcesList._suggest_filename: the line's address without options, scheme and user, its non-alphanumerics as '_'. */
export function suggestFilename(source: string, filename: string | undefined): string {
  if (filename !== undefined) return `${filename}.list`;
  const line = source.replace(/\[[^\]]+\]/g, '').replace(/[\p{L}\p{N}_]+:\/\//gu, '');
  const parts = pySplit(line).filter((p) => !VALID_SOURCE_TYPES.includes(p));
  if (parts.length === 0) throw new Crash(`Ansible's apt_repository fails on the source '${source}' (IndexError: list index out of range, finding it a file name)`);
  let first = parts[0]!;
  if (first.includes('@')) first = first.slice(first.indexOf('@') + 1);
  return `${first.replace(/[^a-zA-Z0-9]/g, ' ').split(' ').filter((w) => w !== '').join('_')}.list`;
}

/** The sources as SourcesList holds them: the files in the order read, each one's lines. */
export class SourcesList {
  readonly files = new Map<string, SourceLine[]>();
  /** files a line was appended to: `mode` applies to them */
  readonly newRepos = new Set<string>();

  constructor(readonly sourceparts: string, files: ReadonlyMap<string, string>) {
    for (const [path, text] of files) this.files.set(path, parseFile(text));
  }

  /** SourcesList.dump: the text of each file that has lines */
  dump(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [path, lines] of this.files) if (lines.length > 0) out.set(path, dumpLines(lines));
    return out;
  }

  /** _expand_path: a name without '/' is in sources.list.d */
  private expandPath(filename: string): string {
    return filename.includes('/') ? filename : `${this.sourceparts.replace(/\/+$/, '')}/${filename}`;
  }

  /** the enabled valid sources (UbuntuSourcesList.repos_urls) */
  enabledSources(): string[] {
    return [...this.files.values()].flatMap((lines) => lines.filter((l) => l.valid && l.enabled).map((l) => l.source));
  }

  /** _add_valid_source: every line with this source enabled; none, then appended to `file` */
  addValidSource(source: string, file: string): void {
    let found = false;
    for (const lines of this.files.values()) {
      for (const line of lines) {
        if (line.valid && line.source === source) {
          line.enabled = true;
          found = true;
        }
      }
    }
    if (found) return;
    const path = this.expandPath(file);
    const lines = this.files.get(path) ?? [];
    this.files.set(path, lines);
    lines.push({ n: lines.length, valid: true, enabled: true, source, comment: '' });
    this.newRepos.add(path);
  }

  /**
   * _remove_valid_source: Ansible pops line `n` (the line's number when read) while walking the list it pops
   * from, so after a first removal it skips the next line, and may take a wrong one or fail: so does this.
   */
  removeValidSource(source: string): void {
    for (const [path, lines] of this.files) {
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!;
        if (!(line.valid && line.enabled && line.source === source)) continue;
        if (line.n >= lines.length) throw new Crash(`Ansible's apt_repository fails removing '${source}' from ${path} (IndexError: pop index out of range: it removes the lines by their first numbers while removing)`);
        lines.splice(line.n, 1);
      }
    }
  }
}

/** UbuntuSourcesList._expand_ppa */
export function expandPpa(repo: string, codename: string): { source: string; owner: string; name: string } {
  const ppa = repo.split(':')[1] ?? '';
  const [owner = '', name = 'ppa'] = ppa.split('/');
  return { source: `deb http://ppa.launchpad.net/${owner}/${name}/ubuntu ${codename} main`, owner, name };
}

/** UbuntuSourcesList.add_source / remove_source on `list` (Ansible's messages as Failures). */
export function applyRepo(list: SourcesList, repo: string, state: 'present' | 'absent', filename: string | undefined, codename: string): void {
  const source = (): string => {
    const parsed = parseLine(repo);
    if (!parsed.valid || !parsed.enabled) throw new Failure(`Invalid repository string: ${parsed.stripped}`);
    return parsed.source;
  };
  if (state === 'absent') {
    list.removeValidSource(repo.startsWith('ppa:') ? expandPpa(repo, codename).source : source());
    return;
  }
  if (repo.startsWith('ppa:')) {
    const ppa = expandPpa(repo, codename);
    if (list.enabledSources().includes(ppa.source)) return;
    throw new Failure(`adding ${repo} needs its signing key from Launchpad and a keyserver, which typebook does not fetch: give the PPA's deb line (${ppa.source}) with its key in /etc/apt/keyrings (signed-by) instead`);
  }
  const line = source();
  list.addValidSource(line, suggestFilename(line, filename));
}

/** python-apt's FetchFailedException text from apt-get update's messages: "E:..., W:..." */
export function fetchFailure(stderr: string): string {
  const messages: string[] = [];
  for (const line of stderr.split('\n')) {
    const m = /^([EWN]): (.*)$/.exec(line);
    if (m) messages.push(`${m[1] === 'E' ? 'E' : 'W'}:${m[2]!}`);
  }
  return messages.join(', ');
}

/** lsb_release -idrc as aptsources.distro reads it: its Codename, 'sid' when there is none. */
export function lsbCodename(output: string | undefined): string {
  let codename = 'sid';
  for (const line of (output ?? '').split('\n')) {
    const parts = line.split(':\t');
    if (parts.length === 2 && parts[0] === 'Codename') codename = parts[1]!;
  }
  return codename;
}

interface HostSources {
  sourcelist: string;
  sourceparts: string;
  umask: number;
  keytools: string[];
  lsb?: string;
  /** path -> mode (octal bits) and text, in the order read */
  files: Map<string, { mode: number; text: string }>;
  unreadable: string[];
}

function parseHost(sections: Map<string, string>): HostSources {
  const line = (name: string): string => (sections.get(name) ?? '').replace(/\n$/, '');
  const files = new Map<string, { mode: number; text: string }>();
  const unreadable: string[] = [];
  for (const [name, body] of sections) {
    if (name.startsWith('file:')) {
      const nl = body.indexOf('\n');
      files.set(name.slice(5), { mode: Number.parseInt(body.slice(0, nl), 8), text: body.slice(nl + 1, -1) });
    } else if (name.startsWith('unreadable:')) unreadable.push(name.slice(11));
  }
  const lsb = sections.get('lsb');
  return {
    sourcelist: line('sourcelist'),
    sourceparts: line('sourceparts'),
    umask: Number.parseInt(line('umask').trim() || '022', 8),
    keytools: line('keytool').split('\n').filter((w) => w !== ''),
    ...(lsb !== undefined ? { lsb } : {}),
    files,
    unreadable,
  };
}

const octal = (mode: number): string => (mode & 0o7777).toString(8);

export default defineModule({
  name: 'apt_repository',
  aliases: ['ansible.builtin.apt_repository', 'ansible.legacy.apt_repository'],
  description: "Add or remove a repository line in apt's sources.list(.d)",
  argAliases: { 'update-cache': 'update_cache' },
  args: Type.Object(
    {
      repo: Type.String({ description: "the source line ('deb [options] URI suite [components]') or ppa:OWNER/NAME" }),
      state: Type.Optional(StringEnum(['absent', 'present'] as const, { default: 'present' })),
      mode: Type.Optional(FileModeArg({ description: 'the mode of the file a new line is added to (default 0666 & ~umask for a new file)' })),
      update_cache: Type.Optional(Type.Boolean({ default: true, description: 'apt-get update after a change' })),
      update_cache_retries: Type.Optional(Type.Integer({ default: 5, description: 'tries of apt-get update' })),
      update_cache_retry_max_delay: Type.Optional(Type.Integer({ default: 12, description: 'longest wait between tries, in seconds (exponential back-off)' })),
      filename: Type.Optional(Type.String({ description: "the file in sources.list.d, without '.list' (default: after the line's address)" })),
      install_python_apt: Type.Optional(Type.Boolean({ default: true, description: 'accepted for compatibility: typebook needs no python3-apt' })),
      validate_certs: Type.Optional(Type.Boolean({ default: true, description: "accepted for compatibility: Ansible uses it only to reach Launchpad, which typebook does not" })),
      codename: Type.Optional(Type.String({ description: "the distribution codename in a ppa: line's expansion (default lsb_release's)" })),
    },
    { additionalProperties: false },
  ),
  async run(args, ctx): Promise<ModuleResult> {
    const state = args.state ?? 'present';
    const repo = args.repo;
    const fail = (msg: string): ModuleResult => ({ changed: false, failed: true, msg });
    if (repo === '') return fail("Please set argument 'repo' to a non-empty value");

    const needLsb = repo.startsWith('ppa:') && !args.codename;
    const read = await runScript(ctx, READ_SCRIPT, [needLsb ? '1' : '0'], { env: C_LOCALE });
    if (read.rc !== 0) return fail(`reading apt's sources failed: ${read.stderr.trim() || `exit code ${read.rc}`}`);
    const sections = parseSections(read.stdout);
    if (sections.has('noapt')) return fail('apt_repository needs apt: the host has no apt-config');
    const host = parseHost(sections);
    if (host.unreadable.length > 0) return fail(`Ansible's apt_repository fails reading ${host.unreadable[0]!} (not a readable file)`);
    if (host.keytools.length === 0) return fail('Either apt-key or gpg binary is required, but neither could be found');

    const texts = new Map([...host.files].map(([path, f]) => [path, f.text]));
    const list = new SourcesList(host.sourceparts, texts);
    const before = list.dump();
    try {
      applyRepo(list, repo, state, args.filename, args.codename || lsbCodename(host.lsb));
    } catch (error) {
      if (error instanceof Failure || error instanceof Crash) return fail(error.message);
      throw error;
    }
    const after = list.dump();
    const changed = before.size !== after.size || [...after].some(([path, text]) => before.get(path) !== text);
    const result: ModuleResult = { changed, repo, state };
    if (changed && ctx.diff) {
      const paths = [...new Set([...before.keys(), ...after.keys()])];
      result.diff = paths.map((path): Diff => ({
        before: before.get(path) ?? '',
        after: after.get(path) ?? '',
        beforeHeader: before.has(path) ? path : '/dev/null',
        afterHeader: after.has(path) ? path : '/dev/null',
      }));
    }
    if (!changed || ctx.check) return result;

    // SourcesList.save: every file with lines written (a new one 0666 & ~umask, then `mode`), an empty one deleted
    const newMode = octal(0o666 & ~host.umask);
    const forward: string[] = [];
    const touched: string[] = [];
    for (const [path, lines] of list.files) {
      const existing = host.files.get(path);
      if (lines.length === 0) {
        if (existing !== undefined) {
          forward.push('remove', path);
          touched.push(path);
        }
        continue;
      }
      const text = dumpLines(lines);
      let chmod = '';
      if (args.mode !== undefined && list.newRepos.has(path)) {
        try {
          chmod = octal(resolveMode(args.mode, { mode: existing?.mode ?? 0o666 & ~host.umask, isDir: false }, host.umask));
        } catch (error) {
          if (error instanceof ModeError) return fail(error.message);
          throw error;
        }
      }
      // a file already as Ansible writes it would only be rewritten with the same bytes
      if (existing?.text === text && chmod === '') continue;
      forward.push('write', path, text, newMode, chmod);
      touched.push(path);
    }
    if (args.update_cache ?? true) {
      const tries = String(Math.max(0, args.update_cache_retries ?? 5));
      // Ansible's random.randint(0, 1000) / 1000.0 added to each wait
      forward.push('update', tries, String(Math.max(0, args.update_cache_retry_max_delay ?? 12)), String(Math.floor(Math.random() * 1001)));
    }
    // revert_sources_list: the files written put back as Ansible writes them as read, the new ones removed
    const revert = touched.flatMap((path) => {
      const text = before.get(path);
      return text === undefined ? ['remove', path] : ['write', path, text, newMode, ''];
    });
    const applied = await runScript(ctx, APPLY_SCRIPT, [...forward, 'revert', ...revert], { env: C_LOCALE });
    if (applied.rc !== 0) return fail(`writing apt's sources failed: ${applied.stderr.trim() || `exit code ${applied.rc}`}`);
    const out = parseSections(applied.stdout);
    const failedWrite = out.get('failed');
    if (failedWrite !== undefined) return fail(failedWrite.trim());
    const updateFailed = out.get('update.failed');
    if (updateFailed !== undefined) return fail(`Failed to update apt cache: ${fetchFailure(updateFailed) || 'unknown reason'}`);
    const broken = out.get('update.broken');
    if (broken !== undefined) return fail(`Ansible's apt_repository fails here (apt_pkg.Error: ${fetchFailure(broken)}), leaving the sources as written`);
    return result;
  },
});

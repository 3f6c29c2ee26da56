/**
 * community.general.timezone: the system's time zone (`name`) and whether the hardware clock keeps UTC or local
 * time (`hwclock`, alias `rtc`), decided as the module of community.general 6 decides them on Linux:
 *
 * - `timedatectl` usable (systemd running): read from `timedatectl status`, set with `timedatectl set-timezone`
 *   and `timedatectl set-local-rtc yes|no`.
 * - otherwise (no systemd: containers, the lab's hosts, other inits) Ansible's no-systemd strategy: the time
 *   zone's file (/etc/timezone; /etc/sysconfig/clock on Red Hat and SUSE) edited as Ansible edits it, and
 *   /etc/localtime pointed at the zoneinfo file (a symlink, then `dpkg-reconfigure tzdata`, where dpkg is; a
 *   copy or `tzdata-update` on Red Hat; `setup-timezone` on Alpine); the hardware clock's `UTC=` line
 *   (/etc/default/rcS on Debian, /etc/conf.d/hwclock, /etc/sysconfig/clock) then `hwclock --systohc`, read back
 *   through /etc/adjtime. Where Ansible writes a file in place or runs `ln -sf` / `cp --remove-destination`,
 *   typebook writes beside the target and renames it over, so /etc/localtime and the files are never missing
 *   or half written.
 *
 * The results are Ansible's: `diff` {before, after} of the values asked for (`n/a` where Ansible reads none),
 * `msg` the lines Ansible logs (files edited, commands run), and its messages and command results on failure.
 * Other systems (BSD, macOS, SmartOS, AIX) are refused with a message. Left different: a failed link or copy of
 * /etc/localtime reports Ansible's `ln -sf` / `cp` as `cmd` with the error of typebook's own steps; the list of
 * valid booleans in Ansible's message comes in the order of a Python set's hashes, typebook's in a fixed one; a
 * `timedatectl status` without a "Time zone:" line is a message here, a traceback in Ansible.
 *
 * Round trips: 1 to read the host's state (all a run that changes nothing, or check mode, needs); 1 more to apply
 * the change and read the state back, as Ansible checks it afterwards.
 */
import { Type } from '@sinclair/typebox';
import { StringEnum } from './args.js';
import { defineModule, type ModuleResult, type ValueDiff } from './module.js';
import { C_LOCALE, parseSections, runScript } from './system-state.js';
import { ansibleBoolean, pythonStringRepr } from '../ansible/index.js';

export type Key = 'hwclock' | 'name';
type Phase = 'before' | 'after';
export type Values = Partial<Record<Key, string>>;

/** Ansible's order of the values (its argument_spec's): hwclock is read and set before name. */
const KEYS: readonly Key[] = ['hwclock', 'name'];

const ZONEINFO = '/usr/share/zoneinfo/';

/** The files the no-systemd strategy may read or edit: all read in the one round trip, the strategy picks. */
const FILES = ['/etc/timezone', '/etc/sysconfig/clock', '/etc/default/rcS', '/etc/conf.d/hwclock', '/etc/adjtime'] as const;

/** The tools the strategies use, looked up as Ansible's get_bin_path does. */
const TOOLS = ['timedatectl', 'hwclock', 'dpkg-reconfigure', 'ln', 'cp', 'tzdata-update', 'setup-timezone'] as const;
type Tool = (typeof TOOLS)[number];

/*
 * The host's state, in sections: os, paths (Ansible's search path), bin:TOOL, timedatectl.rc (the bare command's,
 * Ansible's test of whether systemd is usable) and status.* (`timedatectl status`), osid, zone (the zoneinfo file
 * exists), localtime (link, exists, same bytes as the zone file) and localtime.target, then file:PATH (content
 * and one newline more) / absent:PATH / unreadable:PATH.
 * Positional parameters: $1 name given (1/0), $2 name; the apply script's steps follow.
 */
const READ_FUNCTIONS = String.raw`set -f
t=$(mktemp -d) || exit 10
trap 'rm -rf "$t"' EXIT
name_given=$1 name=$2
paths=$PATH
for d in /sbin /usr/sbin /usr/local/sbin; do
  case ":$PATH:" in *":$d:"*) ;; *) if [ -e "$d" ]; then paths=$paths:$d; fi ;; esac
done
binpath() {
  old=$IFS; IFS=:
  for d in $paths; do
    [ -n "$d" ] || continue
    case $d in */) f=$d$1 ;; *) f=$d/$1 ;; esac
    if [ -e "$f" ] && [ ! -d "$f" ] && [ -x "$f" ]; then IFS=$old; printf '%s\n' "$f"; return 0; fi
  done
  IFS=$old; return 1
}
step() { label=$1; shift; "$@" >"$t/out" 2>"$t/err" </dev/null; rc=$?; section "$label.rc"; echo "$rc"; section "$label.out"; cat "$t/out"; echo; section "$label.err"; cat "$t/err"; echo; return "$rc"; }
read_state() {
  section os; uname -s
  section paths; printf '%s\n' "$paths"
  for b in ${TOOLS.join(' ')}; do section "bin:$b"; binpath "$b" || echo; done
  if tdc=$(binpath timedatectl); then
    "$tdc" >/dev/null 2>&1 </dev/null; r=$?
    section timedatectl.rc; echo "$r"
    step status "$tdc" status
  fi
  section osid
  for f in /etc/os-release /usr/lib/os-release; do if [ -f "$f" ]; then sed -n 's/^ID=//p' "$f" | head -n 1; break; fi; done
  echo
  section zone; if [ "$name_given" = 1 ] && [ -f "${ZONEINFO}$name" ]; then echo yes; else echo no; fi
  section localtime
  if [ -L /etc/localtime ]; then echo link; else echo nolink; fi
  if [ -e /etc/localtime ]; then echo exists; else echo missing; fi
  if [ "$name_given" = 1 ] && cmp -s /etc/localtime "${ZONEINFO}$name" 2>/dev/null; then echo same; else echo differs; fi
  section localtime.target; readlink /etc/localtime 2>/dev/null; echo
  for f in ${FILES.join(' ')}; do
    if [ ! -e "$f" ]; then section "absent:$f"
    elif cat -- "$f" >"$t/f" 2>/dev/null; then section "file:$f"; cat "$t/f"; echo
    else section "unreadable:$f"; fi
  done
}
`;

const READ_SCRIPT = `${READ_FUNCTIONS}read_state\n`;

/*
 * After $1 $2 (as the read script), the steps, each a word and fixed arguments:
 *   edit FILE CONTENT       FILE replaced by CONTENT (written beside it, the old one's mode and owner, renamed)
 *   run N TOOL A1 A2 A3     TOOL with its first N arguments
 *   link ZONEFILE           /etc/localtime a symlink to ZONEFILE (made beside it, renamed over it)
 *   copy ZONEFILE           /etc/localtime a copy of ZONEFILE (likewise)
 * The first step that fails ends the script with sections failed (its index), failed.rc/.out/.err; when all
 * succeed, `applied` and the state read again.
 */
const APPLY_SCRIPT = String.raw`${READ_FUNCTIONS}shift 2
write_file() {
  p=$1
  if [ -L "$p" ]; then p=$(readlink -f -- "$p") || return 1; fi
  tmp=$(mktemp -- "$(dirname -- "$p")/.$(basename -- "$p").typebook.XXXXXX") || return 1
  if [ -e "$p" ]; then mode=$(stat -c %a -- "$p") && owner=$(stat -c %u:%g -- "$p") || { rm -f -- "$tmp"; return 1; }
  else mode=$(printf '%o' $((0666 & ~0$(umask)))) owner=; fi
  if printf '%s' "$2" >"$tmp" && chmod "$mode" "$tmp" && { [ -z "$owner" ] || chown "$owner" "$tmp"; } && mv -f -- "$tmp" "$p"; then return 0; fi
  rm -f -- "$tmp"; return 1
}
new_localtime() {
  tmp=$(mktemp -u /etc/.localtime.typebook.XXXXXX) || return 1
  if "$@" "$tmp" && mv -f -- "$tmp" /etc/localtime; then return 0; fi
  rm -f -- "$tmp"; return 1
}
quiet() { "$@" >"$t/out" 2>"$t/err" </dev/null; }
n=0
while [ $# -gt 0 ]; do
  case $1 in
    edit) quiet write_file "$2" "$3"; r=$?; shift 3 ;;
    run) k=$2 tool=$3 a1=$4 a2=$5 a3=$6; shift 6
      case $k in
        0) quiet "$tool" ;; 1) quiet "$tool" "$a1" ;; 2) quiet "$tool" "$a1" "$a2" ;; *) quiet "$tool" "$a1" "$a2" "$a3" ;;
      esac; r=$? ;;
    link) quiet new_localtime ln -s -- "$2"; r=$?; shift 2 ;;
    copy) quiet new_localtime cp -- "$2"; r=$?; shift 2 ;;
    *) exit 11 ;;
  esac
  if [ "$r" != 0 ]; then
    section failed; echo "$n"; section failed.rc; echo "$r"
    section failed.out; cat "$t/out"; echo; section failed.err; cat "$t/err"; echo
    exit 0
  fi
  n=$((n + 1))
done
section applied
read_state
`;

/** One thing to do on the host; `log` is the line Ansible adds to `msg` once it is done. */
export type Step =
  | { kind: 'edit'; key: Key; file: string; content: string; log: string }
  | { kind: 'run'; argv: readonly string[]; log?: string }
  | { kind: 'link' | 'copy'; source: string; argv: readonly string[] };

export type FileRead = { state: 'absent' } | { state: 'unreadable' } | { state: 'content'; text: string };

export interface CommandOutput {
  rc: number;
  stdout: string;
  stderr: string;
}

/** What the read script saw. */
export interface HostView {
  os: string;
  /** Ansible's search path for tools, as its "Failed to find required executable" names it */
  paths: string;
  bins: ReadonlyMap<Tool, string>;
  /** the exit code of a bare `timedatectl`, when there is one */
  timedatectlRc?: number;
  /** `timedatectl status`, run whenever there is a timedatectl */
  status?: CommandOutput;
  osId: string;
  /** /usr/share/zoneinfo/NAME is a file (following links) */
  zoneFile: boolean;
  localtime: { link: boolean; exists: boolean; target: string; sameAsZone: boolean };
  files: ReadonlyMap<string, FileRead>;
}

/** A section printed with one newline added after it (so the next header starts a line), without that newline. */
function trailing(sections: Map<string, string>, name: string): string | undefined {
  const text = sections.get(name);
  return text === undefined ? undefined : text.slice(0, -1);
}

function commandOutput(sections: Map<string, string>, label: string): CommandOutput | undefined {
  const rc = sections.get(`${label}.rc`);
  if (rc === undefined) return undefined;
  return { rc: Number(rc.trim()), stdout: trailing(sections, `${label}.out`) ?? '', stderr: trailing(sections, `${label}.err`) ?? '' };
}

export function parseView(sections: Map<string, string>): HostView {
  const line = (name: string): string => (sections.get(name) ?? '').trim();
  const bins = new Map<Tool, string>();
  for (const tool of TOOLS) {
    const path = (sections.get(`bin:${tool}`) ?? '').replace(/\n$/, '');
    if (path !== '') bins.set(tool, path);
  }
  const files = new Map<string, FileRead>();
  for (const file of FILES) {
    const text = trailing(sections, `file:${file}`);
    if (text !== undefined) files.set(file, { state: 'content', text });
    else if (sections.has(`unreadable:${file}`)) files.set(file, { state: 'unreadable' });
    else files.set(file, { state: 'absent' });
  }
  const localtime = line('localtime').split('\n');
  const tdcRc = sections.get('timedatectl.rc');
  const status = commandOutput(sections, 'status');
  return {
    os: line('os'),
    paths: (sections.get('paths') ?? '').replace(/\n$/, ''),
    bins,
    ...(tdcRc !== undefined ? { timedatectlRc: Number(tdcRc.trim()) } : {}),
    ...(status ? { status } : {}),
    osId: line('osid').replace(/^["']|["']$/g, '').toLowerCase(),
    zoneFile: line('zone') === 'yes',
    localtime: {
      link: localtime[0] === 'link',
      exists: localtime[1] === 'exists',
      // readlink's newline, then the script's
      target: (trailing(sections, 'localtime.target') ?? '').replace(/\n$/, ''),
      sameAsZone: localtime[2] === 'same',
    },
    files,
  };
}

/** A failed run of the module: the result Ansible returns at that point. */
class Failure extends Error {
  constructor(readonly result: ModuleResult) {
    super(String(result.msg));
  }
}

/** module.fail_json(msg=...) */
function failJson(msg: string): Failure {
  return new Failure({ changed: false, failed: true, msg });
}

/** Timezone.abort(): Ansible's message, then what it had logged so far. */
function abort(msg: string, logs: readonly string[] = []): Failure {
  const lines = ['Error message:', msg];
  if (logs.length > 0) lines.push('Other message(s):', ...logs);
  return failJson(lines.join('\n'));
}

/** Python's shlex.quote */
function shlexQuote(s: string): string {
  if (s === '') return "''";
  return /[^\w@%+=:,./-]/.test(s) ? `'${s.replace(/'/g, `'"'"'`)}'` : s;
}

/** Python's str.splitlines() */
function splitlines(text: string): string[] {
  const parts = text.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/);
  if (parts.at(-1) === '') parts.pop();
  return parts;
}

/** run_command(check_rc=True) failing: the command's result, its stderr as msg. */
function commandFailure(argv: readonly string[], out: CommandOutput): Failure {
  return new Failure({
    changed: false,
    failed: true,
    cmd: argv.map(shlexQuote).join(' '),
    msg: out.stderr.trimEnd(),
    rc: out.rc,
    stderr: out.stderr,
    stderr_lines: splitlines(out.stderr),
    stdout: out.stdout,
    stdout_lines: splitlines(out.stdout),
  });
}

/** module.boolean(): Ansible's words, or its message. */
function moduleBoolean(value: string): boolean {
  const b = ansibleBoolean(value);
  if (b !== undefined) return b;
  // BOOLEANS is a Python set: Ansible lists its members in the order of their hashes, which varies by run
  const valid = ["'y'", "'yes'", "'on'", "'1'", "'true'", "'t'", '1', "'n'", "'no'", "'off'", "'0'", "'false'", "'f'", '0'];
  throw failJson(`The value '${value}' is not a valid boolean.  Valid booleans include: ${valid.join(', ')}`);
}

function requireTool(view: HostView, tool: Tool): string {
  const path = view.bins.get(tool);
  if (path === undefined) throw failJson(`Failed to find required executable "${tool}" in paths: ${view.paths}`);
  return path;
}

/** Python's text-mode reading: universal newlines. */
function universal(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/** readlines(): the lines with their newline. */
function readlines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/**
 * NosystemdTimezone._edit_file: every line matching `regexp` removed, `line` put where the first of them was
 * (first in the file when none): the new text and how many were removed.
 */
export function editLines(text: string | undefined, regexp: RegExp, line: string): { text: string; deleted: number } {
  const lines = readlines(universal(text ?? ''));
  const matched = lines.map((l, i) => (regexp.test(l) ? i : -1)).filter((i) => i >= 0);
  const kept = lines.filter((_l, i) => !matched.includes(i));
  kept.splice(matched[0] ?? 0, 0, line);
  return { text: kept.join(''), deleted: matched.length };
}

/** SystemdTimezone's reading of `timedatectl status`: the zone and the "RTC in local TZ" word, when found. */
export function parseTimedatectl(status: string): { name?: string; rtcInLocalTz?: string } {
  const name = /^\s*Time ?zone\s*:\s*(\S+)/m.exec(status)?.[1];
  const rtc = /^\s*RTC in local TZ\s*:\s*(\S+)/m.exec(status)?.[1];
  return { ...(name !== undefined ? { name } : {}), ...(rtc !== undefined ? { rtcInLocalTz: rtc } : {}) };
}

export interface Strategy {
  /** the value of `key` on the host at `phase` (Timezone.get) */
  get(key: Key, phase: Phase, view: HostView, logs: readonly string[]): string;
  /** what setting `key` to `value` takes (Timezone.set), given the files as earlier steps left them */
  set(key: Key, value: string, files: Map<string, string | undefined>): Step[];
}

/** SystemdTimezone: timedatectl reads and sets both values. */
function systemdStrategy(view: HostView, planned: Values): Strategy {
  const tdc = requireTool(view, 'timedatectl');
  if (planned.name !== undefined && !view.zoneFile) throw abort(`given timezone "${planned.name}" is not available`);
  return {
    get(key, _phase, v) {
      const status = v.status ?? { rc: 127, stdout: '', stderr: `${tdc}: not found` };
      if (status.rc !== 0) throw commandFailure([tdc, 'status'], status);
      const parsed = parseTimedatectl(status.stdout);
      if (key === 'name') {
        // Ansible's module dies with a traceback here
        if (parsed.name === undefined) throw failJson(`no "Time zone:" line in the output of ${tdc} status`);
        return parsed.name;
      }
      if (parsed.rtcInLocalTz === undefined) throw failJson(`no "RTC in local TZ:" line in the output of ${tdc} status`);
      return moduleBoolean(parsed.rtcInLocalTz) ? 'local' : 'UTC';
    },
    set(key, value) {
      const argv = key === 'hwclock' ? [tdc, 'set-local-rtc', value === 'local' ? 'yes' : 'no'] : [tdc, 'set-timezone', value];
      return [{ kind: 'run', argv, log: `executed \`${argv.join(' ')}\`` }];
    },
  };
}

/** NosystemdTimezone: the files, /etc/localtime and hwclock, per distribution as Ansible's __init__ sets them up. */
function nosystemdStrategy(view: HostView, planned: Values): Strategy {
  const zoneFile = `${ZONEINFO}${planned.name ?? ''}`;
  let updateTimezone: Step[] = [];
  if (planned.name !== undefined) {
    if (!view.zoneFile) throw abort(`given timezone "${planned.name}" is not available`);
    updateTimezone = [{ kind: 'copy', source: zoneFile, argv: [requireTool(view, 'cp'), '--remove-destination', zoneFile, '/etc/localtime'] }];
  }
  const hwclockTool = requireTool(view, 'hwclock');
  // get_distribution(): distro.id().capitalize()
  const distribution = view.osId.charAt(0).toUpperCase() + view.osId.slice(1);
  let nameFile = '/etc/timezone';
  let nameRegexp = /^(\S+)/m;
  let tzline = (v: string): string => `${v}\n`;
  let hwclockFile: string;
  if (view.bins.has('dpkg-reconfigure')) {
    if (planned.name !== undefined) {
      updateTimezone = [
        { kind: 'link', source: zoneFile, argv: [requireTool(view, 'ln'), '-sf', zoneFile, '/etc/localtime'] },
        { kind: 'run', argv: [requireTool(view, 'dpkg-reconfigure'), '--frontend', 'noninteractive', 'tzdata'] },
      ];
    }
    hwclockFile = '/etc/default/rcS';
  } else if (distribution === 'Alpine' || distribution === 'Gentoo') {
    hwclockFile = '/etc/conf.d/hwclock';
    if (distribution === 'Alpine') updateTimezone = [{ kind: 'run', argv: [requireTool(view, 'setup-timezone'), '-z', planned.name ?? ''] }];
  } else {
    // Red Hat and SUSE; tzdata-update cannot follow a symlinked /etc/localtime, which is then copied over
    const tzdataUpdate = view.bins.get('tzdata-update');
    if (tzdataUpdate !== undefined && !view.localtime.link) updateTimezone = [{ kind: 'run', argv: [tzdataUpdate] }];
    nameFile = hwclockFile = '/etc/sysconfig/clock';
    const clock = view.files.get(nameFile)!;
    if (clock.state === 'unreadable') throw abort(`could not read configuration file "${nameFile}"`);
    // Ansible also picks TIMEZONE= when get_distribution() is 'SuSE', a name it never returns (it capitalizes)
    if (clock.state === 'content' && /^TIMEZONE\s*=/m.test(universal(clock.text))) {
      nameRegexp = /^TIMEZONE\s*=\s*"?([^"\s]+)"?/m;
      tzline = (v) => `TIMEZONE="${v}"\n`;
    } else {
      nameRegexp = /^ZONE\s*=\s*"?([^"\s]+)"?/m;
      tzline = (v) => `ZONE="${v}"\n`;
    }
  }
  const confFiles: Record<Key | 'adjtime', string> = { name: nameFile, hwclock: hwclockFile, adjtime: '/etc/adjtime' };
  const regexps: Record<Key | 'adjtime', RegExp> = { name: nameRegexp, hwclock: /^UTC\s*=\s*(\S+)/m, adjtime: /^(UTC|LOCAL)$/m };

  /** _get_value_from_config */
  const fromConfig = (key: Key | 'adjtime', phase: Phase, v: HostView, logs: readonly string[]): string => {
    const file = confFiles[key];
    const read = v.files.get(file)!;
    if (read.state === 'absent') return key === 'adjtime' ? 'UTC' : 'n/a';
    if (read.state === 'unreadable') throw abort(`tried to configure ${key} using a file "${file}", but could not read it`, logs);
    const found = regexps[key].exec(universal(read.text))?.[1];
    if (found === undefined) {
      if (key === 'hwclock') return 'n/a';
      if (key === 'adjtime') return 'UTC';
      if (phase === 'before') return 'n/a';
      throw abort(`tried to configure ${key} using a file "${file}", but could not find a valid value in it`, logs);
    }
    if (key === 'hwclock') return moduleBoolean(found) ? 'UTC' : 'local';
    if (key === 'adjtime') return found === 'UTC' ? found : found.toLowerCase();
    return found;
  };

  const edit = (key: Key, line: string, files: Map<string, string | undefined>): Step => {
    const file = confFiles[key];
    const { text, deleted } = editLines(files.get(file), regexps[key], line);
    files.set(file, text);
    return { kind: 'edit', key, file, content: text, log: `Added 1 line and deleted ${deleted} line(s) on ${file}` };
  };

  return {
    get(key, phase, v, logs) {
      const wanted = planned[key];
      let value = fromConfig(key, phase, v, logs);
      if (key === 'hwclock') return value === wanted ? fromConfig('adjtime', phase, v, logs) : value;
      if (value !== wanted) return value;
      // the file names the zone: /etc/localtime must be it too
      const lt = v.localtime;
      if (lt.link) {
        if (!lt.exists) return 'n/a';
        // the link's own target: zone files are often links to one another
        const linked = /(?:\/(?:usr\/share|etc)\/zoneinfo\/)(.*)/.exec(lt.target)?.[1];
        if (linked === undefined) return 'n/a';
        if (linked !== wanted) value = linked;
        return value;
      }
      return lt.sameAsZone ? value : 'n/a';
    },
    set(key, value, files) {
      if (key === 'name') return [edit('name', tzline(value), files), ...updateTimezone];
      const option = value === 'local' ? '--localtime' : '--utc';
      const argv = [hwclockTool, '--systohc', option];
      return [edit('hwclock', `UTC=${value === 'local' ? 'no' : 'yes'}\n`, files), { kind: 'run', argv, log: `executed \`${argv.join(' ')}\`` }];
    },
  };
}

function chooseStrategy(view: HostView, planned: Values): Strategy {
  if (view.os !== 'Linux') {
    throw failJson(`typebook's timezone module supports Linux hosts only; this one is ${view.os || 'of an unknown system'} (Ansible's module has strategies for BSD, macOS, SmartOS and AIX)`);
  }
  return view.bins.has('timedatectl') && view.timedatectlRc === 0 ? systemdStrategy(view, planned) : nosystemdStrategy(view, planned);
}

function valuesAt(strategy: Strategy, keys: readonly Key[], phase: Phase, view: HostView, logs: readonly string[]): Values {
  const values: Values = {};
  for (const key of keys) values[key] = strategy.get(key, phase, view, logs);
  return values;
}

const sameValues = (a: Values, b: Values, keys: readonly Key[]): boolean => keys.every((k) => a[k] === b[k]);

/** Python's str() of a dict of strings: {'name': 'UTC'} */
function pyDict(values: Values, keys: readonly Key[]): string {
  return `{${keys.map((k) => `'${k}': ${pythonStringRepr(values[k]!)}`).join(', ')}}`;
}

/** The steps as the apply script's words. */
function stepWords(steps: readonly Step[]): string[] {
  return steps.flatMap((s): string[] => {
    switch (s.kind) {
      case 'edit':
        return ['edit', s.file, s.content];
      case 'run': {
        const [tool, ...rest] = s.argv;
        if (rest.length > 3) throw new Error(`timezone: a step of more than 3 arguments (${s.argv.join(' ')})`);
        return ['run', String(rest.length), tool!, rest[0] ?? '', rest[1] ?? '', rest[2] ?? ''];
      }
      default:
        return [s.kind, s.source];
    }
  });
}

/** What the module decided from the state it read: the values before, and the steps that set the others. */
export interface Plan {
  strategy: Strategy;
  keys: readonly Key[];
  planned: Values;
  before: Values;
  steps: Step[];
}

/** The decision on what the read saw (pure: the module's whole logic but the host's I/O), or the failure. */
export function planChange(view: HostView, planned: Values): { plan: Plan } | { failure: ModuleResult } {
  const keys = KEYS.filter((k) => planned[k] !== undefined);
  try {
    const strategy = chooseStrategy(view, planned);
    const before = valuesAt(strategy, keys, 'before', view, []);
    const files = new Map<string, string | undefined>([...view.files].map(([f, r]) => [f, r.state === 'content' ? r.text : undefined]));
    const steps = keys.filter((k) => before[k] !== planned[k]).flatMap((k) => strategy.set(k, planned[k]!, files));
    return { plan: { strategy, keys, planned, before, steps } };
  } catch (error) {
    if (error instanceof Failure) return { failure: error.result };
    throw error;
  }
}

/** Check mode's result: the planned values stand for the state afterwards, as in Ansible. */
export function checkModeResult(plan: Plan): ModuleResult {
  return { changed: !sameValues(plan.before, plan.planned, plan.keys), diff: { before: plan.before, after: { ...plan.planned } } satisfies ValueDiff };
}

/** The result once the steps ran: all of them and `after` the state read back, or `done` of them and the failed one's output. */
export function appliedResult(plan: Plan, ran: { after: HostView } | { done: number; failed: CommandOutput }): ModuleResult {
  const { strategy, keys, planned, before, steps } = plan;
  const done = 'done' in ran ? ran.done : steps.length;
  const logs: string[] = [];
  for (const step of steps.slice(0, done)) if ('log' in step && step.log !== undefined) logs.push(step.log);
  try {
    if ('failed' in ran) {
      const step = steps[done]!;
      if (step.kind === 'edit') throw abort(`tried to configure ${step.key} using a file "${step.file}", but could not write to it`, logs);
      throw commandFailure(step.argv, ran.failed);
    }
    const after = valuesAt(strategy, keys, 'after', ran.after, logs);
    if (!sameValues(after, planned, keys)) {
      throw abort(`still not desired state, though changes have made - planned: ${pyDict(planned, keys)}, after: ${pyDict(after, keys)}`, logs);
    }
    return { changed: !sameValues(before, after, keys), diff: { before, after }, ...(logs.length > 0 ? { msg: logs.join('\n') } : {}) };
  } catch (error) {
    if (error instanceof Failure) return error.result;
    throw error;
  }
}

export default defineModule({
  name: 'timezone',
  aliases: ['community.general.timezone', 'community.general.system.timezone', 'ansible.builtin.timezone', 'ansible.legacy.timezone'],
  description: "Set the system's time zone and whether the hardware clock keeps UTC or local time",
  argAliases: { rtc: 'hwclock' },
  args: Type.Object(
    {
      name: Type.Optional(Type.String({ description: 'the time zone, a name under /usr/share/zoneinfo (Europe/Paris, Etc/UTC); default: left as it is' })),
      hwclock: Type.Optional(StringEnum(['local', 'UTC'] as const, { description: 'whether the hardware clock keeps UTC or local time; default: left as it is' })),
    },
    { additionalProperties: false },
  ),
  rules: { required_one_of: [['hwclock', 'name']] },
  async run(args, ctx): Promise<ModuleResult> {
    const planned: Values = {};
    if (args.hwclock !== undefined) planned.hwclock = args.hwclock;
    if (args.name !== undefined) planned.name = args.name;
    const nameParams = [args.name !== undefined ? '1' : '0', args.name ?? ''];

    const read = await runScript(ctx, READ_SCRIPT, nameParams, { env: C_LOCALE });
    if (read.rc !== 0) return { changed: false, failed: true, msg: `could not read the time zone's state: ${read.stderr.trim() || `exit code ${read.rc}`}` };
    const decided = planChange(parseView(parseSections(read.stdout)), planned);
    if ('failure' in decided) return decided.failure;
    const { plan } = decided;
    if (ctx.check) return checkModeResult(plan);
    // nothing to set: Ansible reads the same state again afterwards
    if (plan.steps.length === 0) return { changed: false, diff: { before: plan.before, after: { ...plan.before } } };

    const applied = await runScript(ctx, APPLY_SCRIPT, [...nameParams, ...stepWords(plan.steps)], { env: C_LOCALE });
    if (applied.rc !== 0) return { changed: false, failed: true, msg: `could not apply the time zone's change: ${applied.stderr.trim() || `exit code ${applied.rc}`}` };
    const sections = parseSections(applied.stdout);
    const failedAt = sections.get('failed');
    if (failedAt !== undefined) return appliedResult(plan, { done: Number(failedAt.trim()), failed: commandOutput(sections, 'failed') ?? { rc: -1, stdout: '', stderr: '' } });
    return appliedResult(plan, { after: parseView(sections) });
  },
});

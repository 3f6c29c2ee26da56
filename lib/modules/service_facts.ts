/**
 * ansible.builtin.service_facts: the host's services as the fact `services` (NAME -> {name, state, status,
 * source}), built as ansible-core 2.14's module builds them on Linux. Both of its scans run, as Ansible's do,
 * and the systemd one wins where a name is in both:
 *  - the SysV scan, by the tools found on the host: `service --status-all` (source sysv, state running/stopped)
 *    unless chkconfig or rc-status is there; upstart's `initctl list`; or Red Hat's `chkconfig` with
 *    `service NAME status` for each service (status enabled/disabled by runlevel 3); or OpenRC's rc-status and
 *    rc-update;
 *  - the systemd scan when PID 1 is systemd (/proc/1/comm, as Ansible decides): `systemctl list-units`, then
 *    `list-unit-files` for the status, and `systemctl show NAME --property=ActiveState` for a unit file that
 *    list-units did not name.
 * Tools are found as Ansible's get_bin_path finds them (PATH, then the sbin directories) and run in the locale
 * Ansible picks (C.utf8 where `locale -a` has it). No service at all: skipped with Ansible's message; a tool
 * that fails: Ansible's warning. AIX's SRC and OpenBSD's rcctl scans are not done (typebook's hosts are Linux).
 *
 * Never changes anything; check mode is the same run. Round trips: 1 (one fixed script, no values in it).
 */
import { Type } from '@sinclair/typebox';
import { defineModule, type ModuleResult } from './module.js';
import { parseSections, runScript, stepOf } from './system-state.js';
import { PY_SPACE, pySplit, pyStrip } from '../ansible/index.js';

/** runlevels 0-6 as chkconfig lists them: `0:off 1:off 2:on ...`, each after whitespace (Ansible's pattern) */
const RUNLEVELS = Array.from({ length: 7 }, () => '[[:space:]]+[0-9]:(on|off)').join('');

const SCRIPT = String.raw`t=$(mktemp -d) || exit 10
trap 'rm -rf "$t"' EXIT
RL='` + RUNLEVELS + String.raw`'
# Ansible's get_bin_path: the given directories, PATH, then the sbin ones; not a directory, an execute bit
binpath() {
  n=$1; shift
  old=$IFS; IFS=:; set -f; set -- "$@" $PATH /sbin /usr/sbin /usr/local/sbin; set +f; IFS=$old
  for d in "$@"; do
    [ -n "$d" ] || continue
    if [ -e "$d/$n" ] && [ ! -d "$d/$n" ] && [ -x "$d/$n" ]; then printf '%s\n' "$d/$n"; return 0; fi
  done
  return 1
}
step() { label=$1; shift; "$@" >"$t/$label.out" 2>"$t/$label.err" </dev/null; rc=$?; section "$label.rc"; echo "$rc"; section "$label.out"; cat "$t/$label.out"; section "$label.err"; cat "$t/$label.err"; return "$rc"; }
# get_best_parsable_locale: the first of Ansible's preferences that locale -a lists, else C
loc=C
if lp=$(binpath locale) && avail=$("$lp" -a 2>/dev/null </dev/null) && [ -n "$avail" ]; then
  for pref in C.utf8 C.UTF-8 en_US.utf8 en_US.UTF-8 C POSIX; do
    if printf '%s\n' "$avail" | grep -qxF -e "$pref"; then loc=$pref; break; fi
  done
fi
LANG=$loc; LC_ALL=$loc; export LANG LC_ALL
svc=$(binpath service) || svc=
chk=$(binpath chkconfig) || chk=
ictl=$(binpath initctl) || ictl=
rcs=$(binpath rc-status) || rcs=
rcu=$(binpath rc-update) || rcu=
if [ -n "$svc" ] && [ -z "$chk" ] && [ -z "$rcs" ]; then
  step sysv "$svc" --status-all
  section initd; if [ -e /etc/init.d ]; then echo yes; else echo no; fi
fi
if [ -n "$ictl" ] && [ -z "$chk" ]; then
  step upstart "$ictl" list
elif [ -n "$chk" ]; then
  # chkconfig without runlevel columns: SLES 11 lists them with -l --allservices, RHEL 5 with --list
  "$chk" >"$t/rh.out" 2>"$t/rh.err" </dev/null
  if ! grep -Eq -e "$RL" "$t/rh.out"; then
    if grep -Eq -e '[[:space:]](on|off)' "$t/rh.out"; then "$chk" -l --allservices >"$t/rh.out" 2>"$t/rh.err" </dev/null
    elif grep -qF -e --list "$t/rh.err"; then "$chk" --list >"$t/rh.out" 2>"$t/rh.err" </dev/null
    fi
  fi
  # each listed service: its name (the shortest text before the runlevels, as Ansible's lazy .*?) and runlevel 3
  awk -v re="^$RL" '{
    for (i = 1; i <= length($0); i++) {
      if (match(substr($0, i), re)) {
        m = substr($0, i, RLENGTH); sub(/^[[:space:]]+/, "", m); split(m, rl, /[[:space:]]+/)
        print substr($0, 1, i - 1) "\t" substr(rl[4], 3); break
      }
    }
  }' "$t/rh.out" >"$t/rh.list"
  k=0
  while IFS='	' read -r name rl3; do
    k=$((k + 1))
    # without a service tool, Ansible's command line starts with "None": not found
    if [ -n "$svc" ]; then "$svc" "$name" status >/dev/null 2>"$t/st.err" </dev/null; rc=$?; else rc=127; : >"$t/st.err"; fi
    section "rh.$k"; printf '%s\n%s\n%s\n' "$name" "$rl3" "$rc"; cat "$t/st.err"
  done <"$t/rh.list"
elif [ -n "$rcs" ] && [ -n "$rcu" ]; then
  section openrc.status; "$rcs" -a -s -m 2>&1 </dev/null | grep '^ ' | tr -d '[]'
  section openrc.update; "$rcu" show -v 2>&1 </dev/null | grep '|'
fi
if grep -qF systemd /proc/1/comm 2>/dev/null; then
  sc=$(binpath systemctl /usr/bin /usr/local/bin) || sc=
  section systemctl; echo "$sc"
  if [ -n "$sc" ]; then
    step units "$sc" list-units --no-pager --type service --all; urc=$rc
    if step unitfiles "$sc" list-unit-files --no-pager --type service --all; then
      # the unit files list-units did not name (a bad state shifts the name to the second field, as in Ansible)
      [ "$urc" = 0 ] || : >"$t/units.out"
      awk -v units="$t/units.out" 'BEGIN {
        while ((getline line < units) > 0) {
          if (index(line, ".service") == 0) continue
          n = split(line, f); name = f[1]
          for (i = 1; i <= n; i++) if (f[i] == "not-found" || f[i] == "masked" || f[i] == "failed") { name = f[2]; break }
          seen[name] = 1
        }
      }
      index($0, ".service") && NF >= 2 && !($1 in seen) { seen[$1] = 1; print $1 }' "$t/unitfiles.out" >"$t/shows"
      k=0
      while IFS= read -r u; do
        k=$((k + 1))
        "$sc" show "$u" --property=ActiveState >"$t/show.out" 2>/dev/null </dev/null; rc=$?
        section "show.$k"; printf '%s\n%s\n' "$u" "$rc"; cat "$t/show.out"
      done <"$t/shows"
    fi
  fi
fi
exit 0`;

/** One service as Ansible's module reports it; `status` where the init system tells it (systemd, chkconfig). */
export interface ServiceFact {
  name: string;
  /** running, stopped...; the exit code of `service NAME status` when chkconfig's host refused it for lack of rights */
  state: string | number;
  status?: string;
  /** upstart's goal */
  goal?: string;
  /** OpenRC's runlevels (null: in none) */
  runlevels?: string[] | null;
  source: string;
}

export type Services = Map<string, ServiceFact>;

/** Python's str.isspace(), which its str.split() and re's \s use (JavaScript's \s differs: \x1c-\x1f, \ufeff) */
const pyRstrip = (text: string): string => text.replace(new RegExp(`[${PY_SPACE}]+$`), '');

/** `service --status-all`: Ansible's `^\s*\[ (+|-) \]\s+(.+)$` (re.M: ^ and $ at '\n' only, \s Python's) */
export function parseStatusAll(stdout: string): Services {
  const services: Services = new Map();
  const line = new RegExp(`(?<=^|\\n)[${PY_SPACE}]*\\[ (\\+|-) \\][${PY_SPACE}]+([^\\n]+)(?=\\n|$)`, 'g');
  for (const m of stdout.matchAll(line)) {
    const name = m[2]!;
    services.set(name, { name, state: m[1] === '+' ? 'running' : 'stopped', source: 'sysv' });
  }
  return services;
}

/** `initctl list`: `NAME GOAL/STATE[, process PID]` per line, as Ansible's pattern reads it */
export function parseUpstart(stdout: string): Services {
  const services: Services = new Map();
  const s = `[${PY_SPACE}]`;
  const w = '[\\p{L}\\p{N}_]';
  const pattern = new RegExp(`^${s}?([^\\n]*)${s}(${w}+)/(${w}+)(,${s}process${s}([0-9]+))?${s}*$`, 'u');
  for (const line of stdout.replace(/\r/g, '').split('\n')) {
    const m = pattern.exec(line);
    if (!m) continue;
    const name = m[1]!;
    services.set(name, { name, state: m[3]!, goal: m[2]!, source: 'upstart' });
  }
  return services;
}

/** OpenRC: `NAME STATE` lines of rc-status, `NAME | RUNLEVELS` of rc-update; a service rc-update lacks is Ansible's KeyError */
export function parseOpenrc(status: string, update: string): Services | { missing: string } {
  const runlevels = new Map<string, string[] | null>();
  for (const line of update.split('\n')) {
    const parts = line.split('|');
    if (parts.length < 2) continue;
    const levels = pyStrip(parts[1]!);
    runlevels.set(pyStrip(parts[0]!), levels === '' ? null : pySplit(levels));
  }
  const services: Services = new Map();
  for (const line of status.split('\n')) {
    const words = pySplit(line);
    if (words.length < 2) continue;
    const [name, state] = words as [string, string];
    if (!runlevels.has(name)) return { missing: name };
    services.set(name, { name, runlevels: runlevels.get(name)!, state, source: 'openrc' });
  }
  return services;
}

/** the states list-units shows in place of a healthy one, in the order they are looked for (Ansible's is a frozenset's, per process) */
const BAD_STATES = ['not-found', 'masked', 'failed'];

/** `systemctl list-units --type service --all`, as Ansible's _list_from_units reads each line naming `.service` */
export function parseUnits(stdout: string): Services | { malformed: string } {
  const services: Services = new Map();
  for (const line of stdout.split('\n').filter((l) => l.includes('.service'))) {
    let fields = pySplit(line);
    let status: string | undefined;
    const bad = BAD_STATES.find((b) => fields.includes(b));
    if (bad !== undefined) {
      status = bad;
      // the ● (or *) in front of a unit in a bad state
      fields = fields.slice(1);
    } else status = fields[2];
    if (status === undefined || fields[3] === undefined) return { malformed: line };
    const name = fields[0]!;
    services.set(name, { name, state: fields[3] === 'running' ? 'running' : 'stopped', status, source: 'systemd' });
  }
  return services;
}

/**
 * `systemctl list-unit-files --type service --all` over what list-units gave, as Ansible's _list_from_unit_files:
 * a unit file's state is the status (but a bad one from list-units stays); a unit list-units did not name gets
 * its ActiveState from `systemctl show` (`shows`: name -> exit code and output), 'unknown' when that failed.
 */
export function addUnitFiles(stdout: string, services: Services, shows: ReadonlyMap<string, { rc: number; out: string }>): { malformed: string } | undefined {
  for (const line of stdout.split('\n').filter((l) => l.includes('.service'))) {
    const words = pySplit(line);
    if (words.length < 2) return { malformed: line };
    const [name, status] = words as [string, string];
    const known = services.get(name);
    if (known === undefined) {
      const show = shows.get(name);
      const state = show !== undefined && show.rc === 0 && show.out !== '' ? pyRstrip(show.out.split('ActiveState=').join('')) : 'unknown';
      services.set(name, { name, state, status, source: 'systemd' });
    } else if (!BAD_STATES.includes(known.status ?? '')) known.status = status;
  }
  return undefined;
}

/** the `rh.N` sections: name, runlevel 3 (on/off), the exit code of `service NAME status`, then its stderr */
function chkconfigServices(sections: Map<string, string>, warnings: string[]): Services {
  const services: Services = new Map();
  for (let k = 1; sections.has(`rh.${k}`); k++) {
    const text = sections.get(`rh.${k}`)!;
    const [name = '', rl3 = '', rc = ''] = text.split('\n', 3);
    const err = text.split('\n').slice(3).join('\n');
    let state: string | number = Number(rc);
    if (state === 0) state = 'running';
    else {
      const output = err.toLowerCase();
      if (['root', 'permission', 'not in sudoers'].some((x) => output.includes(x))) warnings.push(`Insufficient permissions to query sysV service "${name}" and their states`);
      else state = 'stopped';
    }
    services.set(name, { name, state, status: rl3 === 'on' ? 'enabled' : 'disabled', source: 'sysv' });
  }
  return services;
}

const NOTHING_FOUND = 'Failed to find any services. This can be due to privileges or some other configuration issue.';

/** The services and warnings from the script's output, in Ansible's order of scans; a failure where Ansible's module would crash. */
export function servicesFrom(sections: Map<string, string>): { services: Services; warnings: string[] } | { failure: string } {
  const warnings: string[] = [];
  const all: Services = new Map();
  const merge = (found: Services) => {
    for (const [name, fact] of found) all.set(name, fact);
  };

  const sysv: Services = new Map();
  const statusAll = stepOf(sections, 'sysv');
  // `service` answers 4 on Red Hat without /etc/init.d: nothing to read there
  if (statusAll && !(statusAll.rc === 4 && sections.get('initd')?.trim() !== 'yes')) {
    if (statusAll.rc !== 0) warnings.push(`Unable to query 'service' tool (${statusAll.rc}): ${statusAll.err}`);
    for (const [name, fact] of parseStatusAll(statusAll.out)) sysv.set(name, fact);
  }
  const upstart = stepOf(sections, 'upstart');
  if (upstart) {
    if (upstart.rc !== 0) warnings.push(`Unable to query upstart for service data: ${upstart.err}`);
    else for (const [name, fact] of parseUpstart(upstart.out)) sysv.set(name, fact);
  }
  for (const [name, fact] of chkconfigServices(sections, warnings)) sysv.set(name, fact);
  const openrcStatus = sections.get('openrc.status');
  if (openrcStatus !== undefined) {
    const openrc = parseOpenrc(openrcStatus, sections.get('openrc.update') ?? '');
    if (!(openrc instanceof Map)) return { failure: `rc-status lists the service '${openrc.missing}' that rc-update show does not (Ansible's module fails here with a KeyError)` };
    for (const [name, fact] of openrc) sysv.set(name, fact);
  }
  merge(sysv);

  const units = stepOf(sections, 'units');
  if (units) {
    let systemd: Services = new Map();
    if (units.rc !== 0) warnings.push(`Could not list units from systemd: ${units.err}`);
    else {
      const parsed = parseUnits(units.out);
      if (!(parsed instanceof Map)) return { failure: `Malformed output discovered from systemd list-units: ${parsed.malformed}` };
      systemd = parsed;
    }
    const files = stepOf(sections, 'unitfiles')!;
    if (files.rc !== 0) warnings.push(`Could not get unit files data from systemd: ${files.err}`);
    else {
      const shows = new Map<string, { rc: number; out: string }>();
      for (let k = 1; sections.has(`show.${k}`); k++) {
        const [name = '', rc = '', ...out] = sections.get(`show.${k}`)!.split('\n');
        shows.set(name, { rc: Number(rc), out: out.join('\n') });
      }
      const malformed = addUnitFiles(files.out, systemd, shows);
      if (malformed) return { failure: `Malformed output discovered from systemd list-unit-files: ${malformed.malformed}` };
    }
    merge(systemd);
  }
  return { services: all, warnings };
}

export default defineModule({
  name: 'service_facts',
  aliases: ['ansible.builtin.service_facts', 'ansible.legacy.service_facts'],
  description: "Read the host's services (systemd units, SysV init scripts...) into the fact `services`",
  facts: ['services'],
  args: Type.Object({}, { additionalProperties: false }),
  async run(_args, ctx): Promise<ModuleResult> {
    const r = await runScript(ctx, SCRIPT, []);
    if (r.rc !== 0) return { changed: false, failed: true, msg: `reading the services failed: ${r.stderr.trim() || `exit code ${r.rc}`}` };
    const read = servicesFrom(parseSections(r.stdout));
    if ('failure' in read) return { changed: false, failed: true, msg: read.failure };
    const result: ModuleResult = read.services.size === 0
      ? { changed: false, skipped: true, msg: NOTHING_FOUND }
      : { changed: false, ansible_facts: { services: Object.fromEntries(read.services) } };
    if (read.warnings.length > 0) result.warnings = read.warnings;
    return result;
  },
});

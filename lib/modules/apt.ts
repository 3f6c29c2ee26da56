/**
 * ansible.builtin.apt: Debian packages present (optionally at a version: `pkg=1.2.3`, `pkg=1.2*`, `pkg>=1.2`),
 * at their latest version, or absent; the package lists refreshed (update_cache, cache_valid_time).
 *
 * Round trips: 1 to read everything (the cache's age, `apt-get update` when due, the installed versions from
 * one dpkg-query for all names, the candidates from one apt-cache policy); 1 more for the one apt-get command
 * that makes every change (in check mode the same command with --simulate, which changes nothing). A run with
 * nothing to do: 1. Never interactive (DEBIAN_FRONTEND=noninteractive, --force-confdef/--force-confold by
 * default); the dpkg lock is waited for, at most lock_timeout seconds (apt's DPkg::Lock::Timeout).
 */
import { Type, type Static } from '@sinclair/typebox';
import { List, StringEnum } from './args.js';
import { defineModule, type ModuleContext, type ModuleResult } from './module.js';
import { parseSections, runScript } from './system-state.js';
import { fnmatch } from '../ansible/index.js';

const APT_ENV: Readonly<Record<string, string>> = { DEBIAN_FRONTEND: 'noninteractive', DEBIAN_PRIORITY: 'critical', LANG: 'C', LC_ALL: 'C', LC_MESSAGES: 'C', LC_CTYPE: 'C' };
const DPKG_QUERY_FORMAT = '${Package}\\t${db:Status-Abbrev}\\t${Version}\\n';
const DPKG_STATUS_FORMAT = '${Package}\\t${db:Status-Abbrev}\\n';

/**
 * $1 update (yes/no), $2 cache_valid_time, $3 check (1/0), $4 lock timeout, $5 default release, $6 which names
 * need apt-cache policy (all, missing = not installed, none), then names. apt-cache policy loads the whole
 * package cache (most of the read's time): a name that is installed and wanted at any version needs none.
 */
const READ_SCRIPT = String.raw`
if ! command -v apt-get >/dev/null 2>&1; then
  section nomgr; for m in dnf yum zypper apk pacman pkg; do command -v "$m" >/dev/null 2>&1 && echo "$m" && break; done; exit 0
fi
stamp() {
  if [ -e /var/lib/apt/periodic/update-success-stamp ]; then stat -c %Y /var/lib/apt/periodic/update-success-stamp
  elif [ -e /var/lib/apt/lists ]; then stat -c %Y /var/lib/apt/lists; else echo 0; fi
}
t=$(mktemp -d) || exit 10
trap 'rm -rf "$t"' EXIT
before=$(stamp)
section cache_before; echo "$before"
if [ "$1" = yes ] && [ $((before + $2)) -lt "$(date +%s)" ]; then
  section update_due; echo yes
  if [ "$3" != 1 ]; then
    apt-get update -q -o DPkg::Lock::Timeout="$4" >"$t/out" 2>"$t/err" </dev/null
    rc=$?; section update.rc; echo "$rc"; section update.out; cat "$t/out"; section update.err; cat "$t/err"
  fi
fi
section cache_after; stamp
release=$5; policy=$6; shift 6
[ $# -gt 0 ] || exit 0
section dpkg; dpkg-query -W -f '${DPKG_QUERY_FORMAT}' "$@" 2>/dev/null
section auto; apt-mark showauto "$@" 2>/dev/null
section policy
[ "$policy" = none ] && exit 0
if [ "$policy" = missing ]; then
  ok=$(dpkg-query -W -f '${DPKG_STATUS_FORMAT}' "$@" 2>/dev/null | awk -F'\t' 'substr($2, 1, 2) == "ii" { print $1 }')
  need=""
  for n in "$@"; do printf '%s\n' "$ok" | grep -qxF -- "$n" || need="$need $n"; done
  # names are checked against ^[a-z0-9][a-z0-9+.:-]*$ before they get here: splitting $need is safe
  set -- $need
  [ $# -gt 0 ] || exit 0
fi
if [ -n "$release" ]; then apt-cache -o APT::Default-Release="$release" policy "$@" 2>/dev/null; else apt-cache policy "$@" 2>/dev/null; fi
exit 0
`;

/**
 * $1 policy_rc_d ('' for none), $2 N, then N names to read back after, $.. M, then M names to mark as
 * installed manually, then the apt-get command (may be empty). /usr/sbin/policy-rc.d exists only while
 * apt-get runs (a host's own is put back after), as Ansible does.
 */
const APPLY_SCRIPT = String.raw`
t=$(mktemp -d) || exit 10
prc=$1; shift
n=$1; shift; names=; i=0
while [ "$i" -lt "$n" ]; do names="$names $1"; shift; i=$((i + 1)); done
m=$1; shift; manual=; i=0
while [ "$i" -lt "$m" ]; do manual="$manual $1"; shift; i=$((i + 1)); done
backup=
cleanup() {
  if [ -n "$prc" ]; then
    if [ -n "$backup" ]; then mv -f "$backup/policy-rc.d" /usr/sbin/policy-rc.d; rmdir "$backup"; else rm -f /usr/sbin/policy-rc.d; fi
  fi
  rm -rf "$t"
}
trap cleanup EXIT
if [ -n "$prc" ]; then
  if [ -e /usr/sbin/policy-rc.d ]; then backup=$(mktemp -d) && mv /usr/sbin/policy-rc.d "$backup/" || { echo "Fail to move /usr/sbin/policy-rc.d to $backup" >&2; exit 20; }; fi
  printf '#!/bin/sh\nexit %s\n' "$prc" >/usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d || { echo "Failed to create or chmod /usr/sbin/policy-rc.d" >&2; exit 21; }
fi
rc=0
if [ $# -gt 0 ]; then
  "$@" >"$t/out" 2>"$t/err" </dev/null; rc=$?
  section apt.rc; echo "$rc"; section apt.out; cat "$t/out"; section apt.err; cat "$t/err"
fi
# names are package names (checked before): safe to split
[ "$rc" = 0 ] && [ -n "$manual" ] && apt-mark manual $manual >/dev/null 2>&1
section after; [ -n "$names" ] && dpkg-query -W -f '${DPKG_QUERY_FORMAT}' $names 2>/dev/null
exit 0
`;

/** Debian version order (dpkg's verrevcmp): negative, zero or positive. */
export function compareDebianVersions(a: string, b: string): number {
  const split = (v: string) => {
    const colon = v.indexOf(':');
    const epoch = colon >= 0 ? Number(v.slice(0, colon)) : 0;
    const rest = colon >= 0 ? v.slice(colon + 1) : v;
    const dash = rest.lastIndexOf('-');
    return { epoch, upstream: dash >= 0 ? rest.slice(0, dash) : rest, revision: dash >= 0 ? rest.slice(dash + 1) : '' };
  };
  const order = (c: string | undefined) => {
    if (c === undefined) return 0;
    if (c === '~') return -1;
    if (/\d/.test(c)) return 0;
    if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
    return c.charCodeAt(0) + 256;
  };
  const part = (x: string, y: string): number => {
    let i = 0;
    let j = 0;
    while (i < x.length || j < y.length) {
      let diff = 0;
      while ((i < x.length && !/\d/.test(x[i]!)) || (j < y.length && !/\d/.test(y[j]!))) {
        const ac = order(x[i]);
        const bc = order(y[j]);
        if (ac !== bc) return ac - bc;
        i++;
        j++;
      }
      while (x[i] === '0') i++;
      while (y[j] === '0') j++;
      while (i < x.length && /\d/.test(x[i]!) && j < y.length && /\d/.test(y[j]!)) {
        if (!diff) diff = x.charCodeAt(i) - y.charCodeAt(j);
        i++;
        j++;
      }
      if (i < x.length && /\d/.test(x[i]!)) return 1;
      if (j < y.length && /\d/.test(y[j]!)) return -1;
      if (diff) return diff;
    }
    return 0;
  };
  const va = split(a);
  const vb = split(b);
  if (va.epoch !== vb.epoch) return va.epoch - vb.epoch;
  return part(va.upstream, vb.upstream) || part(va.revision, vb.revision);
}

export interface PackageSpec {
  spec: string;
  name: string;
  cmp?: '=' | '>=';
  version?: string;
}

/** `pkg`, `pkg=1.2*`, `pkg>=1.2` (Ansible's package_split). */
export function splitSpec(spec: string): PackageSpec {
  const m = /^(.*?)(>?=)(.*)$/s.exec(spec);
  if (!m) return { spec, name: spec };
  return { spec, name: m[1]!, cmp: m[2] as '=' | '>=', version: m[3]! };
}

interface Installed {
  status: string;
  version: string;
}

interface Policy {
  candidate?: string;
  /** every version apt knows, best first */
  versions: string[];
}

export function parseDpkgQuery(text: string | undefined): Map<string, Installed> {
  const out = new Map<string, Installed>();
  for (const line of (text ?? '').split('\n')) {
    const [name, status, version] = line.split('\t');
    if (name && status !== undefined && version !== undefined) out.set(name, { status, version });
  }
  return out;
}

export function parsePolicy(text: string | undefined): Map<string, Policy> {
  const out = new Map<string, Policy>();
  let current: Policy | undefined;
  for (const line of (text ?? '').split('\n')) {
    const head = /^(\S+):$/.exec(line);
    if (head) {
      current = { versions: [] };
      out.set(head[1]!, current);
      continue;
    }
    if (!current) continue;
    const candidate = /^ {2}Candidate: (\S+)$/.exec(line);
    if (candidate) current.candidate = candidate[1] === '(none)' ? undefined : candidate[1];
    const version = /^ (?:\*\*\*| {3}) (\S+) -?\d+$/.exec(line);
    if (version) current.versions.push(version[1]!);
  }
  return out;
}

const installedState = (i: Installed | undefined) => i !== undefined && i.status[1] === 'i';

export const aptProperties = {
  name: Type.Optional(List(Type.String({ minLength: 1 }), { description: 'packages, each optionally `=VERSION` (wildcards allowed) or `>=VERSION`' })),
  state: Type.Optional(StringEnum(['present', 'latest', 'absent', 'build-dep', 'fixed'] as const, { default: 'present' })),
  update_cache: Type.Optional(Type.Boolean({ description: 'run `apt-get update` first' })),
  cache_valid_time: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'update the lists only when older than this many seconds' })),
  update_cache_retries: Type.Optional(Type.Integer({ minimum: 0, default: 5, description: 'accepted for compatibility; the update is tried once' })),
  update_cache_retry_max_delay: Type.Optional(Type.Integer({ minimum: 0, default: 12, description: 'accepted for compatibility' })),
  purge: Type.Optional(Type.Boolean({ default: false })),
  autoremove: Type.Optional(Type.Boolean({ default: false })),
  install_recommends: Type.Optional(Type.Boolean()),
  allow_downgrade: Type.Optional(Type.Boolean({ default: false })),
  allow_unauthenticated: Type.Optional(Type.Boolean({ default: false })),
  allow_change_held_packages: Type.Optional(Type.Boolean({ default: false })),
  only_upgrade: Type.Optional(Type.Boolean({ default: false })),
  force: Type.Optional(Type.Boolean({ default: false })),
  default_release: Type.Optional(Type.String()),
  dpkg_options: Type.Optional(Type.String({ default: 'force-confdef,force-confold' })),
  policy_rc_d: Type.Optional(Type.Integer({ description: 'the exit code of a temporary /usr/sbin/policy-rc.d (101: services are not started)' })),
  lock_timeout: Type.Optional(Type.Integer({ minimum: 0, default: 60, description: 'seconds to wait for the dpkg lock' })),
  fail_on_autoremove: Type.Optional(Type.Boolean({ default: false })),
};

export const aptArgAliases: Readonly<Record<string, string>> = {
  pkg: 'name',
  package: 'name',
  'update-cache': 'update_cache',
  'install-recommends': 'install_recommends',
  'default-release': 'default_release',
  'allow-unauthenticated': 'allow_unauthenticated',
  'allow-downgrade': 'allow_downgrade',
  allow_downgrades: 'allow_downgrade',
  'allow-downgrades': 'allow_downgrade',
};

const aptArgs = Type.Object(aptProperties, { additionalProperties: false });
export type AptArgs = Static<typeof aptArgs>;

/** The module's work, shared with `package` (which first makes sure the host has apt). */
export async function runApt(args: AptArgs, ctx: ModuleContext, options: { forPackage?: boolean } = {}): Promise<ModuleResult> {
  const state = args.state ?? 'present';
  if (state === 'build-dep' || state === 'fixed') return { changed: false, failed: true, msg: `state=${state} is not supported by typebook's apt module (supported: present, latest, absent)` };
  const specs = (args.name ?? []).map((n) => n.trim()).filter((n) => n !== '').map(splitSpec);
  if (specs.some((s) => s.name === '*')) return { changed: false, failed: true, msg: "name '*' (every installed package) is not supported by typebook's apt module" };
  for (const s of specs) {
    if ((s.spec.match(/=/g) ?? []).length > 1) return { changed: false, failed: true, msg: `invalid package spec: ${s.spec}` };
    if (!/^[a-z0-9][a-z0-9+.:-]*$/.test(s.name)) return { changed: false, failed: true, msg: `invalid package name '${s.name}' in ${s.spec} (name patterns are not supported by typebook's apt module)` };
  }
  const wantsUpdate = args.update_cache === true || (args.cache_valid_time ?? 0) > 0;
  const lockTimeout = String(args.lock_timeout ?? 60);
  const names = [...new Set(specs.map((s) => s.name))];

  const policy = state === 'absent' ? 'none' : state === 'latest' || args.only_upgrade || specs.some((s) => s.cmp !== undefined) ? 'all' : 'missing';
  const read = await runScript(ctx, READ_SCRIPT, [wantsUpdate ? 'yes' : 'no', String(args.cache_valid_time ?? 0), ctx.check ? '1' : '0', lockTimeout, args.default_release ?? '', policy, ...names], { env: APT_ENV });
  if (read.rc !== 0) return { changed: false, failed: true, msg: `reading the package state failed: ${read.stderr.trim() || `exit code ${read.rc}`}` };
  const facts = parseSections(read.stdout);
  if (facts.has('nomgr')) {
    const found = facts.get('nomgr')?.trim();
    return { changed: false, failed: true, msg: `this host has no apt-get${found ? ` (it has ${found})` : ''}: typebook's ${options.forPackage ? 'package' : 'apt'} module manages Debian packages with apt only` };
  }
  if (facts.has('update.rc') && facts.get('update.rc')?.trim() !== '0') {
    const err = (facts.get('update.err') ?? '').trim();
    return { changed: false, failed: true, msg: `Failed to update apt cache: ${err || 'unknown reason'}` };
  }
  const cacheUpdateTime = Number(facts.get('cache_after')?.trim() ?? '0');
  const cacheUpdated = facts.has('update_due') && (ctx.check || cacheUpdateTime !== Number(facts.get('cache_before')?.trim() ?? '0'));
  const cacheFields = { cache_updated: cacheUpdated, cache_update_time: cacheUpdateTime };
  if (specs.length === 0 && !args.autoremove) return { changed: cacheUpdated, ...cacheFields };

  const installed = parseDpkgQuery(facts.get('dpkg'));
  const policies = parsePolicy(facts.get('policy'));
  const auto = new Set((facts.get('auto') ?? '').split('\n').map((l) => l.trim()).filter(Boolean));
  const dpkgOptions = (args.dpkg_options ?? 'force-confdef,force-confold').split(',').filter((o) => o.trim() !== '').flatMap((o) => ['-o', `Dpkg::Options::=--${o.trim()}`]);
  const common = ['-o', `DPkg::Lock::Timeout=${lockTimeout}`, ...dpkgOptions, ...(args.force ? ['--force-yes'] : []), ...(args.autoremove ? ['--auto-remove'] : []), ...(ctx.check ? ['--simulate'] : [])];

  let command: string[] = [];
  let manual: string[] = [];
  if (state === 'absent') {
    const remove = specs.filter((s) => {
      const i = installed.get(s.name);
      const versionInstalled = installedState(i) && (s.cmp === '=' ? fnmatch(i!.version, s.version!) : s.cmp === '>=' ? compareDebianVersions(i!.version, s.version!) >= 0 : true);
      const hasFiles = i !== undefined && 'icHUFWt'.includes(i.status[1] ?? 'n');
      return versionInstalled || (hasFiles && args.purge === true);
    });
    if (remove.length > 0) command = ['apt-get', '-q', '-y', ...common, ...(args.purge ? ['--purge'] : []), 'remove', ...remove.map((s) => s.spec)];
    else if (specs.length > 0) return { changed: false };
  } else {
    const install: string[] = [];
    for (const s of specs) {
      const i = installed.get(s.name);
      const policy = policies.get(s.name);
      if (!policy && !installedState(i)) return { changed: false, failed: true, msg: `No package matching '${s.name}' is available`, ...cacheFields };
      const isInstalled = installedState(i);
      if (!isInstalled && args.only_upgrade) continue;
      // the best version apt would install for this spec (Ansible's package_best_match)
      let best: string | undefined;
      if (s.cmp === '=') best = policy?.versions.find((v) => fnmatch(v, s.version!));
      else best = policy?.candidate;
      if (s.cmp === '>=' && best !== undefined && compareDebianVersions(best, s.version!) < 0) best = undefined;
      const virtual = policy !== undefined && policy.versions.length === 0 && !isInstalled;
      let versionInstalled = false;
      let installable: string | true | undefined;
      if (isInstalled) {
        const have = i!.version;
        versionInstalled = s.cmp === '=' ? fnmatch(have, s.version!) : s.cmp === '>=' ? compareDebianVersions(have, s.version!) >= 0 : true;
        if (best !== undefined && have !== best) installable = best;
      } else installable = virtual ? true : best;
      if (!versionInstalled && installable === undefined) return { changed: false, failed: true, msg: `no available installation candidate for ${s.spec}`, ...cacheFields };
      if (installable !== undefined && (!isInstalled || state === 'latest' || !versionInstalled)) install.push(installable === true ? s.name : `${s.name}=${installable}`);
    }
    manual = ctx.check ? [] : names.filter((n) => auto.has(n));
    if (install.length > 0) {
      command = [
        'apt-get', '-y', ...common,
        ...(args.only_upgrade ? ['--only-upgrade'] : []),
        ...(args.fail_on_autoremove ? ['--no-remove'] : []),
        'install', ...install,
        ...(args.default_release ? ['-t', args.default_release] : []),
        ...(args.install_recommends === false ? ['-o', 'APT::Install-Recommends=no'] : args.install_recommends === true ? ['-o', 'APT::Install-Recommends=yes'] : []),
        ...(args.allow_unauthenticated ? ['--allow-unauthenticated'] : []),
        ...(args.allow_downgrade ? ['--allow-downgrades'] : []),
        ...(args.allow_change_held_packages ? ['--allow-change-held-packages'] : []),
      ];
    }
  }
  if (command.length === 0 && specs.length === 0 && args.autoremove) command = ['apt-get', '-y', ...common.filter((a) => a !== '--auto-remove'), ...(args.purge ? ['--purge'] : []), 'autoremove'];
  if (command.length === 0 && manual.length === 0) return { changed: false, ...cacheFields };

  const params = [ctx.check || args.policy_rc_d === undefined ? '' : String(args.policy_rc_d), String(names.length), ...names, String(manual.length), ...manual, ...command];
  const applied = await runScript(ctx, APPLY_SCRIPT, params, { env: APT_ENV });
  const out = parseSections(applied.stdout);
  if (applied.rc !== 0) return { changed: false, failed: true, msg: applied.stderr.trim() || `exit code ${applied.rc}`, ...cacheFields };
  if (command.length === 0) return { changed: false, ...cacheFields };
  const stdout = out.get('apt.out') ?? '';
  const stderr = out.get('apt.err') ?? '';
  const rc = Number(out.get('apt.rc')?.trim() ?? '1');
  const shown = command.join(' ');
  if (rc !== 0) {
    const msg = state === 'absent' ? `'apt-get remove ${command.slice(command.indexOf('remove') + 1).join(' ')}' failed: ${stderr}` : `'${shown}' failed: ${stderr}`;
    return { changed: false, failed: true, msg, stdout, stderr, rc, ...cacheFields };
  }
  // Ansible's cleanup(): autoremove changed something when apt listed packages to remove
  const changed = command.includes('autoremove') ? stdout.includes('The following packages will be REMOVED') : true;
  const result: ModuleResult = { changed, stdout, stderr, stdout_lines: stdout.split('\n').filter((l, k, all) => k < all.length - 1 || l !== ''), ...cacheFields };
  if (ctx.diff) {
    const show = (m: Map<string, Installed>) => names.map((n) => `${n}: ${installedState(m.get(n)) ? m.get(n)!.version : '(not installed)'}\n`).join('');
    const after = ctx.check ? simulatedAfter(installed, stdout) : parseDpkgQuery(out.get('after'));
    result.diff = [{ before: show(installed), after: show(after), beforeHeader: 'packages', afterHeader: 'packages' }];
  }
  return result;
}

/** What `apt-get --simulate` says would be installed (Inst) or removed (Remv/Purg). */
function simulatedAfter(before: Map<string, Installed>, stdout: string): Map<string, Installed> {
  const after = new Map(before);
  for (const line of stdout.split('\n')) {
    const inst = /^Inst (\S+) (?:\[[^\]]*\] )?\((\S+)/.exec(line);
    if (inst) after.set(inst[1]!, { status: 'ii ', version: inst[2]! });
    const remove = /^(?:Remv|Purg) (\S+)/.exec(line);
    if (remove) after.delete(remove[1]!);
  }
  return after;
}

export default defineModule({
  name: 'apt',
  aliases: ['ansible.builtin.apt', 'ansible.legacy.apt'],
  description: 'Install, upgrade or remove Debian packages with apt-get',
  argAliases: aptArgAliases,
  args: aptArgs,
  run: (args, ctx) => runApt(args, ctx),
});

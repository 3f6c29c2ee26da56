/**
 * ansible.builtin.package_facts: the installed packages as the fact `packages` ({name: [{name, version, ...,
 * source}]}, one entry per installed version), from the package managers asked for (`manager`, default auto: all
 * of them) in order, the first usable one only or all of them (`strategy`), as Ansible 2.14's module builds it:
 *
 * - apt: what python-apt's cache calls installed (dpkg's state neither not-installed nor config-files), under its
 *   name ('libc6:i386' for a foreign architecture), with {name, version, arch, category (the Section), origin (the
 *   Origin of the first index the installed version is listed in: '' for dpkg's status file), source: 'apt'}:
 *   read with dpkg-query and apt-cache policy, so python3-apt is not needed;
 * - rpm: {name, version, release, epoch (null when none), arch}, read with `rpm -qa --queryformat` (Ansible uses the
 *   rpm Python library);
 * - pacman (`pacman -Qi`), pkg (`pkg query`), portage (`qlist -Iv | xargs -n 1024 qatom`), apk (`apk info -v`),
 *   pkg_info (`pkg_info -a`): the same commands and the same parsing as Ansible's.
 *
 * A manager whose listing fails still counts as found (as in Ansible) and gives a warning when it was asked for by
 * name. Left different: Ansible's apt and rpm need their Python libraries (without them, a warning and the manager
 * unusable); `auto` tries the managers in a fixed order (Ansible's comes from a set of classes, which also orders
 * the list in its "Could not detect" message); the category is dpkg's Section where an archive's override could give
 * python-apt another.
 *
 * Round trips: 1 (check mode the same: it changes nothing).
 */
import { Type } from '@sinclair/typebox';
import { List, StringEnum } from './args.js';
import { defineModule, type ModuleResult } from './module.js';
import { pySplit } from '../ansible/index.js';
import { parseSections, pyList, runScript, stepOf } from './system-state.js';

/** Ansible's package managers (get_all_pkg_managers), in the order `auto` tries them here */
export const MANAGERS = ['apt', 'rpm', 'pacman', 'pkg', 'portage', 'apk', 'pkg_info'] as const;
type Manager = (typeof MANAGERS)[number];

/** PKG's query atoms, in Ansible's order */
const PKG_ATOMS = ['name', 'version', 'origin', 'installed', 'automatic', 'arch', 'category', 'prefix', 'vital'];
/** dpkg-query's fields for apt: the state word, name, architecture, version, section */
const DPKG_FORMAT = '${db:Status-Status}\\t${Package}\\t${Architecture}\\t${Version}\\t${Section}\\n';
const PORTAGE_ATOMS = ['category', 'name', 'version', 'ebuild_revision', 'slots', 'prefixes', 'sufixes'];

/*
 * $1 strategy, then the managers to try in order. Per manager that is there: section found:NAME, then its listing
 * as steps (NAME.rc/.out/.err); apt's are dpkg (dpkg-query), arch, policy (apt-cache policy of the installed
 * packages) and files (apt-cache policy: the indexes and their release lines).
 */
const SCRIPT = String.raw`t=$(mktemp -d) || exit 10
trap 'rm -rf "$t"' EXIT
# Ansible's get_bin_path: PATH, then the sbin directories; not a directory, an execute bit
binpath() {
  old=$IFS; IFS=:; set -f; set -- "$1" $PATH /sbin /usr/sbin /usr/local/sbin; set +f; IFS=$old
  n=$1; shift
  for d in "$@"; do
    [ -n "$d" ] || continue
    if [ -e "$d/$n" ] && [ ! -d "$d/$n" ] && [ -x "$d/$n" ]; then printf '%s\n' "$d/$n"; return 0; fi
  done
  return 1
}
step() { label=$1; shift; "$@" >"$t/out" 2>"$t/err" </dev/null; rc=$?; section "$label.rc"; echo "$rc"; section "$label.out"; cat "$t/out"; section "$label.err"; cat "$t/err"; return "$rc"; }
# get_best_parsable_locale, for pacman: the first of Ansible's preferences that locale -a lists, else C
loc=C
if lp=$(binpath locale) && avail=$("$lp" -a 2>/dev/null </dev/null) && [ -n "$avail" ]; then
  for pref in C.utf8 C.UTF-8 en_US.utf8 en_US.UTF-8 C POSIX; do
    if printf '%s\n' "$avail" | grep -qxF -e "$pref"; then loc=$pref; break; fi
  done
fi
apt_list() {
  LC_ALL=C "$dq" -W -f '` + DPKG_FORMAT + String.raw`' >"$t/dpkg" 2>"$t/dpkg.err" </dev/null
  rc=$?; section dpkg.rc; echo "$rc"; section dpkg.out; cat "$t/dpkg"; section dpkg.err; cat "$t/dpkg.err"
  [ "$rc" = 0 ] || return 0
  a=$(dpkg --print-architecture 2>/dev/null) || a=
  section arch; echo "$a"
  awk -F'\t' -v a="$a" '$1 != "not-installed" && $1 != "config-files" { print $2 ":" ($3 == "all" ? a : $3) }' "$t/dpkg" >"$t/names"
  if [ -s "$t/names" ]; then step policy sh -c 'LC_ALL=C xargs "$0" policy <"$1"' "$ac" "$t/names"; fi
  LC_ALL=C step files "$ac" policy
}
strategy=$1; shift
found=0
for m in "$@"; do
  if [ "$found" = 1 ] && [ "$strategy" = first ]; then break; fi
  case $m in
    apt) dq=$(binpath dpkg-query) && ac=$(binpath apt-cache) || continue; section found:apt; apt_list ;;
    rpm) b=$(binpath rpm) || continue; section found:rpm
      step rpm "$b" -qa --queryformat '%{NAME}\t%{VERSION}\t%{RELEASE}\t%{EPOCH}\t%{ARCH}\n' ;;
    pacman) b=$(binpath pacman) || continue; section found:pacman; LC_ALL=$loc step pacman "$b" -Qi ;;
    pkg) b=$(binpath pkg) || continue; section found:pkg
      step pkg "$b" query "$(printf '%%n\t%%v\t%%R\t%%t\t%%a\t%%q\t%%o\t%%p\t%%V')" ;;
    portage) b=$(binpath qlist) || continue; section found:portage; step portage /bin/sh -c "$b -Iv | xargs -n 1024 qatom" ;;
    apk) b=$(binpath apk) || continue; section found:apk; step apk "$b" info -v ;;
    pkg_info) b=$(binpath pkg_info) || continue; section found:pkg_info; step pkg_info "$b" -a ;;
    *) continue ;;
  esac
  found=1
done
`;

export type PackageDetails = Record<string, unknown> & { name: string };
export type Packages = Record<string, PackageDetails[]>;

/** A listing that fails as Ansible's does: the text of its exception, for the warning. */
class ListingError extends Error {}

/** Python's str.splitlines() for the CLI listings */
function splitlines(text: string): string[] {
  const parts = text.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/);
  if (parts.at(-1) === '') parts.pop();
  return parts;
}

/** `apt-cache policy` without names: each index's description and the Origin (o=) of its release line */
export function parseIndexOrigins(text: string): Map<string, string> {
  const origins = new Map<string, string>();
  let current: string | undefined;
  for (const line of text.split('\n')) {
    const index = /^ (-?\d+) (.+)$/.exec(line);
    if (index) {
      current = index[2]!;
      origins.set(current, '');
      continue;
    }
    const release = /^ {5}release (.*)$/.exec(line);
    if (release && current !== undefined) {
      const o = release[1]!.split(',').find((f) => f.startsWith('o='));
      if (o !== undefined) origins.set(current, o.slice(2));
    }
  }
  return origins;
}

/** `apt-cache policy NAMES`: each package's installed version's first index (apt's VerFile order) */
export function parseInstalledIndexes(text: string): Map<string, string> {
  const first = new Map<string, string>();
  let name: string | undefined;
  let inInstalled = false;
  for (const line of text.split('\n')) {
    const header = /^(\S+):$/.exec(line);
    if (header) {
      name = header[1]!;
      inInstalled = false;
      continue;
    }
    const version = /^ (\*\*\*| {3}) \S+ -?\d+$/.exec(line);
    if (version) {
      inInstalled = version[1] === '***';
      continue;
    }
    const index = /^ {8}-?\d+ (.+)$/.exec(line);
    if (index && inInstalled && name !== undefined && !first.has(name)) first.set(name, index[1]!);
  }
  return first;
}

/** APT.get_packages: the installed packages of dpkg-query's listing, with their origins from apt-cache policy */
export function aptPackages(dpkg: string, arch: string, policy: string, files: string): Packages {
  const origins = parseIndexOrigins(files);
  const indexes = parseInstalledIndexes(policy);
  const packages: Packages = {};
  for (const line of dpkg.split('\n')) {
    const [status = '', pkg = '', pkgArch = '', version = '', section = ''] = line.split('\t');
    if (pkg === '' || status === 'not-installed' || status === 'config-files') continue;
    // python-apt's Package.name: the architecture only for a foreign one
    const name = pkgArch === 'all' || pkgArch === arch ? pkg : `${pkg}:${pkgArch}`;
    const index = indexes.get(`${pkg}:${pkgArch === 'all' ? arch : pkgArch}`) ?? indexes.get(name);
    const origin = index === undefined ? '' : origins.get(index) ?? '';
    (packages[name] ??= []).push({ name, version, arch: pkgArch, category: section, origin, source: 'apt' });
  }
  return packages;
}

/** rpm's queryformat lines as the rpm library's header gives them: no epoch or arch is None */
export function rpmDetails(line: string): PackageDetails {
  const [name = '', version = '', release = '', epoch = '', arch = ''] = line.split('\t');
  const none = (v: string) => v === '(none)';
  return { name, version, release, epoch: none(epoch) ? null : Number(epoch), arch: none(arch) ? null : arch };
}

/** PACMAN.get_package_details */
export function pacmanDetails(pkg: string): PackageDetails {
  const raw: Record<string, string> = {};
  let last: string | undefined;
  for (const line of splitlines(pkg)) {
    const m = /^([\p{L}\p{N}_ ]*[\p{L}\p{N}_]) +: (.*)/u.exec(line);
    if (m) {
      last = m[1]!;
      raw[last] = m[2]!;
    } else {
      if (last === undefined || raw[last] === undefined) throw new ListingError(String(last === undefined ? 'None' : `'${last}'`));
      raw[last] = `${raw[last]}  ${line.replace(/^\s+/, '')}`;
    }
  }
  const field = (key: string): string => {
    const value = raw[key];
    if (value === undefined) throw new ListingError(`'${key}'`);
    return value;
  };
  const provides = field('Provides') === 'None' ? null : field('Provides').split('  ').map((p) => p.split('=')[0]!);
  return { name: field('Name'), version: field('Version'), arch: field('Architecture'), provides };
}

/** Python's int() of a string, or Ansible's ValueError */
function pyInt(value: string): number {
  if (!/^\s*[-+]?\d+(_\d+)*\s*$/.test(value)) throw new ListingError(`invalid literal for int() with base 10: '${value}'`);
  return Number(value.replace(/_/g, ''));
}

/** PKG.get_package_details */
export function pkgDetails(line: string): Record<string, unknown> {
  const values = line.split('\t');
  const pkg: Record<string, unknown> = {};
  PKG_ATOMS.forEach((atom, k) => {
    if (k < values.length) pkg[atom] = values[k];
  });
  if ('arch' in pkg) {
    const parts = String(pkg.arch).split(':');
    if (parts.length > 2) pkg.arch = parts[2];
  }
  if ('automatic' in pkg) pkg.automatic = pyInt(String(pkg.automatic)) !== 0;
  if ('category' in pkg) pkg.category = String(pkg.category).split('/')[0];
  if ('version' in pkg) {
    let version = String(pkg.version);
    if (version.includes(',')) {
      pkg.port_epoch = version.slice(version.indexOf(',') + 1);
      version = version.slice(0, version.indexOf(','));
    } else pkg.port_epoch = 0;
    if (version.includes('_')) {
      pkg.revision = version.slice(version.indexOf('_') + 1);
      version = version.slice(0, version.indexOf('_'));
    } else pkg.revision = '0';
    pkg.version = version;
  }
  if ('vital' in pkg) pkg.vital = pyInt(String(pkg.vital)) !== 0;
  return pkg;
}

/** PORTAGE.get_package_details */
export function portageDetails(line: string): Record<string, unknown> {
  const words = pySplit(line);
  const pkg: Record<string, unknown> = {};
  PORTAGE_ATOMS.forEach((atom, k) => {
    if (k < words.length) pkg[atom] = words[k];
  });
  return pkg;
}

/** Python's str.rsplit(sep, max) */
function rsplit(text: string, sep: string, max: number): string[] {
  const parts = text.split(sep);
  return parts.length - 1 <= max ? parts : [parts.slice(0, parts.length - max).join(sep), ...parts.slice(parts.length - max)];
}

/** APK.get_package_details */
export function apkDetails(pkg: string): PackageDetails {
  const nvr = rsplit(pkg, '-', 2);
  return nvr.length === 3 ? { name: nvr[0]!, version: nvr[1]!, release: nvr[2]! } : { name: pkg, version: '', release: '' };
}

/** PKG_INFO.get_package_details */
export function pkgInfoDetails(pkg: string): PackageDetails {
  const first = pySplit(pkg)[0];
  if (first === undefined) throw new ListingError('list index out of range');
  const details = rsplit(first, '-', 1);
  return details.length === 2 ? { name: details[0]!, version: details[1]! } : { name: pkg, version: '' };
}

/** PkgMgr.get_packages: the details by name (a KeyError without one), `source` the manager's */
function collect(items: readonly string[], details: (item: string) => Record<string, unknown>, source: Manager): Packages {
  const packages: Packages = {};
  for (const item of items) {
    const pkg = details(item);
    if (!('source' in pkg)) pkg.source = source;
    if (typeof pkg.name !== 'string') throw new ListingError("'name'");
    (packages[pkg.name] ??= []).push(pkg as PackageDetails);
  }
  return packages;
}

/** One manager's packages from the script's sections (a ListingError where Ansible's listing raises) */
export function managerPackages(manager: Manager, sections: Map<string, string>): Packages {
  if (manager === 'apt') {
    const dpkg = stepOf(sections, 'dpkg')!;
    if (dpkg.rc !== 0) throw new ListingError(`dpkg-query failed (rc=${dpkg.rc}): ${dpkg.err.trim()}`);
    return aptPackages(dpkg.out, (sections.get('arch') ?? '').trim(), stepOf(sections, 'policy')?.out ?? '', stepOf(sections, 'files')?.out ?? '');
  }
  const run = stepOf(sections, manager)!;
  // PORTAGE checks only the exit code; the others fail on any stderr too
  if (run.rc !== 0 || (manager !== 'portage' && run.err !== '')) throw new ListingError(`Unable to list packages rc=${run.rc} : ${run.err}`);
  switch (manager) {
    case 'rpm': return collect(splitlines(run.out), rpmDetails, 'rpm');
    case 'pacman': return collect(run.out.split('\n\n').slice(0, -1), pacmanDetails, 'pacman');
    case 'pkg': return collect(splitlines(run.out), pkgDetails, 'pkg');
    case 'portage': return collect(splitlines(run.out), portageDetails, 'portage');
    case 'apk': return collect(splitlines(run.out), apkDetails, 'apk');
    case 'pkg_info': return collect(splitlines(run.out), pkgInfoDetails, 'pkg_info');
  }
}

/** The script's sections of one manager: its found: section up to the next one */
function managerSections(sections: Map<string, string>): Map<Manager, Map<string, string>> {
  const byManager = new Map<Manager, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const [name, body] of sections) {
    if (name.startsWith('found:')) byManager.set(name.slice(6) as Manager, (current = new Map()));
    else current?.set(name, body);
  }
  return byManager;
}

export default defineModule({
  name: 'package_facts',
  aliases: ['ansible.builtin.package_facts', 'ansible.legacy.package_facts'],
  description: "Read the host's installed packages into the fact `packages`",
  facts: ['packages'],
  args: Type.Object(
    {
      manager: Type.Optional(List(Type.String(), { default: ['auto'], description: `auto, or some of: ${MANAGERS.join(', ')}` })),
      strategy: Type.Optional(StringEnum(['first', 'all'] as const, { default: 'first', description: 'the first usable manager only, or all' })),
    },
    { additionalProperties: false },
  ),
  async run(args, ctx): Promise<ModuleResult> {
    const requested = args.manager ?? ['auto'];
    const strategy = args.strategy ?? 'first';
    const managers = requested.map((m) => m.toLowerCase());
    const auto = managers.indexOf('auto');
    if (auto >= 0) {
      // the user's order kept, deduplicated below; one 'auto' taken out, as Python's list.remove does
      managers.splice(auto, 1);
      managers.push(...MANAGERS);
    }
    const unsupported = [...new Set(managers.filter((m) => !(MANAGERS as readonly string[]).includes(m)))];
    if (unsupported.length > 0) {
      const msg = requested.includes('auto') ? 'Could not auto detect a usable package manager, check warnings for details.' : `Unsupported package managers requested: ${unsupported.join(', ')}`;
      return { changed: false, failed: true, msg };
    }
    const order = [...new Set(managers)] as Manager[];
    const r = await runScript(ctx, SCRIPT, [strategy, ...order]);
    if (r.rc !== 0) return { changed: false, failed: true, msg: `reading the packages failed: ${r.stderr.trim() || `exit code ${r.rc}`}` };
    const found = managerSections(parseSections(r.stdout));
    if (found.size === 0) {
      return { changed: false, failed: true, msg: `Could not detect a supported package manager from the following list: ${pyList(managers)}, or the required Python library is not installed. Check warnings for details.` };
    }
    const packages: Packages = {};
    const warnings: string[] = [];
    for (const [manager, sections] of found) {
      try {
        Object.assign(packages, managerPackages(manager, sections));
      } catch (error) {
        if (!(error instanceof ListingError)) throw error;
        if (requested.includes(manager)) warnings.push(`Requested package manager ${manager} was not usable by this module: ${error.message}`);
      }
    }
    return { changed: false, ansible_facts: { packages }, ...(warnings.length > 0 ? { warnings } : {}) };
  },
});

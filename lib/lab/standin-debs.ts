/**
 * Debian packages of the nova stand-in (lib/lab/nova-standin.py), with nova's package names, at two releases,
 * so that the lab rehearses the rolling upgrade with the commands a real deployment runs
 * (`apt-get install nova-api=VERSION`, `invoke-rc.d`, `nova-manage`, `nova-status`). Built with dpkg-deb
 * from files written here: no network.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './system.js';

export interface StandinRelease {
  /** Debian version, e.g. 26.2.2-1+standin */
  version: string;
  /** nova's service version, which the stand-in compares (its schema version too) */
  serviceVersion: number;
  maxMicroversion: string;
}

export const STANDIN_RELEASES: readonly StandinRelease[] = [
  { version: '26.2.2-1+standin', serviceVersion: 26, maxMicroversion: '2.93' },
  { version: '27.1.0-1+standin', serviceVersion: 27, maxMicroversion: '2.95' },
];

export const STANDIN_SERVICES = ['nova-api', 'nova-conductor', 'nova-scheduler', 'nova-compute'] as const;
export type StandinService = (typeof STANDIN_SERVICES)[number];
/** From lib/lab/ (tests), dist/lab/ and dist/cli/ (the bundle) alike: two levels up is the package root. */
const PROGRAM = fileURLToPath(new URL('../../lib/lab/nova-standin.py', import.meta.url));

export interface DebFile {
  path: string;
  content: string;
  mode: number;
}

export interface DebPackage {
  name: string;
  version: string;
  /** DEBIAN/control */
  control: string;
  /** DEBIAN/conffiles, postinst, prerm, postrm, by name */
  maintainer: Record<string, string>;
  files: DebFile[];
}

export function upstreamVersion(version: string): string {
  return version.replace(/-[^-]*$/, '');
}

export function debName(pkg: Pick<DebPackage, 'name' | 'version'>): string {
  return `${pkg.name}_${pkg.version}_all.deb`;
}

function control(fields: Record<string, string>): string {
  return Object.entries(fields).map(([k, v]) => `${k}: ${v}`).join('\n') + '\n';
}

const MAINTAINER = 'typebook lab <typebook-lab@localhost>';

export const NOVA_CONF = `# nova.conf of the nova stand-in (typebook lab). Options the stand-in reads:
[DEFAULT]
# host = NAME            (default: the host name) this host's name in the services table
# osapi_compute_listen = 0.0.0.0
# osapi_compute_listen_port = 8774

[database]
# The shared state, as nova's database, on the nova_controller host.
connection = file:///var/lib/nova/standin-db.json

[upgrade_levels]
# compute = auto         needed while computes run an older release
`;

/** SysV init script; invoke-rc.d and update-rc.d drive it, start-stop-daemon keeps the pidfile. */
export function initScript(service: StandinService): string {
  const sub = service.slice('nova-'.length);
  return `#!/bin/sh
### BEGIN INIT INFO
# Provides:          ${service}
# Required-Start:    $network $local_fs $remote_fs
# Required-Stop:     $network $local_fs $remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: ${service} (nova stand-in)
### END INIT INFO
NAME=${service}
DAEMON=/usr/bin/nova-standin
DAEMON_ARGS=${sub}
PIDFILE=/run/nova/$NAME.pid
LOGFILE=/var/log/nova/$NAME.log
[ -x "$DAEMON" ] || exit 0

running() {
	start-stop-daemon --status --pidfile "$PIDFILE" --exec /usr/bin/python3 2>/dev/null || \\
		start-stop-daemon --status --pidfile "$PIDFILE" 2>/dev/null
}

do_start() {
	mkdir -p /run/nova /var/log/nova
	if running; then echo "$NAME already running"; return 0; fi
	start-stop-daemon --start --background --make-pidfile --pidfile "$PIDFILE" \\
		--startas /bin/sh -- -c "exec $DAEMON $DAEMON_ARGS >>$LOGFILE 2>&1"
	# The stand-in refuses to start when the upgrade order is wrong: report that here, with its reason.
	i=0
	while [ $i -lt 20 ]; do
		sleep 0.1
		if ! running; then
			echo "$NAME failed to start:" >&2
			tail -n 3 "$LOGFILE" >&2
			rm -f "$PIDFILE"
			return 1
		fi
		if [ "$NAME" != nova-api ] || grep -q "listening on" "$LOGFILE" 2>/dev/null && [ $i -ge 3 ]; then return 0; fi
		i=$((i + 1))
	done
	return 0
}

do_stop() {
	# SIGTERM: the API finishes the requests in flight, then exits (up to 60 s).
	start-stop-daemon --stop --quiet --retry TERM/60/KILL/5 --pidfile "$PIDFILE"
	rc=$?
	rm -f "$PIDFILE"
	[ $rc -eq 1 ] && return 0
	return $rc
}

case "$1" in
	start) do_start ;;
	stop) do_stop ;;
	restart|force-reload) do_stop && do_start ;;
	reload) start-stop-daemon --stop --signal HUP --quiet --pidfile "$PIDFILE" ;;
	status)
		if running; then echo "$NAME is running"; exit 0; fi
		echo "$NAME is not running"; exit 3 ;;
	*) echo "Usage: /etc/init.d/$NAME {start|stop|restart|reload|force-reload|status}" >&2; exit 3 ;;
esac
`;
}

export function systemdUnit(service: StandinService): string {
  const sub = service.slice('nova-'.length);
  return `[Unit]
Description=${service} (nova stand-in)
After=network.target

[Service]
ExecStart=/usr/bin/nova-standin ${sub}
ExecReload=/bin/kill -HUP $MAINPID
KillSignal=SIGTERM
TimeoutStopSec=60
Restart=on-failure
RuntimeDirectory=nova

[Install]
WantedBy=multi-user.target
`;
}

/** As debhelper's dh_installinit/dh_installsystemd write them: the service starts on install. */
function servicePostinst(service: StandinService): string {
  return `#!/bin/sh
set -e
if [ "$1" = configure ] || [ "$1" = abort-upgrade ]; then
	update-rc.d ${service} defaults >/dev/null
	if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null || true; fi
	if [ -n "$2" ]; then
		invoke-rc.d ${service} restart
	else
		invoke-rc.d ${service} start
	fi
fi
`;
}

function servicePrerm(service: StandinService): string {
  // On upgrade the old code keeps running until postinst restarts it (what policy-rc.d 101 relies on).
  return `#!/bin/sh
set -e
if [ "$1" = remove ]; then
	invoke-rc.d ${service} stop || true
fi
`;
}

function servicePostrm(service: StandinService): string {
  return `#!/bin/sh
set -e
if [ "$1" = purge ]; then update-rc.d ${service} remove >/dev/null; fi
`;
}

/** The five packages of one release: pure, so that their contents are unit-tested without dpkg. */
export function standinPackages(release: StandinRelease, program: string): DebPackage[] {
  const upstream = upstreamVersion(release.version);
  const releaseJson =
    JSON.stringify({ version: upstream, service_version: release.serviceVersion, max_microversion: release.maxMicroversion }) + '\n';
  const common: DebPackage = {
    name: 'nova-common',
    version: release.version,
    control: control({
      Package: 'nova-common',
      Version: release.version,
      Architecture: 'all',
      Maintainer: MAINTAINER,
      Depends: 'python3',
      Section: 'net',
      Priority: 'optional',
      Description: `nova stand-in ${upstream} - common files (not OpenStack nova)\n A stand-in for rehearsing nova's rolling upgrade in the typebook lab: nova-manage,\n nova-status, /etc/nova/nova.conf and the program behind every service.`,
    }),
    maintainer: {
      conffiles: '/etc/nova/nova.conf\n',
      postinst: '#!/bin/sh\nset -e\nmkdir -p /var/lib/nova /var/log/nova /run/nova\n',
    },
    files: [
      { path: 'usr/bin/nova-standin', content: program, mode: 0o755 },
      { path: 'usr/bin/nova-manage', content: '#!/bin/sh\nexec /usr/bin/nova-standin manage "$@"\n', mode: 0o755 },
      { path: 'usr/bin/nova-status', content: '#!/bin/sh\nexec /usr/bin/nova-standin status "$@"\n', mode: 0o755 },
      { path: 'usr/share/nova-standin/release.json', content: releaseJson, mode: 0o644 },
      { path: 'etc/nova/nova.conf', content: NOVA_CONF, mode: 0o644 },
    ],
  };
  const services = STANDIN_SERVICES.map(
    (service): DebPackage => ({
      name: service,
      version: release.version,
      control: control({
        Package: service,
        Version: release.version,
        Architecture: 'all',
        Maintainer: MAINTAINER,
        Depends: `nova-common (= ${release.version})`,
        Section: 'net',
        Priority: 'optional',
        Description: `nova stand-in ${upstream} - ${service} (not OpenStack nova)\n The ${service} service of the typebook lab's nova stand-in.`,
      }),
      maintainer: {
        conffiles: `/etc/init.d/${service}\n`,
        postinst: servicePostinst(service),
        prerm: servicePrerm(service),
        postrm: servicePostrm(service),
      },
      files: [
        { path: `etc/init.d/${service}`, content: initScript(service), mode: 0o755 },
        { path: `lib/systemd/system/${service}.service`, content: systemdUnit(service), mode: 0o644 },
      ],
    }),
  );
  return [common, ...services];
}

/** Writes the ten .debs into dir with dpkg-deb; returns their file names. */
export async function buildStandinDebs(dir: string): Promise<string[]> {
  const program = readFileSync(PROGRAM, 'utf8');
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const written: string[] = [];
  const work = mkdtempSync(join(tmpdir(), 'standin-debs-'));
  try {
    for (const release of STANDIN_RELEASES) {
      for (const pkg of standinPackages(release, program)) {
        const root = join(work, `${pkg.name}_${pkg.version}`);
        for (const f of pkg.files) writeTree(join(root, f.path), f.content, f.mode);
        writeTree(join(root, 'DEBIAN/control'), pkg.control, 0o644);
        for (const [name, content] of Object.entries(pkg.maintainer)) {
          writeTree(join(root, 'DEBIAN', name), content, name === 'conffiles' ? 0o644 : 0o755);
        }
        const file = debName(pkg);
        await run('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', root, join(dir, file)]);
        written.push(file);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return written;
}

function writeTree(path: string, content: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  writeFileSync(path, content, { mode });
  chmodSync(path, mode); // the umask must not decide a package's modes
}

/** Adds the stand-in's .debs to a lab repository (its `standin/` directory and the Packages index). */
export async function addStandinToRepo(repoDir: string): Promise<void> {
  await buildStandinDebs(join(repoDir, 'standin'));
  const index = await run('dpkg-scanpackages', ['--multiversion', 'standin', '/dev/null'], { cwd: repoDir });
  const packages = join(repoDir, 'Packages');
  const before = readFileSync(packages, 'utf8');
  writeFileSync(packages, (before.trim() ? before.trimEnd() + '\n\n' : '') + index.stdout, { mode: 0o644 });
}

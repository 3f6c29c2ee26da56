/**
 * ansible.builtin.systemd_service (also ansible.builtin.systemd): a unit's running state, whether it starts at
 * boot, whether it is masked, and `systemctl daemon-reload` / `daemon-reexec`, as ansible-core 2.14's module
 * decides them: `systemctl show` for the state (its properties come back as `status`), `systemctl is-enabled`
 * for enabled and masked, every command with the scope's, no_block's and force's options.
 *
 * Without a running systemd (no /run/systemd/system: the lab's hosts, containers), systemctl still edits unit
 * files offline, so `enabled` and `masked` go through it as with Ansible (which agrees afterwards, both ways);
 * `state` falls back to the SysV init script (`service NAME ACTION`) as the service module does, where Ansible's
 * module fails with "Service is in unknown state"; daemon_reload and daemon_reexec fail with systemctl's own
 * error, as Ansible's do. A host without systemctl at all gets the service module's SysV behaviour for state
 * and enabled, and a clear error for masked, daemon_reload and daemon_reexec.
 *
 * Round trips: 1 to read (and daemon-reload/reexec first, as Ansible runs them before reading); 1 more to act
 * when something changes (1 more read after a mask change when `enabled` is also given, as Ansible reads
 * is-enabled after masking). Check mode and a run that changes nothing: 1.
 */
import { Type } from '@sinclair/typebox';
import { StringEnum } from './args.js';
import { defineModule, type ModuleContext, type ModuleResult } from './module.js';
import { sysvRunning } from './service.js';
import { C_LOCALE, parseSections, runScript, stepOf } from './system-state.js';

const PREAMBLE = String.raw`t=$(mktemp -d) || exit 10
trap 'rm -rf "$t"' EXIT
PATH=$PATH:/sbin:/usr/sbin:/usr/local/sbin
if [ -z "$XDG_RUNTIME_DIR" ]; then XDG_RUNTIME_DIR=/run/user/$(id -u); export XDG_RUNTIME_DIR; fi
step() { label=$1; shift; "$@" >"$t/out" 2>"$t/err" </dev/null; rc=$?; section "$label.rc"; echo "$rc"; section "$label.out"; cat "$t/out"; section "$label.err"; cat "$t/err"; return "$rc"; }
sc=$(command -v systemctl) || sc=
`;

/*
 * $1 unit ('' for none)  $2 daemon-reload (1/0)  $3 daemon-reexec (1/0)  $4 SysV status wanted (1/0); then
 * systemctl's options (--user, --no-block, --force). A failing daemon-reload or -reexec ends the script.
 */
const READ_SCRIPT = PREAMBLE + String.raw`name=$1 reload=$2 reexec=$3 sysv=$4; shift 4
section mgr; if [ -d /run/systemd/system ]; then echo systemd; else echo sysvinit; fi
section systemctl; echo "$sc"
if [ -n "$sc" ]; then
  if [ "$reload" = 1 ]; then step daemon_reload "$sc" "$@" daemon-reload || exit 0; fi
  if [ "$reexec" = 1 ]; then step daemon_reexec "$sc" "$@" daemon-reexec || exit 0; fi
fi
[ -n "$name" ] || exit 0
section initd; if [ -e "/etc/init.d/$name" ]; then echo yes; else echo no; fi
section sysv_enabled; if ls /etc/rc?.d/S??"$name" >/dev/null 2>&1; then echo yes; else echo no; fi
section sysv_disabled_links; if ls /etc/rc?.d/K??"$name" >/dev/null 2>&1; then echo yes; else echo no; fi
if [ -n "$sc" ]; then
  step show "$sc" "$@" show "$name"
  step is_enabled "$sc" "$@" is-enabled "$name"
  state=$(cat "$t/out")
  step is_enabled_l "$sc" "$@" is-enabled "$name" -l
  case $state in
    enabled|enabled-runtime|linked|linked-runtime|masked|masked-runtime|static|indirect|disabled|generated|transient) ;;
    *) step list "$sc" "$@" list-unit-files "$name" || step bare "$sc" "$@" ;;
  esac
fi
if [ "$sysv" = 1 ] && [ -e "/etc/init.d/$name" ]; then step sysv_status service "$name" status; fi
exit 0
`;

/*
 * $1 unit  $2 mask|unmask|-  $3 found (1/0: a failed mask is then ignored, as Ansible does)  $4 enable|disable|-
 * $5 systemctl|update-rc.d (how to enable)  $6 start|stop|reload|restart|-  $7 systemctl|service (how to act);
 * then systemctl's options. The first failing step (but a mask of a found unit) ends the script.
 */
const APPLY_SCRIPT = PREAMBLE + String.raw`name=$1 mask=$2 found=$3 enable=$4 enabler=$5 action=$6 actor=$7; shift 7
if [ "$mask" != - ]; then step mask "$sc" "$@" "$mask" "$name" || [ "$found" = 1 ] || exit 0; fi
if [ "$enable" != - ]; then
  if [ "$enabler" = systemctl ]; then step enable "$sc" "$@" "$enable" "$name" || exit 0
  else
    if [ "$enable" = enable ] && ! ls /etc/rc?.d/K??"$name" >/dev/null 2>&1; then step defaults update-rc.d "$name" defaults || exit 0; fi
    step enable update-rc.d "$name" "$enable" || exit 0
  fi
fi
if [ "$action" != - ]; then
  if [ "$actor" = systemctl ]; then step action "$sc" "$@" "$action" "$name"
  elif [ "$action" = restart ]; then step stop service "$name" stop; step action service "$name" start
  else step action service "$name" "$action"; fi
fi
exit 0
`;

const VALID_ENABLED_STATES = ['enabled', 'enabled-runtime', 'linked', 'linked-runtime', 'masked', 'masked-runtime', 'static', 'indirect', 'disabled', 'generated', 'transient'];

/** Ansible's parse_systemctl_show: `Key=value` lines; only Exec* values in braces may span lines. */
export function parseSystemctlShow(text: string): Record<string, string> {
  const parsed: Record<string, string> = {};
  let key: string | undefined;
  let multi: string[] = [];
  for (const line of text.split('\n')) {
    if (key === undefined) {
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      const k = line.slice(0, eq);
      const v = line.slice(eq + 1);
      if (k.startsWith('Exec') && v.trimStart().startsWith('{') && !v.trimEnd().endsWith('}')) {
        key = k;
        multi.push(v);
        continue;
      }
      parsed[k] = v.trim();
    } else {
      multi.push(line);
      if (line.trimEnd().endsWith('}')) {
        parsed[key] = multi.join('\n').trim();
        multi = [];
        key = undefined;
      }
    }
  }
  return parsed;
}

function requestWasIgnored(out: string): boolean {
  return !out.includes('=') && (out.includes('ignoring request') || out.includes('ignoring command'));
}

type Action = 'start' | 'stop' | 'reload' | 'restart';

const lines = (text: string): string[] => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));

export default defineModule({
  name: 'systemd_service',
  aliases: ['systemd', 'ansible.builtin.systemd_service', 'ansible.legacy.systemd_service', 'ansible.builtin.systemd', 'ansible.legacy.systemd'],
  description: 'Start, stop, restart or reload a systemd unit, enable or mask it, reload systemd (SysV init scripts where systemd is not running)',
  argAliases: { service: 'name', unit: 'name', 'daemon-reload': 'daemon_reload', 'daemon-reexec': 'daemon_reexec' },
  rules: {
    required_one_of: [['state', 'enabled', 'masked', 'daemon_reload', 'daemon_reexec']],
    required_by: { state: ['name'], enabled: ['name'], masked: ['name'] },
  },
  args: Type.Object(
    {
      name: Type.Optional(Type.String({ minLength: 1, description: 'the unit (.service when no suffix is given); optional with daemon_reload or daemon_reexec alone' })),
      state: Type.Optional(StringEnum(['reloaded', 'restarted', 'started', 'stopped'] as const)),
      enabled: Type.Optional(Type.Boolean({ description: 'start at boot' })),
      force: Type.Optional(Type.Boolean({ description: 'systemctl --force (enable over conflicting symlinks)' })),
      masked: Type.Optional(Type.Boolean({ description: 'masked: the unit cannot be started (linked to /dev/null)' })),
      daemon_reload: Type.Optional(Type.Boolean({ default: false, description: '`systemctl daemon-reload` before anything else' })),
      daemon_reexec: Type.Optional(Type.Boolean({ default: false, description: '`systemctl daemon-reexec` before anything else' })),
      scope: Type.Optional(StringEnum(['system', 'user', 'global'] as const, { default: 'system', description: "systemctl's manager: the system's, the user's (--user), or every user's (--global)" })),
      no_block: Type.Optional(Type.Boolean({ default: false, description: 'systemctl --no-block: queue the job, do not wait for it' })),
    },
    { additionalProperties: false },
  ),
  async run(args, ctx): Promise<ModuleResult> {
    const unit = args.name;
    if (unit !== undefined) {
      for (const glob of ['*', '?', '[']) {
        if (unit.includes(glob)) return { changed: false, failed: true, msg: `This module does not currently support using glob patterns, found '${glob}' in service name: ${unit}` };
      }
      if (unit.includes('\n')) return { changed: false, failed: true, msg: 'the unit name cannot contain a newline' };
    }
    const scope = args.scope ?? 'system';
    const options = [...(scope !== 'system' ? [`--${scope}`] : []), ...(args.no_block ? ['--no-block'] : []), ...(args.force ? ['--force'] : [])];
    const reload = args.daemon_reload === true && !ctx.check;
    const reexec = args.daemon_reexec === true && !ctx.check;
    const read = async (): Promise<Map<string, string> | ModuleResult> => {
      const r = await runScript(ctx, READ_SCRIPT, [unit ?? '', reload ? '1' : '0', reexec ? '1' : '0', args.state !== undefined ? '1' : '0', ...options], { env: C_LOCALE });
      if (r.rc !== 0) return { changed: false, failed: true, msg: `reading the state of ${unit ?? 'systemd'} failed: ${r.stderr.trim() || `exit code ${r.rc}`}` };
      return parseSections(r.stdout);
    };
    let facts = await read();
    if (!(facts instanceof Map)) return facts;
    const systemctl = facts.get('systemctl')?.trim() ?? '';
    const systemdRunning = facts.get('mgr')?.trim() === 'systemd';
    const systemctlCommand = [systemctl, ...options].join(' ');

    if (systemctl === '' && (args.daemon_reload || args.daemon_reexec || args.masked !== undefined)) {
      const what = [args.daemon_reload ? 'daemon_reload' : '', args.daemon_reexec ? 'daemon_reexec' : '', args.masked !== undefined ? 'masked' : ''].filter(Boolean).join(', ');
      return { changed: false, failed: true, msg: `Failed to find required executable "systemctl": this host has no systemd, which ${what} needs` };
    }
    for (const [flag, label] of [['daemon_reload', 'daemon-reload'], ['daemon_reexec', 'daemon-reexec']] as const) {
      const step = stepOf(facts, flag);
      if (step && step.rc !== 0) return { changed: false, failed: true, msg: `failure ${step.rc} during ${label}: ${step.err}` };
    }

    const result: ModuleResult = { name: unit ?? null, changed: false, status: {} };
    if (unit === undefined) return result;

    const isInitd = facts.get('initd')?.trim() === 'yes';
    let isSystemd = false;
    let status: Record<string, string> = {};
    if (systemctl !== '') {
      const show = stepOf(facts, 'show')!;
      if (show.rc === 0 && !requestWasIgnored(show.out) && !requestWasIgnored(show.err)) {
        if (show.out !== '') {
          status = parseSystemctlShow(show.out);
          result.status = status;
          isSystemd = 'LoadState' in status && status.LoadState !== 'not-found';
          const isMasked = status.LoadState === 'masked';
          if (isSystemd && !isMasked && 'LoadError' in status) return { ...result, failed: true, msg: `Error loading unit file '${unit}': ${status.LoadError}` };
        }
      } else if (VALID_ENABLED_STATES.includes(stepOf(facts, 'is_enabled')!.out.trim())) {
        isSystemd = true;
      } else if (stepOf(facts, 'list')?.rc === 0) {
        isSystemd = true;
      } else {
        const bare = stepOf(facts, 'bare');
        if (bare && bare.rc !== 0) {
          return {
            changed: false, failed: true, cmd: systemctlCommand, msg: bare.err.replace(/\s+$/, '') || bare.out, rc: bare.rc,
            stdout: bare.out, stderr: bare.err, stdout_lines: lines(bare.out), stderr_lines: lines(bare.err),
          };
        }
      }
    }
    const found = isSystemd || isInitd;
    const warnings: string[] = [];
    if (isInitd && !isSystemd && systemctl !== '') warnings.push(`The service (${unit}) is actually an init script but the system is managed by systemd`);
    const missing = (): ModuleResult => ({ changed: false, failed: true, msg: `Could not find the requested service ${unit}: host` });

    let mask: 'mask' | 'unmask' | '-' = '-';
    if (args.masked !== undefined) {
      const masked = stepOf(facts, 'is_enabled')!.out.trim() === 'masked';
      if (masked !== args.masked) {
        result.changed = true;
        mask = args.masked ? 'mask' : 'unmask';
      }
    }
    if (mask !== '-' && args.enabled !== undefined && !ctx.check) {
      // Ansible reads is-enabled after masking: mask now, then read again
      const masking = await apply(ctx, [unit, mask, found ? '1' : '0', '-', '-', '-', '-', ...options]);
      const failed = stepOf(masking, 'mask');
      if (failed && failed.rc !== 0 && !found) return missing();
      mask = '-';
      const again = await runScript(ctx, READ_SCRIPT, [unit, '0', '0', args.state !== undefined ? '1' : '0', ...options], { env: C_LOCALE });
      facts = parseSections(again.stdout);
    }

    let enable: 'enable' | 'disable' | '-' = '-';
    const enabler = systemctl !== '' ? 'systemctl' : 'update-rc.d';
    if (args.enabled !== undefined) {
      if (!found) return missing();
      let enabled = false;
      if (systemctl !== '') {
        const isEnabled = stepOf(facts, 'is_enabled_l')!;
        if (isEnabled.rc === 0) {
          enabled = true;
          const said = lines(isEnabled.out);
          if (said.length === 1 && (said[0] === 'indirect' || said[0] === 'alias')) enabled = false;
        } else if (isEnabled.rc === 1) {
          if (scope === 'system' && isInitd && !isEnabled.out.trim().endsWith('disabled') && facts.get('sysv_enabled')?.trim() === 'yes') enabled = true;
        }
      } else enabled = facts.get('sysv_enabled')?.trim() === 'yes';
      result.enabled = enabled;
      if (enabled !== args.enabled) {
        result.changed = true;
        enable = args.enabled ? 'enable' : 'disable';
        result.enabled = !enabled;
      }
    }

    let action: Action | '-' = '-';
    let actor: 'systemctl' | 'service' = 'systemctl';
    if (args.state !== undefined) {
      if (!found) return missing();
      result.state = args.state;
      const requested = args.state;
      let running: boolean;
      let deactivating = false;
      if ('ActiveState' in status) {
        running = ['active', 'activating'].includes(status.ActiveState!);
        deactivating = status.ActiveState === 'deactivating';
      } else if (!systemdRunning && isInitd) {
        // no systemd running: the init script, as the service module does
        actor = 'service';
        const sysv = stepOf(facts, 'sysv_status');
        const reading = sysv === undefined ? undefined : sysvRunning(unit, sysv.rc, sysv.out);
        if (reading === undefined) return { ...result, failed: true, msg: 'failed determining service state, possible typo of service name?' };
        running = reading;
      } else {
        const why = systemdRunning ? '' : `: systemd is not running on this host and there is no /etc/init.d/${unit} to fall back to`;
        return { ...result, changed: false, failed: true, msg: `Service is in unknown state${why}`, status };
      }
      if (requested === 'started') action = running ? '-' : 'start';
      else if (requested === 'stopped') action = running || deactivating ? 'stop' : '-';
      else {
        action = running ? (requested === 'restarted' ? 'restart' : 'reload') : 'start';
        result.state = 'started';
      }
      if (action !== '-') result.changed = true;
    }
    if (warnings.length > 0) result.warnings = warnings;
    if (ctx.check || (mask === '-' && enable === '-' && action === '-')) return result;

    const applied = await apply(ctx, [unit, mask, found ? '1' : '0', enable, enabler, action, actor, ...options]);
    const maskStep = stepOf(applied, 'mask');
    if (maskStep && maskStep.rc !== 0 && !found) return missing();
    for (const label of ['defaults', 'enable']) {
      const step = stepOf(applied, label);
      if (step && step.rc !== 0) return { ...result, failed: true, msg: `Unable to ${enable} service ${unit}: ${step.out}${step.err}` };
    }
    const acted = stepOf(applied, 'action');
    if (acted && acted.rc !== 0) {
      const err = acted.err !== '' || actor === 'systemctl' ? acted.err : acted.out;
      return { ...result, failed: true, msg: `Unable to ${action} service ${unit}: ${err}` };
    }
    if (action !== '-' && acted === undefined) return { ...result, failed: true, msg: `changing ${unit} failed: the host script stopped early` };
    return result;
  },
});

async function apply(ctx: ModuleContext, params: string[]): Promise<Map<string, string>> {
  const r = await runScript(ctx, APPLY_SCRIPT, params, { env: C_LOCALE });
  return parseSections(r.stdout);
}

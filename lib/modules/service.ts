/**
 * ansible.builtin.service: a service's running state and whether it starts at boot (systemd's own module, with
 * masked and daemon_reload, is systemd.ts).
 *
 * The service manager is systemd when /run/systemd/system exists (as systemd itself decides), else SysV init:
 * `service NAME ACTION` with /etc/init.d/NAME, and update-rc.d links for `enabled`. The running state comes from
 * the service's status (Ansible's reading of LSB exit codes and words), or from the process table with `pattern`.
 *
 * Round trips: 1 to read (manager, status or process table, boot links); 1 more to act when something must
 * change (enable/disable, then start/stop/reload/restart). Check mode and a run that changes nothing: 1.
 * The name and arguments go to the host on standard input, so the process table never shows them (`pattern`
 * would otherwise find the module's own command).
 */
import { Type } from '@sinclair/typebox';
import { shlexSplit } from '../ansible/index.js';
import { StringEnum } from './args.js';
import { defineModule, type ModuleResult } from './module.js';
import { C_LOCALE, parseSections, runScript } from './system-state.js';

/** stdin: name, then what to read (status, ps, enabled), then one argument word per line. */
const READ_SCRIPT = String.raw`
IFS= read -r name; IFS= read -r want
set --; while IFS= read -r word; do set -- "$@" "$word"; done
t=$(mktemp -d) || exit 10
trap 'rm -rf "$t"' EXIT
if [ -d /run/systemd/system ]; then mgr=systemd; else mgr=sysvinit; fi
section mgr; echo "$mgr"
case " $want " in *" status "*)
  if [ "$mgr" = systemd ]; then
    systemctl show "$name" -p LoadState -p ActiveState --no-pager >"$t/out" 2>"$t/err" </dev/null
  elif [ -e "/etc/init.d/$name" ]; then
    service "$name" status "$@" >"$t/out" 2>"$t/err" </dev/null
  else
    false
  fi
  rc=$?; section status.rc; echo "$rc"; section status.out; cat "$t/out"; section status.err; cat "$t/err"
esac
case " $want " in *" enabled "*)
  section enabled
  if [ "$mgr" = systemd ]; then
    systemctl is-enabled "$name" >/dev/null 2>&1 && echo yes || echo no
  else
    if ls /etc/rc?.d/S??"$name" >/dev/null 2>&1; then echo yes; else echo no; fi
  fi
esac
section initscript; [ -e "/etc/init.d/$name" ] && echo yes || echo no
case " $want " in *" ps "*) section ps; ps auxww | awk -v self=$$ '$2 != self';; esac
exit 0
`;

/**
 * stdin: name, manager, enable (enable/disable/-), action (start/stop/reload/restart/-), sleep seconds,
 * then one argument word per line. Each step's exit code and output come back in
 * sections; the first failing step ends the script. Output goes to files, not the connection, so a daemon
 * that keeps its inherited descriptors does not hold the session open.
 */
const APPLY_SCRIPT = String.raw`
IFS= read -r name; IFS= read -r mgr; IFS= read -r enable; IFS= read -r action; IFS= read -r pause
set --; while IFS= read -r word; do set -- "$@" "$word"; done
t=$(mktemp -d) || exit 10
trap 'rm -rf "$t"' EXIT
step() { label=$1; shift; "$@" >"$t/out" 2>"$t/err" </dev/null; rc=$?; section "$label.rc"; echo "$rc"; section "$label.out"; cat "$t/out"; section "$label.err"; cat "$t/err"; return "$rc"; }
if [ "$mgr" = systemd ]; then
  if [ "$enable" != - ]; then step enable systemctl "$enable" "$name" || exit 1; fi
  if [ "$action" != - ]; then step action systemctl "$action" "$name" "$@" || exit 1; fi
  exit 0
fi
if [ "$enable" = enable ] && ! ls /etc/rc?.d/K??"$name" >/dev/null 2>&1; then step defaults update-rc.d "$name" defaults || exit 1; fi
if [ "$enable" != - ]; then step enable update-rc.d "$name" "$enable" || exit 1; fi
case "$action" in
  -) ;;
  restart)
    # not every init script has restart: stop, pause, start, as Ansible does
    step stop service "$name" stop "$@"
    [ "$pause" -gt 0 ] 2>/dev/null && sleep "$pause"
    step start service "$name" start "$@" ;;
  *) step action service "$name" "$action" "$@" ;;
esac
exit 0
`;

/** Ansible's reading of a SysV status: LSB exit codes first, then the words of a one-line answer. */
export function sysvRunning(name: string, rc: number, stdout: string): boolean | undefined {
  if ([1, 2, 3, 4, 69].includes(rc)) return false;
  if ((stdout.match(/\n/g) ?? []).length <= 1) {
    const clean = stdout.toLowerCase().split(name.toLowerCase()).join('');
    if (clean.includes('stop')) return false;
    if (clean.includes('run')) return !clean.includes('not ');
    if (clean.includes('start') && !clean.includes('not ')) return true;
    for (const dead of ['could not access pid file', 'is dead and pid file exists', 'dead but subsys locked', 'dead but pid file exists']) {
      if (clean.includes(dead)) return false;
    }
  }
  if (rc === 0) return true;
  return undefined;
}

/** systemd: active (or on its way there) is running. */
function systemdRunning(show: string): boolean | undefined {
  const state = /^ActiveState=(.*)$/m.exec(show)?.[1];
  if (state === undefined) return undefined;
  return ['active', 'activating', 'reloading'].includes(state);
}

type State = 'started' | 'stopped' | 'restarted' | 'reloaded';

export default defineModule({
  name: 'service',
  rules: { required_one_of: [['state', 'enabled']] },
  aliases: ['ansible.builtin.service', 'ansible.legacy.service'],
  description: 'Start, stop, restart or reload a service and choose whether it starts at boot (systemd or SysV init)',
  argAliases: { args: 'arguments' },
  args: Type.Object(
    {
      name: Type.String({ minLength: 1, description: 'the service (SysV: /etc/init.d/NAME; systemd: the unit)' }),
      state: Type.Optional(StringEnum(['started', 'stopped', 'restarted', 'reloaded'] as const)),
      enabled: Type.Optional(Type.Boolean({ description: 'start at boot' })),
      pattern: Type.Optional(Type.String({ description: 'running means: a line of `ps auxww` contains this text' })),
      sleep: Type.Optional(Type.Integer({ minimum: 0, description: 'seconds between stop and start when restarting' })),
      arguments: Type.Optional(Type.String({ default: '', description: 'more words for the service command line' })),
      runlevel: Type.Optional(Type.String({ default: 'default', description: 'accepted for compatibility (OpenRC)' })),
    },
    { additionalProperties: false },
  ),
  async run(args, ctx): Promise<ModuleResult> {
    const name = args.name;
    const state: State | undefined = args.state;
    let words: string[];
    try {
      words = shlexSplit(args.arguments ?? '');
    } catch (err) {
      return { changed: false, failed: true, msg: `arguments: ${(err as Error).message}` };
    }
    if ([name, ...words].some((w) => w.includes('\n'))) return { changed: false, failed: true, msg: 'name and arguments cannot contain a newline' };

    const want = [state !== undefined && args.pattern === undefined ? 'status' : '', args.pattern !== undefined ? 'ps' : '', args.enabled !== undefined ? 'enabled' : ''].filter(Boolean);
    const read = await runScript(ctx, READ_SCRIPT, [], { stdin: [name, want.join(' '), ...words].join('\n') + '\n', env: C_LOCALE });
    if (read.rc !== 0) return { changed: false, failed: true, msg: `reading the state of ${name} failed: ${read.stderr.trim()}` };
    const facts = parseSections(read.stdout);
    const manager = facts.get('mgr')?.trim() === 'systemd' ? 'systemd' : 'sysvinit';
    if (manager === 'sysvinit' && facts.get('initscript')?.trim() !== 'yes' && (state !== undefined || args.enabled !== undefined)) {
      return { changed: false, failed: true, name, msg: `cannot find the service ${name}: no /etc/init.d/${name} on this host (service manager: SysV init, no systemd), possible typo in service name?` };
    }

    const result: ModuleResult = { changed: false, name };
    let enable: 'enable' | 'disable' | '-' = '-';
    if (args.enabled !== undefined) {
      const isEnabled = facts.get('enabled')?.trim() === 'yes';
      if (isEnabled !== args.enabled) enable = args.enabled ? 'enable' : 'disable';
      result.enabled = args.enabled;
    }

    let action: 'start' | 'stop' | 'reload' | 'restart' | '-' = '-';
    if (state !== undefined) {
      let running: boolean | undefined;
      if (args.pattern !== undefined) {
        const pattern = args.pattern;
        running = (facts.get('ps') ?? '').split('\n').some((line) => line.includes(pattern) && !line.includes('pattern='));
      } else {
        const rc = Number(facts.get('status.rc')?.trim() ?? '1');
        const out = facts.get('status.out') ?? '';
        if (manager === 'systemd') {
          if (/^LoadState=not-found$/m.test(out)) return { changed: false, failed: true, name, msg: `Could not find the requested service ${name}: host` };
          running = systemdRunning(out);
        } else running = sysvRunning(name, rc, out);
      }
      if (running === undefined) return { changed: false, failed: true, name, msg: 'failed determining service state, possible typo of service name?' };
      if (state === 'started' && !running) action = 'start';
      else if (state === 'reloaded') action = running ? 'reload' : 'start';
      else if (state === 'stopped' && running) action = 'stop';
      else if (state === 'restarted') action = 'restart';
      result.state = state === 'stopped' ? 'stopped' : 'started';
    }

    result.changed = enable !== '-' || action !== '-';
    if (ctx.check || !result.changed) return result;

    const applied = await runScript(ctx, APPLY_SCRIPT, [], {
      stdin: [name, manager, enable, action, String(args.sleep ?? 0), ...words].join('\n') + '\n',
      env: C_LOCALE,
    });
    const out = parseSections(applied.stdout);
    const failure = (step: string): ModuleResult | undefined => {
      const rc = out.get(`${step}.rc`);
      if (rc === undefined || rc.trim() === '0') return undefined;
      const err = out.get(`${step}.err`) ?? '';
      return { ...result, failed: true, msg: err.trim() !== '' ? err : (out.get(`${step}.out`) ?? '') };
    };
    for (const step of ['defaults', 'enable', 'action']) {
      const failed = failure(step);
      if (failed) return failed;
    }
    if (action === 'restart' && out.get('start.rc')?.trim() !== '0') {
      // Ansible's restart: a failed start is the failure, with both steps' output
      const text = (out.get('stop.err') ?? '') + (out.get('start.err') ?? '') || (out.get('stop.out') ?? '') + (out.get('start.out') ?? '');
      return { ...result, failed: true, msg: text };
    }
    if (applied.rc !== 0 && applied.rc !== 1) return { ...result, failed: true, msg: `changing ${name} failed: ${applied.stderr.trim() || `exit code ${applied.rc}`}` };
    return result;
  },
});

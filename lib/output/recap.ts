/** Ansible's PLAY RECAP, in its exact layout, so that people and scripts that read Ansible's recap read ours. */
import { Chalk } from 'chalk';
import type { HostStats } from '../engine/events.js';

export function colorizer(enabled: boolean): InstanceType<typeof Chalk> {
  return new Chalk({ level: enabled ? 1 : 0 });
}

/** `node1                      : ok=5    changed=1    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   ` */
export function recapLines(stats: Record<string, HostStats>, color: boolean): string[] {
  const c = colorizer(color);
  const field = (name: string, n: number, paint: (s: string) => string) => {
    const text = `${name}=${String(n).padEnd(4)}`;
    return n > 0 ? paint(text) : text;
  };
  return Object.keys(stats)
    .sort()
    .map((host) => {
      const s = stats[host]!;
      const hostColor = s.failed > 0 || s.unreachable > 0 ? c.red : s.changed > 0 ? c.yellow : c.green;
      return [
        `${hostColor(host.padEnd(26))} :`,
        field('ok', s.ok, c.green),
        field('changed', s.changed, c.yellow),
        field('unreachable', s.unreachable, c.red),
        field('failed', s.failed, c.red),
        field('skipped', s.skipped, c.cyan),
        field('rescued', s.rescued, c.magenta),
        field('ignored', s.ignored, c.blue),
      ].join(' ');
    });
}

export function banner(title: string, width = 80): string {
  return `${title} ${'*'.repeat(Math.max(3, width - title.length - 1))}`;
}

/** one line after the recap: wall time, hosts, tasks */
export function summaryLine(durationMs: number, hosts: number, tasks: number, interrupted = false): string {
  const seconds = durationMs / 1000;
  return `${interrupted ? 'INTERRUPTED after' : 'Finished in'} ${seconds < 10 ? seconds.toFixed(2) : seconds.toFixed(1)}s: ${hosts} host${hosts === 1 ? '' : 's'}, ${tasks} task${tasks === 1 ? '' : 's'}`;
}

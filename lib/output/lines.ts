/**
 * Output for CI and pipes: one line per event, each host result naming its host, in Ansible's words
 * (`ok: [node1]`, `changed: [node1]`, `fatal: [node1]: FAILED! => msg`), then the PLAY RECAP.
 */
import type { RunEvent } from '../engine/events.js';
import { formatProblem } from '../source/index.js';
import { banner, colorizer, recapLines, summaryLine } from './recap.js';
import { unifiedDiff } from './diff.js';
import { printable } from './printable.js';

export interface LineRendererOptions {
  write: (text: string) => void;
  color: boolean;
  verbosity: number;
  /** show diffs of changes (--diff) */
  diff: boolean;
}

function short(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return printable(text.length > 200 ? `${text.slice(0, 197)}...` : text);
}

export function lineRenderer(options: LineRendererOptions): (event: RunEvent) => void {
  const c = colorizer(options.color);
  const out = (line: string) => options.write(line + '\n');
  return (event) => {
    switch (event.type) {
      case 'play_start':
        out('');
        out(banner(`PLAY [${event.play}]`));
        if (event.hosts.length === 0) out(c.cyan('skipping: no hosts matched'));
        break;
      case 'task_start':
        out('');
        out(banner(`${event.handler ? 'RUNNING HANDLER' : 'TASK'} [${event.task}]`));
        break;
      case 'host_result': {
        const host = event.delegatedTo ? `${event.host} -> ${event.delegatedTo}` : event.host;
        const item = event.item !== undefined ? ` => (item=${short(event.item)})` : '';
        const message = event.message !== undefined && event.message !== '' ? printable(event.message) : undefined;
        for (const warning of resultWarnings(event.result)) out(c.magenta(`[WARNING]: ${printable(warning)}`));
        switch (event.status) {
          case 'ok':
          case 'changed': {
            const paint = event.status === 'changed' ? c.yellow : c.green;
            const shown = showResult(event.result, options.verbosity);
            out(paint(`${event.status}: [${host}]${item}${shown ? ` => ${shown}` : ''}`));
            break;
          }
          case 'skipped':
            out(c.cyan(`skipping: [${host}]${item}`));
            break;
          case 'failed':
            out(c.red(`${event.ignored ? 'failed' : 'fatal'}: [${host}]${item}: FAILED! => ${message ?? short(withoutWarnings(event.result))}`) + (event.ignored ? c.cyan(' ...ignoring') : ''));
            break;
          case 'unreachable':
            out(c.red(`fatal: [${host}]: UNREACHABLE! => ${message ?? ''}`) + (event.ignored ? c.cyan(' ...ignoring') : ''));
            break;
        }
        if (options.diff && event.diff) for (const d of event.diff) options.write(unifiedDiff(d, options.color));
        break;
      }
      case 'warning':
        out(c.magenta(`[WARNING]: ${formatProblem(event.problem)}`));
        break;
      case 'recap':
        out('');
        out(banner('PLAY RECAP'));
        for (const line of recapLines(event.stats, options.color)) out(line);
        out('');
        out(summaryLine(event.durationMs, event.hosts, event.tasks, event.interrupted));
        break;
      default:
        break;
    }
  };
}

/** a module's `warnings`, which Ansible's callback prints as [WARNING] lines before the host's own line */
export function resultWarnings(result: Record<string, unknown>): string[] {
  return Array.isArray(result.warnings) ? result.warnings.filter((w): w is string => typeof w === 'string') : [];
}

function withoutWarnings(result: Record<string, unknown>): Record<string, unknown> {
  const { warnings: _shown, ...rest } = result;
  return rest;
}

/** what an ok result shows: debug's message or variable; everything at -v */
export function showResult(result: Record<string, unknown>, verbosity: number): string | undefined {
  if (verbosity > 0) {
    const { changed: _c, failed: _f, warnings: _w, ...rest } = result;
    return Object.keys(rest).length > 0 ? JSON.stringify(rest) : undefined;
  }
  if ('censored' in result) return JSON.stringify({ censored: result.censored });
  const keys = Object.keys(result).filter((k) => !['changed', 'failed', 'skipped', 'invocation', 'attempts', 'warnings'].includes(k));
  if (keys.length === 1 && (keys[0] === 'msg' || !['ping', 'ansible_facts', 'cmd', 'rc', 'stdout'].includes(keys[0]!)) && result.results === undefined) {
    return JSON.stringify({ [keys[0]!]: result[keys[0]!] });
  }
  return undefined;
}

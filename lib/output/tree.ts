/**
 * Output on a terminal: a listr2 tree per task (the task, under it its hosts, each settling as its result
 * arrives), the PLAY banner before a play's tasks, the PLAY RECAP at the end.
 *
 * listr2's default renderer redraws the whole tree on every state change; with hundreds of hosts that is
 * most of a run's time. Redraws are throttled here to at most ten a second.
 */
import { DefaultRenderer, Listr, ListrLogger, ProcessOutput, type ListrTask } from 'listr2';
import type { RunEvent } from '../engine/events.js';
import { formatProblem } from '../source/index.js';
import { resultWarnings, showResult } from './lines.js';
import { banner, colorizer, recapLines, summaryLine } from './recap.js';
import { unifiedDiff } from './diff.js';
import { printable } from './printable.js';

const REDRAW_INTERVAL_MS = 100;

/** listr2's renderer, drawing at most once per REDRAW_INTERVAL_MS whatever the rate of events. */
export class ThrottledRenderer extends DefaultRenderer {
  // the caller decides where the tree goes (a terminal stream); listr2 must not swap in its fallback renderer
  static override nonTTY = true;
  private lastDraw = 0;
  private pending: NodeJS.Timeout | undefined;
  /** how many times the tree was drawn (for the benchmark) */
  static draws = 0;

  override update(): void {
    const wait = this.lastDraw + REDRAW_INTERVAL_MS - Date.now();
    if (wait <= 0) {
      this.draw();
      return;
    }
    this.pending ??= setTimeout(() => this.draw(), wait);
  }

  private draw(): void {
    if (this.pending) clearTimeout(this.pending);
    this.pending = undefined;
    this.lastDraw = Date.now();
    ThrottledRenderer.draws++;
    super.update();
  }

  override end(): void {
    if (this.pending) clearTimeout(this.pending);
    this.pending = undefined;
    super.end();
  }
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

interface HostSlot {
  done: Deferred;
  title: string;
  skip: boolean;
  output: string[];
}

export interface TreeRendererOptions {
  stream: NodeJS.WriteStream;
  color: boolean;
  diff: boolean;
  /** -v count: what a result shows, as the line output shows it */
  verbosity?: number;
}

export interface TreeRenderer {
  onEvent: (event: RunEvent) => void;
  /** resolves once everything is drawn */
  done: () => Promise<void>;
}

export function treeRenderer(options: TreeRendererOptions): TreeRenderer {
  const c = colorizer(options.color);
  // a terminal that reports no width (a pty from `script`, some CI runners) would get one character per line
  if (!options.stream.columns) Object.defineProperty(options.stream, 'columns', { value: 80, configurable: true, writable: true });
  const write = (text: string) => options.stream.write(text);
  let queue: Promise<unknown> = Promise.resolve();
  const after = (fn: () => unknown) => {
    queue = queue.then(fn, fn);
  };
  let hosts = new Map<string, HostSlot>();
  const logger = new ListrLogger({ useIcons: true, processOutput: new ProcessOutput(options.stream, options.stream) });

  const onEvent = (event: RunEvent): void => {
    switch (event.type) {
      case 'play_start':
        after(() => write(`\n${c.bold(banner(`PLAY [${event.play}]`))}\n`));
        break;
      case 'task_start': {
        const slots = new Map<string, HostSlot>(event.hosts.map((h) => [h, { done: deferred(), title: h, skip: false, output: [] }]));
        hosts = slots;
        const title = `${event.handler ? 'RUNNING HANDLER' : 'TASK'} [${event.task}]`;
        // what the line output prints under a result (diffs, debug messages, loop items) stays under its host
        const subtasks: ListrTask[] = [...slots.values()].map((slot) => ({
          title: slot.title,
          task: async (_ctx, task) => {
            await slot.done.promise;
            // under the title rather than as listr's task output, which a task that settles before the first
            // draw would lose
            task.title = [slot.title, ...slot.output.flatMap((o) => o.split('\n')).map((line) => `  ${line}`)].join('\n');
            if (slot.skip) task.skip(slot.title);
          },
        }));
        const listr = new Listr([{ title, task: (_ctx, task) => task.newListr(subtasks, { concurrent: true, exitOnError: false }) }], {
          renderer: ThrottledRenderer,
          exitOnError: false,
          rendererOptions: { collapseSubtasks: false, collapseErrors: false, showErrorMessage: true, formatOutput: 'wrap', logger },
        });
        after(() => listr.run().catch(() => undefined));
        break;
      }
      case 'host_result': {
        const slot = hosts.get(event.host);
        if (!slot) break;
        const item = event.item !== undefined ? ` (item=${printable(typeof event.item === 'string' ? event.item : JSON.stringify(event.item))})` : '';
        const shown = event.status === 'ok' || event.status === 'changed' ? showResult(event.result, options.verbosity ?? 0) : undefined;
        slot.output.push(...resultWarnings(event.result).map((w) => c.magenta(`[WARNING]: ${printable(w)}`)));
        if (event.item !== undefined) {
          const failure = event.status === 'failed' && event.message ? `: ${printable(event.message)}` : '';
          slot.output.push(`${event.status}${item}${shown ? ` => ${printable(shown)}` : ''}${failure}`);
          break;
        }
        if (shown) slot.output.push(printable(shown));
        const target = event.delegatedTo ? `${event.host} -> ${event.delegatedTo}` : event.host;
        if (event.diff && options.diff) slot.output.push(...event.diff.map((d) => unifiedDiff(d, options.color).trimEnd()).filter((d) => d !== ''));
        switch (event.status) {
          case 'ok':
            slot.title = `${target} ${c.green('ok')}`;
            slot.done.resolve();
            break;
          case 'changed':
            slot.title = `${target} ${c.yellow('changed')}`;
            slot.done.resolve();
            break;
          case 'skipped':
            slot.title = `${target} skipped`;
            slot.skip = true;
            slot.done.resolve();
            break;
          case 'failed':
            if (event.ignored) {
              slot.title = `${target} ${c.red('failed')} ${c.cyan('(ignored)')}: ${printable(event.message ?? '')}`;
              slot.done.resolve();
            } else slot.done.reject(new Error(`${target}: ${printable(event.message ?? 'failed')}`));
            break;
          case 'unreachable':
            slot.done.reject(new Error(`${target} UNREACHABLE: ${printable(event.message ?? '')}`));
            break;
        }
        break;
      }
      case 'task_end':
        // a host the engine did not report (run_once shares one result) must not hold the tree open
        for (const slot of hosts.values()) slot.done.resolve();
        break;
      case 'warning':
        after(() => write(c.magenta(`[WARNING]: ${formatProblem(event.problem)}\n`)));
        break;
      case 'recap':
        after(() => {
          write(`\n${c.bold(banner('PLAY RECAP'))}\n`);
          for (const line of recapLines(event.stats, options.color)) write(line + '\n');
          write(`\n${summaryLine(event.durationMs, event.hosts, event.tasks, event.interrupted)}\n`);
        });
        break;
      default:
        break;
    }
  };
  return { onEvent, done: async () => void (await queue) };
}

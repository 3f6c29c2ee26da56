/**
 * What drawing the live tree costs: synthetic events for H hosts x T tasks fed to the terminal renderer (a
 * fake 200x60 terminal that discards output), against the same events with listr2's unthrottled renderer.
 * Prints figures; asserts nothing.
 *
 *   npx tsx bench/render.ts [hosts=300] [tasks=10]
 */
import { Writable } from 'node:stream';
import { DefaultRenderer } from 'listr2';
import type { RunEvent } from '../lib/engine/index.js';
import { ThrottledRenderer, treeRenderer } from '../lib/output/index.js';

const hosts = Number(process.argv[2] ?? 300);
const tasks = Number(process.argv[3] ?? 10);

function fakeTerminal(): NodeJS.WriteStream {
  let bytes = 0;
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done();
    },
  }) as unknown as NodeJS.WriteStream & { bytes: () => number };
  Object.assign(stream, { isTTY: true, columns: 200, rows: 60, bytes: () => bytes });
  return stream;
}

async function feed(label: string): Promise<void> {
  const stream = fakeTerminal();
  const renderer = treeRenderer({ stream, color: false, diff: false });
  const names = Array.from({ length: hosts }, (_, i) => `node${i + 1}`);
  const before = ThrottledRenderer.draws;
  const started = performance.now();
  renderer.onEvent({ type: 'play_start', play: 'bench', hosts: names, batches: [names] });
  for (let t = 1; t <= tasks; t++) {
    renderer.onEvent({ type: 'task_start', play: 'bench', task: `task ${t}`, id: t, hosts: names, handler: false, where: 'bench.yml:1:1' });
    // results arrive over a few milliseconds, as they do from real hosts
    for (const [i, host] of names.entries()) {
      renderer.onEvent({ type: 'host_result', task: `task ${t}`, id: t, host, status: i % 7 === 0 ? 'changed' : 'ok', changed: i % 7 === 0, result: { changed: i % 7 === 0 }, durationMs: 1 } satisfies RunEvent);
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    renderer.onEvent({ type: 'task_end', id: t, task: `task ${t}` });
  }
  renderer.onEvent({ type: 'recap', stats: {}, durationMs: 0, tasks, hosts, roundTrips: {} });
  await renderer.done();
  const ms = performance.now() - started;
  const draws = ThrottledRenderer.draws - before;
  const written = (stream as unknown as { bytes: () => number }).bytes();
  console.log(`${label.padEnd(28)} ${hosts} hosts x ${tasks} tasks: ${ms.toFixed(0)} ms, ${draws} redraws, ${(written / 1024).toFixed(0)} KiB written`);
}

await feed('throttled (typebook)');
// the same renderer with listr2's own update(): every state change redraws
const throttledUpdate = ThrottledRenderer.prototype.update;
ThrottledRenderer.prototype.update = DefaultRenderer.prototype.update;
await feed('unthrottled (listr2 default)');
ThrottledRenderer.prototype.update = throttledUpdate;

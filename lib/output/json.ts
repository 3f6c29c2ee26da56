/** `--json FILE`: one JSON object per event, for other programs. */
import type { RunEvent } from '../engine/events.js';
import { formatProblem } from '../source/index.js';

export function jsonRenderer(write: (line: string) => void): (event: RunEvent) => void {
  return (event) => {
    const record = event.type === 'warning' ? { type: 'warning', ...event.problem, text: formatProblem(event.problem) } : event;
    write(JSON.stringify({ time: new Date().toISOString(), ...record }) + '\n');
  };
}

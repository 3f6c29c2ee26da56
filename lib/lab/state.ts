/** state.json: what a lab created, so `lab down` (or the next `lab up`) removes exactly that, by PID. */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface HostState {
  name: string;
  address: string;
  veth: string;
  /** the `unshare` process in the root PID namespace */
  unsharePid: number;
  unshareStartTime: string;
  /** the host's PID 1, as seen from the root PID namespace */
  initPid?: number;
  initStartTime?: string;
}

export interface LabState {
  version: 1;
  name: string;
  dir: string;
  subnet: string;
  bridge: string;
  createdAt: string;
  hosts: HostState[];
}

export function readState(path: string): LabState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LabState>;
    if (parsed.version !== 1 || !Array.isArray(parsed.hosts)) return undefined;
    return parsed as LabState;
  } catch {
    return undefined; // a write cut short by a crash: the lab's links are still found by name
  }
}

export function writeState(path: string, state: LabState): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

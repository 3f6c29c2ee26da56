import { setVar } from './build.js';
import type { Vars } from './types.js';

/**
 * Merges variable sets, later ones winning per top-level key (Ansible's default hash_behaviour=replace:
 * a dict defined again replaces the earlier one whole, it is not merged into it).
 */
export function combineVars(layers: readonly Vars[]): Vars {
  const out: Vars = {};
  for (const layer of layers) for (const [k, v] of Object.entries(layer)) setVar(out, k, v);
  return out;
}

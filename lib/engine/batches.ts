/** `serial`: hosts split into batches as Ansible's _get_serialized_batches does. */

/** Ansible's pct_to_int: "30%" of `total`, rounded down, at least 1; a number as it is. */
export function batchSize(value: number | string, total: number): number {
  if (typeof value === 'string' && value.trim().endsWith('%')) {
    const pct = Number.parseFloat(value.trim().slice(0, -1));
    return Math.floor((pct / 100) * total) || 1;
  }
  return Math.trunc(Number(value));
}

/** The batches: each value of `serial` in turn, the last one repeating; none (or 0) means one batch of all. */
export function serialBatches<T>(hosts: readonly T[], serial: ReadonlyArray<number | string> | undefined): T[][] {
  const list = serial && serial.length > 0 ? serial : [0];
  const left = [...hosts];
  const batches: T[][] = [];
  let index = 0;
  while (left.length > 0) {
    const size = batchSize(list[index]!, hosts.length);
    if (size <= 0) {
      batches.push(left.splice(0));
      break;
    }
    batches.push(left.splice(0, size));
    index = Math.min(index + 1, list.length - 1);
  }
  return batches;
}

/** `order:` as Ansible applies it to the play's hosts. */
export function orderHosts(hosts: readonly string[], order: string | undefined, random: () => number = Math.random): string[] {
  switch (order) {
    case 'reverse_inventory':
      return [...hosts].reverse();
    case 'sorted':
      return [...hosts].sort();
    case 'reverse_sorted':
      return [...hosts].sort().reverse();
    case 'shuffle': {
      const out = [...hosts];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    }
    default:
      return [...hosts];
  }
}

/** Ansible's tag selection (--tags / --skip-tags), with its special tags always, never, tagged, untagged, all. */

export interface TagFilter {
  /** --tags; empty means all */
  only: readonly string[];
  /** --skip-tags */
  skip: readonly string[];
}

/** Whether a task with these (inherited) tags runs, exactly as Ansible's Taggable.evaluate_tags decides. */
export function shouldRun(taskTags: readonly string[], filter: TagFilter): boolean {
  const tags = new Set(taskTags.length > 0 ? taskTags : ['untagged']);
  const only = new Set(filter.only.length > 0 ? filter.only : ['all']);
  const skip = new Set(filter.skip);
  const untagged = tags.size === 1 && tags.has('untagged');
  const intersects = (a: Set<string>, b: Set<string>) => [...a].some((t) => b.has(t));
  let run = true;
  if (only.size > 0) {
    if (tags.has('always')) run = true;
    else if (only.has('all') && !tags.has('never')) run = true;
    else if (intersects(tags, only)) run = true;
    else if (only.has('tagged') && !untagged && !tags.has('never')) run = true;
    else run = false;
  }
  if (run && skip.size > 0) {
    if (skip.has('all')) {
      if (!tags.has('always') || skip.has('always')) run = false;
    } else if (intersects(tags, skip)) run = false;
    else if (skip.has('tagged') && !untagged) run = false;
  }
  return run;
}

/** --list-hosts and --list-tasks: what a run would touch, from the validated playbook, without connecting. */
import type { TaskItem } from '../playbook/types.js';
import type { ValidatedRun } from './run.js';
import { shouldRun, type TagFilter } from './tags.js';
import { foldKeywords } from './task.js';
import type { InheritedKeywords } from '../playbook/types.js';

export interface PlayListing {
  name: string;
  pattern: string;
  hosts: string[];
  tags: string[];
  tasks: { name: string; tags: string[] }[];
}

export function listPlays(validated: ValidatedRun, filter: TagFilter, limit?: string): PlayListing[] {
  return validated.playbook.plays.map((play) => {
    const selection = validated.inventory.select(play.hosts, { at: play.pos, ...(limit ? { limit } : {}) });
    const tasks: { name: string; tags: string[] }[] = [];
    const walk = (items: readonly TaskItem[], chain: InheritedKeywords[]) => {
      for (const item of items) {
        const keywords = [...chain, item.kind === 'block' && item.role ? item.role.keywords : {}, item.keywords];
        if (item.kind === 'block') {
          walk([...item.block, ...item.rescue, ...item.always], keywords);
          continue;
        }
        const tags = foldKeywords(keywords).tags;
        if (!shouldRun(tags, filter)) continue;
        const base = item.name ?? (item.kind === 'task' ? item.action : item.kind === 'include_tasks' ? `include_tasks ${item.path}` : `include_role ${item.roleName}`);
        tasks.push({ name: item.role ? `${item.role.name} : ${base}` : base, tags });
        if (item.kind === 'include_tasks' && item.loaded) walk(item.loaded, keywords);
        if (item.kind === 'include_role' && item.loaded) walk(item.loaded.tasks, keywords);
      }
    };
    walk([...play.preTasks, ...play.tasks, ...play.postTasks], [{ tags: play.keywords.tags ?? [] }]);
    return { name: play.name, pattern: play.hosts, hosts: selection.hosts, tags: play.keywords.tags ?? [], tasks };
  });
}

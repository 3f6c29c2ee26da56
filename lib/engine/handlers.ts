/**
 * A play's handlers: which hosts notified each one (by name, "role : name" or `listen`), and the flush that
 * runs every notified handler once, in the order the handlers are written, on the hosts that notified it.
 */
import type { InheritedKeywords, Task, TaskItem, Vars } from '../playbook/types.js';

/** what a handler inherits from the blocks around it, outer first */
export interface HandlerScope {
  keywords: InheritedKeywords[];
  blocks: Vars[];
}

export class Handlers {
  private readonly notified = new Map<TaskItem, Set<string>>();

  constructor(private readonly handlers: readonly TaskItem[]) {}

  /** `host` notified `name`: every handler of that name or listening to it will run for the host */
  notify(name: string, host: string): void {
    for (const handler of this.named(name)) {
      let hosts = this.notified.get(handler);
      if (!hosts) this.notified.set(handler, (hosts = new Set()));
      hosts.add(host);
    }
  }

  /** runs `run` for each notified handler with the hosts that notified it, and forgets the notifications */
  async flush(outer: HandlerScope, run: (handler: Task, scope: HandlerScope, hosts: ReadonlySet<string>) => Promise<void>): Promise<void> {
    const walk = async (items: readonly TaskItem[], scope: HandlerScope): Promise<void> => {
      for (const item of items) {
        if (item.kind === 'block') {
          await walk(item.block, { keywords: [...scope.keywords, item.keywords], blocks: [...scope.blocks, item.vars] });
          continue;
        }
        if (item.kind !== 'task') continue;
        const hosts = this.notified.get(item);
        if (!hosts || hosts.size === 0) continue;
        this.notified.delete(item);
        await run(item, scope, hosts);
      }
    };
    await walk(this.handlers, outer);
  }

  private named(name: string): TaskItem[] {
    const found: TaskItem[] = [];
    const walk = (items: readonly TaskItem[]): void => {
      for (const item of items) {
        if (item.kind === 'block') walk([...item.block, ...item.rescue, ...item.always]);
        else if (item.kind === 'task') {
          const full = item.role && item.name ? `${item.role.name} : ${item.name}` : undefined;
          if (item.name === name || full === name || (item.keywords.listen ?? []).includes(name)) found.push(item);
        }
      }
    };
    walk(this.handlers);
    return found;
  }
}

import { Type } from '@sinclair/typebox';
import { StringEnum } from './args.js';
import { defineModule } from './module.js';

export const metaActions = ['flush_handlers', 'end_play', 'end_host', 'end_batch', 'clear_host_errors', 'noop', 'refresh_inventory', 'clear_facts', 'reset_connection'] as const;
export type MetaAction = (typeof metaActions)[number];

/** ansible.builtin.meta: a directive to the engine; the module names it, the engine carries it out. */
export default defineModule({
  name: 'meta',
  aliases: ['ansible.builtin.meta', 'ansible.legacy.meta'],
  description: 'A directive to the engine: flush_handlers, end_play, end_host, end_batch, clear_host_errors, noop, ...',
  onController: true,
  freeForm: 'free_form',
  args: Type.Object({ free_form: StringEnum(metaActions) }, { additionalProperties: false }),
  // Ansible's action, refused before connecting rather than silently doing nothing
  rules: { only_with: [['free_form', 'free_form', metaActions.filter((a) => a !== 'refresh_inventory'), 'refresh_inventory is not supported by typebook: the inventory is read once, before the run']] },
  async run(args) {
    return { changed: false, meta: args.free_form };
  },
});

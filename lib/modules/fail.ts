import { Type } from '@sinclair/typebox';
import { Raw } from './args.js';
import { defineModule } from './module.js';

/** ansible.builtin.fail: fails the host with a message. */
export default defineModule({
  name: 'fail',
  aliases: ['ansible.builtin.fail', 'ansible.legacy.fail'],
  description: 'Fail with a message',
  onController: true,
  args: Type.Object({ msg: Type.Optional(Raw({ default: 'Failed as requested from task' })) }, { additionalProperties: false }),
  async run(args) {
    return { changed: false, failed: true, msg: args.msg ?? 'Failed as requested from task' };
  },
});

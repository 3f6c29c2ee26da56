import { Type } from '@sinclair/typebox';
import { defineModule } from './module.js';

/** ansible.builtin.set_fact: sets host variables for the rest of the run (the engine stores `ansible_facts`). */
export default defineModule({
  name: 'set_fact',
  aliases: ['ansible.builtin.set_fact', 'ansible.legacy.set_fact'],
  description: 'Set variables of the host for the rest of the run',
  onController: true,
  templatedNames: true,
  args: Type.Object(
    { cacheable: Type.Optional(Type.Boolean({ default: false })) },
    { additionalProperties: true, propertyNames: { pattern: '^(?:[A-Za-z_][A-Za-z0-9_]*|.*\\{\\{.*)$' }, minProperties: 1 },
  ),
  async run(args) {
    const { cacheable: _cacheable, ...facts } = args as Record<string, unknown>;
    if (Object.keys(facts).length === 0) return { changed: false, failed: true, msg: 'set_fact needs at least one variable' };
    return { changed: false, ansible_facts: facts };
  },
});

/**
 * JSON Schema of a YAML inventory file, for editors (yaml-language-server completes and checks with it) and
 * for `typebook schema inventory`. It describes what the loader accepts; the loader's own checks (ranges,
 * cycles) go further than a schema can.
 */
const connectionVarProperties = {
  ansible_host: { type: 'string', description: 'Address to connect to, when it differs from the inventory name.' },
  ansible_port: { type: ['integer', 'string'], pattern: '^[0-9]+$', minimum: 1, maximum: 65535, description: 'SSH port (default 22).' },
  ansible_user: { type: 'string', description: 'User to log in as.' },
  ansible_ssh_private_key_file: { type: 'string', description: 'Private key file for SSH.' },
  ansible_connection: { type: 'string', enum: ['ssh', 'local', 'smart'], description: "How to reach the host: 'ssh' (default) or 'local'." },
  ansible_become: { type: ['boolean', 'string'], description: 'Run tasks with privilege escalation.' },
  ansible_become_user: { type: 'string', description: 'User to become (default root).' },
  ansible_become_method: { type: 'string', description: 'How to become another user (sudo, su, ...).' },
  ansible_ssh_common_args: { type: 'string', description: 'Extra arguments for ssh, scp and sftp.' },
  ansible_python_interpreter: { type: 'string', description: 'Python on the host, for modules that need one.' },
} as const;

export const inventorySchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://typebook.dev/schemas/inventory.json',
  title: 'typebook / Ansible YAML inventory',
  description: 'Top-level keys are groups (usually just `all`); each group has hosts, children and vars.',
  type: 'object',
  additionalProperties: { $ref: '#/definitions/group' },
  definitions: {
    vars: {
      type: ['object', 'null'],
      description: 'Variables: name -> value.',
      properties: connectionVarProperties,
    },
    hostVars: {
      description: "A host's variables, or nothing ('' counts as nothing, as in Ansible).",
      anyOf: [{ $ref: '#/definitions/vars' }, { type: 'string', maxLength: 0 }],
    },
    group: {
      type: ['object', 'null'],
      description: 'A group: its hosts, its child groups and its variables.',
      properties: {
        hosts: {
          description: 'Hosts of the group: name -> its variables (or nothing). Names may hold ranges: web[01:10], db-[a:f], and a :port.',
          anyOf: [{ type: 'string' }, { type: 'null' }, { type: 'object', additionalProperties: { $ref: '#/definitions/hostVars' } }],
        },
        children: {
          description: 'Child groups: name -> their definition (or nothing).',
          anyOf: [{ type: 'string' }, { type: 'null' }, { type: 'object', additionalProperties: { $ref: '#/definitions/group' } }],
        },
        vars: {
          description: 'Variables of every host in the group.',
          anyOf: [
            { type: 'null' },
            {
              type: 'object',
              properties: {
                ...connectionVarProperties,
                ansible_group_priority: { type: ['integer', 'string'], description: 'Order among groups of the same depth when merging variables (default 1; higher wins).' },
              },
            },
          ],
        },
      },
      additionalProperties: false,
    },
  },
} as const;

import { expect } from 'chai';
import { parseKeyValue, splitArgs } from '../../lib/playbook/kv.js';
import { coerce } from '../../lib/modules/coerce.js';

describe('key=value arguments', () => {
  it('splits on spaces outside quotes and Jinja blocks', () => {
    expect(splitArgs(`a=1 b="two words" c='{{ x | default("y z") }}' {{ d }}`)).to.deep.equal(['a=1', 'b="two words"', `c='{{ x | default("y z") }}'`, '{{ d }}']);
  });

  it('takes every key=value for a module, only known keys for a free-form one', () => {
    expect(parseKeyValue('name=vm.swappiness value="10 20"').args).to.deep.equal({ name: 'vm.swappiness', value: '10 20' });
    const parsed = parseKeyValue('ls -l /tmp creates=/x chdir=/tmp other=1', new Set(['creates', 'chdir']));
    expect(parsed.args).to.deep.equal({ creates: '/x', chdir: '/tmp' });
    expect(parsed.rest).to.equal('ls -l /tmp other=1');
  });

  it('refuses an unbalanced quote', () => {
    expect(() => splitArgs('a="b')).to.throw(/unbalanced quote/);
  });
});

describe("Ansible's argument conversions", () => {
  const schema = {
    type: 'object',
    properties: {
      flag: { type: 'boolean' },
      port: { type: 'integer' },
      name: { type: 'string' },
      names: { type: 'array', items: { type: 'string' } },
      either: { anyOf: [{ type: 'integer' }, { type: 'string', pattern: '%$' }] },
    },
  };

  it('converts as check_type_* do and leaves templates alone', () => {
    expect(coerce(schema, { flag: 'yes', port: '8080', name: 10, names: 'a, b', either: '30%' })).to.deep.equal({ flag: true, port: 8080, name: '10', names: ['a', 'b'], either: '30%' });
    expect(coerce(schema, { flag: 'Off', name: true, names: 5 })).to.deep.equal({ flag: false, name: 'True', names: ['5'] });
    expect(coerce(schema, { port: '{{ p }}', flag: 'maybe' })).to.deep.equal({ port: '{{ p }}', flag: 'maybe' });
  });
});

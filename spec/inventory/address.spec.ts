import { expect } from 'chai';
import { expandHostKey, expandHostRange, parseAddress } from '../../lib/inventory/index.js';

function hosts(name: string): string[] {
  const r = expandHostRange(name);
  if (!r.ok) throw new Error(r.message);
  return r.hosts;
}

function failure(name: string): string {
  const r = expandHostRange(name);
  if (r.ok) throw new Error(`expected ${name} to fail, got ${r.hosts.join(',')}`);
  return r.message;
}

describe('inventory: host ranges', function () {
  it('expands numeric ranges, keeping leading zeros', function () {
    expect(hosts('web[01:03]')).to.deep.equal(['web01', 'web02', 'web03']);
    expect(hosts('web[8:10]')).to.deep.equal(['web8', 'web9', 'web10']);
    expect(hosts('web[098:100]')).to.deep.equal(['web098', 'web099', 'web100']);
  });

  it('takes a step', function () {
    expect(hosts('web[01:10:2]')).to.deep.equal(['web01', 'web03', 'web05', 'web07', 'web09']);
  });

  it('expands letter ranges and several ranges in one name, with a tail', function () {
    expect(hosts('db-[a:c]')).to.deep.equal(['db-a', 'db-b', 'db-c']);
    expect(hosts('r[1:2]-[a:b].example.com')).to.deep.equal(['r1-a.example.com', 'r1-b.example.com', 'r2-a.example.com', 'r2-b.example.com']);
  });

  it('starts at 0 when the beginning is left out', function () {
    expect(hosts('n[:2]')).to.deep.equal(['n0', 'n1', 'n2']);
  });

  it('rejects a range that begins after it ends, mixed bounds, a zero step, unequal widths', function () {
    expect(failure('web[10:01]')).to.equal("host range '[10:01]' in 'web[10:01]' begins after it ends");
    expect(failure('web[a:1]')).to.equal("host range '[a:1]' in 'web[a:1]' mixes or misspells its bounds");
    expect(failure('web[1:5:0]')).to.equal("host range step 0 in 'web[1:5:0]' must be 1 or more");
    expect(failure('web[01:100]')).to.match(/same number of digits/);
    expect(failure('web[1:2:3:4]')).to.match(/begin:end or begin:end:step/);
    expect(failure('web[c:a]')).to.match(/begins after it ends/);
  });

  it('splits a port off a host key, for every host of its range', function () {
    expect(expandHostKey('web[1:2]:2222')).to.deep.equal({ ok: true, hosts: ['web1', 'web2'], port: 2222 });
    expect(expandHostKey('db1')).to.deep.equal({ ok: true, hosts: ['db1'] });
    expect(expandHostKey('[::1]:22')).to.deep.equal({ ok: true, hosts: ['::1'], port: 22 });
  });

  it('reads addresses as Ansible parse_address does', function () {
    expect(parseAddress('192.0.2.1:80', false)).to.deep.equal({ host: '192.0.2.1', port: 80 });
    expect(parseAddress('fe80::1', false)).to.deep.equal({ host: 'fe80::1' });
    expect(parseAddress('web[1:3]', false)).to.equal(undefined);
    expect(parseAddress('web[1:3]', true)).to.deep.equal({ host: 'web[1:3]' });
    expect(parseAddress('not a host', true)).to.equal(undefined);
  });
});

import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { loadInventory, splitHostPattern, type Inventory } from '../../lib/inventory/index.js';

const fixture = fileURLToPath(new URL('../fixtures/inventory/patterns/inv.yml', import.meta.url));

describe('inventory: host patterns', function () {
  let inv: Inventory;
  before(async function () {
    const loaded = await loadInventory([fixture]);
    expect(loaded.problems).to.deep.equal([]);
    inv = loaded.inventory;
  });
  const hosts = (pattern: string, limit?: string): string[] => {
    const s = inv.select(pattern, limit === undefined ? {} : { limit });
    expect(s.problems.filter((p) => p.severity === 'error'), pattern).to.deep.equal([]);
    return s.hosts;
  };

  it('splits on : and , but keeps ranges, IPv6 addresses and host:port whole', function () {
    expect(splitHostPattern('a:b,c')).to.deep.equal(['a:b', 'c']);
    expect(splitHostPattern('a:&b:!c')).to.deep.equal(['a', '&b', '!c']);
    expect(splitHostPattern('web[1:2]:db')).to.deep.equal(['web[1:2]', 'db']);
    expect(splitHostPattern(' a , b ')).to.deep.equal(['a', 'b']);
    expect(splitHostPattern('fe80::1')).to.deep.equal(['fe80::1']);
    expect(splitHostPattern(['a:b', 'c'])).to.deep.equal(['a', 'b', 'c']);
  });

  it('all and * give every host in inventory order, each once', function () {
    const every = ['web1', 'web2', 'web3', 'web4', 'db1', 'db2', 'stage.example.com'];
    expect(hosts('all')).to.deep.equal(every);
    expect(hosts('*')).to.deep.equal(every);
  });

  it('unions with : and , in the order written', function () {
    expect(hosts('web:db')).to.deep.equal(['web1', 'web2', 'web3', 'web4', 'db1', 'db2']);
    expect(hosts('web,db')).to.deep.equal(hosts('web:db'));
    expect(hosts('db:web1')).to.deep.equal(['db1', 'db2', 'web1']);
  });

  it('intersects with &, excludes with !, after the unions whatever the order written', function () {
    expect(hosts('web:&eu')).to.deep.equal(['web1']);
    expect(hosts('web:!eu')).to.deep.equal(['web2', 'web3', 'web4']);
    expect(hosts('!eu:web')).to.deep.equal(['web2', 'web3', 'web4']);
    expect(hosts('&eu:!web1:db:web')).to.deep.equal(['db2']);
    expect(hosts('!web')).to.deep.equal(['db1', 'db2', 'stage.example.com']);
  });

  it('matches wildcards against group and host names', function () {
    expect(hosts('web*')).to.deep.equal(['web1', 'web2', 'web3', 'web4']);
    expect(hosts('*.example.com')).to.deep.equal(['stage.example.com']);
    expect(hosts('db?')).to.deep.equal(['db1', 'db2']);
    expect(hosts('st*:&web*')).to.deep.equal(['web4']);
  });

  it('matches ~regex from the start of the name, like Python re.match', function () {
    expect(hosts('~web[13]')).to.deep.equal(['web1', 'web3']);
    expect(hosts('~(?P<kind>db)\\d')).to.deep.equal(['db1', 'db2']);
    const tail = inv.select('~b1');
    expect(tail.hosts).to.deep.equal([]);
    expect(tail.problems.map((p) => p.severity)).to.deep.equal(['warning']);
  });

  it('slices a group: [i], [-i], [i:j] inclusive, [i:]', function () {
    expect(hosts('web[0]')).to.deep.equal(['web1']);
    expect(hosts('web[-1]')).to.deep.equal(['web4']);
    expect(hosts('web[1:2]')).to.deep.equal(['web2', 'web3']);
    expect(hosts('web[2:]')).to.deep.equal(['web3', 'web4']);
    expect(hosts('web[0]:db[-1]')).to.deep.equal(['web1', 'db2']);
  });

  it('reports a subscript past the end as an error', function () {
    const s = inv.select('web[9]');
    expect(s.hosts).to.deep.equal([]);
    expect(s.problems).to.have.length(1);
    expect(s.problems[0]).to.include({ severity: 'error', message: "No hosts matched the subscripted pattern 'web[9]'" });
  });

  it('warns, as Ansible, about a part that matches nothing, and keeps the rest', function () {
    const s = inv.select('nomatch:db', { at: { file: 'site.yml', line: 3, col: 10 } });
    expect(s.hosts).to.deep.equal(['db1', 'db2']);
    expect(s.problems).to.deep.equal([{ file: 'site.yml', line: 3, col: 10, severity: 'warning', message: 'Could not match supplied host pattern, ignoring: nomatch' }]);
  });

  it('reports an invalid regex as an error', function () {
    // after a comma the part is taken whole (with ':' only, Ansible's splitter would drop the lone '[')
    const s = inv.select('db1,~web[');
    expect(s.problems.map((p) => p.severity)).to.deep.equal(['error']);
    expect(s.problems[0]!.message).to.match(/^invalid host pattern '~web\['/);
  });

  it('gives the implicit localhost when no host has the name', function () {
    expect(hosts('localhost')).to.deep.equal(['localhost']);
    expect(inv.getHost('localhost')).to.include({ implicit: true });
    expect(inv.hostVars('localhost')).to.deep.equal({ ansible_connection: 'local' });
  });

  it('applies --limit after the pattern', function () {
    expect(hosts('all', 'eu')).to.deep.equal(['web1', 'db2']);
    expect(hosts('web', 'eu:web3')).to.deep.equal(['web1', 'web3']);
  });
});

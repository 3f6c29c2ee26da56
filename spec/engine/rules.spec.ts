import { expect } from 'chai';
import { batchSize, orderHosts, serialBatches, shouldRun } from '../../lib/engine/index.js';

describe('serial batches', () => {
  const hosts = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7'];
  it('splits by number, percentage and list, the last value repeating', () => {
    expect(serialBatches(hosts, undefined)).to.deep.equal([hosts]);
    expect(serialBatches(hosts, [0])).to.deep.equal([hosts]);
    expect(serialBatches(hosts, [3])).to.deep.equal([['h1', 'h2', 'h3'], ['h4', 'h5', 'h6'], ['h7']]);
    expect(serialBatches(hosts, [1, 2, '50%'])).to.deep.equal([['h1'], ['h2', 'h3'], ['h4', 'h5', 'h6'], ['h7']]);
  });
  it('rounds a percentage down, to at least one host', () => {
    expect(batchSize('30%', 7)).to.equal(2);
    expect(batchSize('1%', 7)).to.equal(1);
  });
  it('orders hosts as the play asks', () => {
    expect(orderHosts(['b', 'c', 'a'], 'sorted')).to.deep.equal(['a', 'b', 'c']);
    expect(orderHosts(['b', 'c', 'a'], 'reverse_inventory')).to.deep.equal(['a', 'c', 'b']);
    expect(orderHosts(['b', 'c', 'a'], 'shuffle', () => 0)).to.have.members(['a', 'b', 'c']);
  });
});

describe('tags', () => {
  const run = (tags: string[], only: string[] = [], skip: string[] = []) => shouldRun(tags, { only, skip });
  it('runs everything but never-tagged tasks by default', () => {
    expect(run([])).to.equal(true);
    expect(run(['a'])).to.equal(true);
    expect(run(['never'])).to.equal(false);
    expect(run(['never', 'debug'], ['debug'])).to.equal(true);
  });
  it('selects by --tags, with always, tagged and untagged', () => {
    expect(run(['a'], ['b'])).to.equal(false);
    expect(run(['a', 'b'], ['b'])).to.equal(true);
    expect(run(['always'], ['b'])).to.equal(true);
    expect(run([], ['untagged'])).to.equal(true);
    expect(run(['x'], ['tagged'])).to.equal(true);
    expect(run([], ['tagged'])).to.equal(false);
  });
  it('skips by --skip-tags, always included unless named', () => {
    expect(run(['a'], [], ['a'])).to.equal(false);
    expect(run(['always'], [], ['all'])).to.equal(true);
    expect(run(['always'], [], ['always'])).to.equal(false);
    expect(run(['x'], [], ['tagged'])).to.equal(false);
  });
});

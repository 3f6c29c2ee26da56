import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unifiedDiff } from '../../lib/output/diff.js';

/** GNU diff's unified diff of the same texts, headers dropped (the oracle for hunks). */
function gnuDiff(before: string, after: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'typebook-diff-'));
  try {
    writeFileSync(join(dir, 'a'), before);
    writeFileSync(join(dir, 'b'), after);
    const out = spawnSync('diff', ['-u', join(dir, 'a'), join(dir, 'b')], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout;
    return out.split('\n').slice(2).join('\n');
  } finally {
    rmSync(dir, { recursive: true });
  }
}

function ours(before: string, after: string): string {
  return unifiedDiff({ before, after }, false).split('\n').slice(2).join('\n');
}

/** Applies a unified diff to `before`, hunk by hunk, checking every context and removed line. */
function applyPatch(before: string, patch: string): string {
  const a = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const out: string[] = [];
  let next = 0;
  for (const line of patch.split('\n').slice(2)) {
    const header = /^@@ -(\d+),(\d+) \+\d+,\d+ @@$/.exec(line);
    if (header) {
      const start = Number(header[2]) === 0 ? Number(header[1]) : Number(header[1]) - 1;
      while (next < start) out.push(a[next++]!);
    } else if (line.startsWith(' ') || line.startsWith('-')) {
      expect(a[next], `line ${next + 1}`).to.equal(line.slice(1));
      if (line.startsWith(' ')) out.push(a[next]!);
      next++;
    } else if (line.startsWith('+')) out.push(line.slice(1));
  }
  while (next < a.length) out.push(a[next++]!);
  return out.length ? out.join('\n') + '\n' : '';
}

/** A small deterministic generator, so that a failing case can be run again. */
function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
}

describe('unified diff', () => {
  it('prints removed lines before added ones, as diff -u', () => {
    const before = 'a\nb\nc\nd\ne\n';
    const after = 'a\nb\nC\nd\ne\n';
    expect(ours(before, after)).to.equal(gnuDiff(before, after));
    expect(ours(before, after)).to.equal('@@ -1,5 +1,5 @@\n a\n b\n-c\n+C\n d\n e\n');
  });

  it('is empty when nothing changed (no bare ---/+++ header)', () => {
    expect(unifiedDiff({ before: 'x\n', after: 'x\n' }, false)).to.equal('');
  });

  it('gives diff -u hunks for insertions, deletions and edits at the ends and in the middle', () => {
    const base = Array.from({ length: 30 }, (_, i) => `line ${i}`);
    const cases: [string[], string[]][] = [
      [[], ['x']],
      [['x'], []],
      [base, ['first', ...base]],
      [base, [...base, 'last']],
      [base, base.filter((_, i) => i !== 15)],
      [base, base.map((l, i) => (i === 2 || i === 20 ? `${l}!` : l))],
      [base, [...base.slice(0, 10), 'new', ...base.slice(10)]],
    ];
    for (const [a, b] of cases) {
      const before = a.length ? a.join('\n') + '\n' : '';
      const after = b.length ? b.join('\n') + '\n' : '';
      expect(ours(before, after)).to.equal(gnuDiff(before, after));
    }
  });

  it('turns before into after, for random edits', () => {
    const next = random(7);
    for (let round = 0; round < 200; round++) {
      const a = Array.from({ length: Math.floor(next() * 40) }, () => `l${Math.floor(next() * 6)}`);
      const b = a.flatMap((l) => {
        const r = next();
        return r < 0.15 ? [] : r < 0.3 ? [l, `n${Math.floor(next() * 6)}`] : r < 0.4 ? [`c${l}`] : [l];
      });
      const before = a.length ? a.join('\n') + '\n' : '';
      const after = b.length ? b.join('\n') + '\n' : '';
      const patch = unifiedDiff({ before, after }, false);
      if (before === after) expect(patch).to.equal('');
      else expect(applyPatch(before, patch), `round ${round}`).to.equal(after);
    }
  });

  it('handles a 90 KB file of short lines with one changed line as diff -u does', () => {
    const a = Array.from({ length: 30_000 }, (_, i) => `${i % 97}`);
    const b = a.slice();
    b[12_345] = 'changed';
    const before = a.join('\n') + '\n';
    const after = b.join('\n') + '\n';
    expect(ours(before, after)).to.equal(gnuDiff(before, after));
  });

  it('diffs 100 KB files with edits all through them in under a second and under 100 MB', function () {
    this.timeout(30_000);
    // in a process of its own (the built module), so that its peak memory is its own; bounds on a runaway,
    // not speed figures: a quadratic table for these files would take gigabytes
    const program = `
      const { unifiedDiff } = await import('./dist/output/diff.js');
      const a = Array.from({ length: 27000 }, (_, i) => String(i % 997));
      const b = a.map((l, i) => (i % 50 === 7 ? 'edited ' + l : l));
      const before = a.join('\\n') + '\\n', after = b.join('\\n') + '\\n';
      const rss = process.resourceUsage().maxRSS, t = process.hrtime.bigint();
      const patch = unifiedDiff({ before, after }, false);
      console.log(JSON.stringify({ kb: before.length / 1024, ms: Number(process.hrtime.bigint() - t) / 1e6, mb: (process.resourceUsage().maxRSS - rss) / 1024, lines: patch.split('\\n').length }));`;
    const { stdout, stderr } = spawnSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8' });
    expect(stderr).to.equal('');
    const figures = JSON.parse(stdout) as { kb: number; ms: number; mb: number; lines: number };
    expect(figures.kb).to.be.at.least(100);
    expect(figures.lines).to.be.above(1000);
    expect(figures.ms).to.be.below(1000);
    expect(figures.mb).to.be.below(100);
  });

  it('shows completely different large files as removed then added, still a valid patch', () => {
    const a = Array.from({ length: 5000 }, (_, i) => `old ${i}`);
    const b = Array.from({ length: 5000 }, (_, i) => `new ${i}`);
    const before = a.join('\n') + '\n';
    const after = b.join('\n') + '\n';
    expect(applyPatch(before, unifiedDiff({ before, after }, false))).to.equal(after);
  });
});

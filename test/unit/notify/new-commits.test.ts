import { describe, expect, it } from 'vitest';
import type { CommitRecord } from '../../../src/git/repository.js';
import { newCommits, type CommitSource } from '../../../src/notify/new-commits.js';

/** A commit graph from lines `child: parent parent`, each commit a second newer than the line before. */
function graph(text: string, missing: string[] = []): CommitSource {
  const commits = new Map<string, CommitRecord>();
  text
    .trim()
    .split('\n')
    .forEach((line, i) => {
      const [oid = '', parents = ''] = line.split(':').map((s) => s.trim());
      commits.set(oid, {
        oid,
        parents: parents ? parents.split(/\s+/) : [],
        message: oid,
        timestamp: 1000 + i,
      });
    });
  return { readCommit: (oid) => Promise.resolve(missing.includes(oid) ? undefined : commits.get(oid)) };
}

const oids = async (source: CommitSource, head: string, mark: string) => {
  const result = await newCommits(source, head, mark);
  return result.complete ? result.commits.map((c) => c.oid) : 'incomplete';
};

describe('newCommits', () => {
  it('gives the commits after the mark on a straight line, oldest first', async () => {
    const line = graph('a:\nb: a\nc: b\nd: c');

    expect(await oids(line, 'd', 'b')).toEqual(['c', 'd']);
    expect(await oids(line, 'd', 'd')).toEqual([]);
  });

  it('orders commits of the same second by ancestry (a promotion is three commits at once)', async () => {
    const parents: Record<string, string[]> = { m: [], p: ['m'], f: ['p'], s: ['f'] };
    const same: CommitSource = {
      readCommit: (oid) => Promise.resolve({ oid, parents: parents[oid] ?? [], message: oid, timestamp: 5 }),
    };

    expect(await oids(same, 's', 'm')).toEqual(['p', 'f', 's']);
  });

  it('never gives back a commit the mark already reaches through a merge', async () => {
    // A person merged main (at g2, told) into their branch h, then main moved on to g3 and a merge m of h.
    const merged = graph(`
      base:
      g1: base
      h1: base
      g2: g1
      h2: h1 g2
      g3: g2
      m: g3 h2`);

    expect(await oids(merged, 'm', 'g2')).toEqual(['h1', 'h2', 'g3', 'm']);
  });

  it("finds gitcanary's commits on the second parent of a merge made on a laptop", async () => {
    // The person committed l on g1 while gitcanary pushed g2, g3; `git pull` merged them as x = l + g3.
    const pulled = graph(`
      g1:
      l: g1
      g2: g1
      g3: g2
      x: l g3`);

    expect(await oids(pulled, 'x', 'g2')).toEqual(['l', 'g3', 'x']);
  });

  it('answers without the mark itself when the store is shallow right below the new commits', async () => {
    expect(await oids(graph('a:\nb: a\nc: b', ['a']), 'c', 'a')).toEqual(['b', 'c']);
  });

  it('is incomplete when a commit it needs is missing, or when the mark is not an ancestor', async () => {
    expect(await oids(graph('a:\nb: a\nc: b\nd: c', ['b']), 'd', 'a')).toBe('incomplete');
    expect(await oids(graph('a:\nb: a\nx:\ny: x'), 'y', 'b')).toBe('incomplete');
  });

  it('gives nothing when the head is behind the mark', async () => {
    expect(await oids(graph('a:\nb: a\nc: b'), 'b', 'c')).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { LayeredMap } from '../../../src/core/layered-map.js';

describe('LayeredMap', () => {
  it('reads after each update as a Map copied and changed alike, across the merges past its limit', () => {
    const expected = new Map<string, number[]>([
      ['a', [1]],
      ['b', [2, 3]],
    ]);
    let layered = LayeredMap.of(new Map(expected), 3);
    const first = layered;
    const updates: [string, number[] | undefined][][] = [
      [['a', [4]]],
      [
        ['c', [5]],
        ['b', undefined],
      ],
      [
        ['d', [6]],
        ['e', [7]],
      ],
      [
        ['a', undefined],
        ['b', [8]],
      ],
      [['f', [9]]],
      // Gone and back in one update; an entry that never was, removed.
      [
        ['g', [10]],
        ['g', undefined],
        ['h', undefined],
        ['c', undefined],
        ['c', [11]],
      ],
    ];
    for (const update of updates) {
      layered = layered.with(update);
      for (const [key, group] of update) {
        if (group) expected.set(key, group);
        else expected.delete(key);
      }
      for (const key of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) {
        expect(layered.get(key)).toEqual(expected.get(key));
        expect(layered.has(key)).toBe(expected.has(key));
      }
      expect(layered.size).toBe(expected.size);
      expect(new Map(layered)).toEqual(expected);
    }
    // The map updated from is as it was.
    expect([...first]).toEqual([
      ['a', [1]],
      ['b', [2, 3]],
    ]);
  });

  it('keeps a changed entry in its place and puts an added one last, as a Map does', () => {
    const base = new Map([
      ['x', 1],
      ['y', 2],
      ['z', 3],
    ]);
    const layered = LayeredMap.of(base).with([
      ['w', 0],
      ['y', 20],
      ['x', undefined],
    ]);
    const copy = new Map(base);
    copy.set('w', 0).set('y', 20).delete('x');
    expect([...layered.keys()]).toEqual([...copy.keys()]);
    expect([...layered.values()]).toEqual([...copy.values()]);
    const seen: string[] = [];
    layered.forEach((value, key) => seen.push(`${key}=${value}`));
    expect(seen).toEqual(['y=20', 'z=3', 'w=0']);
  });
});

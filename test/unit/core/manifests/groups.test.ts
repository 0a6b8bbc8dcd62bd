import { describe, expect, it } from 'vitest';
import { Groups } from '../../../../src/core/manifests/groups.js';

describe('Groups', () => {
  it('finds after each update what a map updated alike holds, across the merges past its limit', () => {
    const expected = new Map<string, number[]>([
      ['a', [1]],
      ['b', [2, 3]],
    ]);
    let groups = new Groups(new Map(expected), new Map(), 3);
    const first = groups;
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
    ];
    for (const update of updates) {
      groups = groups.with(new Map(update));
      for (const [key, group] of update) {
        if (group) expected.set(key, group);
        else expected.delete(key);
      }
      for (const key of ['a', 'b', 'c', 'd', 'e', 'f', 'g'])
        expect(groups.get(key)).toEqual(expected.get(key));
    }
    // The table updated from is as it was.
    expect([first.get('a'), first.get('b'), first.get('c')]).toEqual([[1], [2, 3], undefined]);
  });
});

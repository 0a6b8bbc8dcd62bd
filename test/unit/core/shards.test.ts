import { describe, expect, it } from 'vitest';
import { inShard } from '../../../src/core/shards.js';

describe('inShard', () => {
  it.each([
    [undefined, undefined, true],
    [undefined, 'east', true],
    ['', undefined, true],
    ['', '', true],
    ['', 'east', false],
    ['east', 'east', true],
    ['east', undefined, false],
    ['east', 'west', false],
  ])('a process of shard %j reconciles a Canary of shard %j: %s', (selected, shard, expected) => {
    expect(inShard(selected, shard)).toBe(expected);
  });
});

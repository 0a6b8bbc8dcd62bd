import { describe, expect, it } from 'vitest';
import { compactList, emptyList } from '../../../../src/core/manifests/shared-empty.js';

describe('compactList', () => {
  it('gives the shared frozen list for no items', () => {
    expect(compactList([])).toBe(emptyList);
    expect(Object.isFrozen(compactList([]))).toBe(true);
  });

  it('copies a grown list into one of its own length, the items in order and the same objects', () => {
    const item = { name: 'podinfo' };
    const grown: object[] = [];
    grown.push(item, { name: 'other' });

    const compact = compactList(grown);

    expect(compact).not.toBe(grown);
    expect(compact).toEqual(grown);
    expect(compact[0]).toBe(item);
    expect(Object.isFrozen(compact)).toBe(false);
  });
});

import { describe, expect, it, vi } from 'vitest';
import { ownDocument } from '../../../src/core/own-strings.js';
import { StringPool } from '../../../src/core/string-pool.js';

describe('StringPool', () => {
  it('copies a string the first time only, and gives the pooled copy after', () => {
    const pool = new StringPool();
    const copy = vi.fn((value: string) => `${value}`);

    expect(pool.intern('s5000-team-0', copy)).toBe('s5000-team-0');
    expect(pool.intern('s5000-team-0', copy)).toBe('s5000-team-0');
    expect(pool.intern('Initialized', copy)).toBe('Initialized');

    expect(copy.mock.calls).toEqual([['s5000-team-0'], ['Initialized']]);
    expect(pool.size).toBe(2);
  });

  it('copies a string over its length limit every time, and never holds it', () => {
    const pool = new StringPool(10, 8);
    const copy = vi.fn((value: string) => value);

    pool.intern('longer than eight', copy);
    pool.intern('longer than eight', copy);

    expect(copy).toHaveBeenCalledTimes(2);
    expect(pool.size).toBe(0);
  });

  it('starts again empty past its capacity, and pools what comes next', () => {
    const pool = new StringPool(3);
    for (const value of ['a', 'b', 'c']) pool.intern(value);
    expect(pool.size).toBe(3);

    pool.intern('d');
    expect(pool.size).toBe(1);
    const copy = vi.fn((value: string) => value);
    pool.intern('d', copy);
    pool.intern('a', copy);
    expect(copy.mock.calls).toEqual([['a']]);
  });
});

describe('ownDocument with a pool', () => {
  it('shares the strings of every document copied with it', () => {
    const pool = new StringPool();
    const service = (name: string) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: 'team-a' },
      spec: { ports: [{ protocol: 'TCP' }] },
    });

    const first = ownDocument(service('one'), pool);
    const second = ownDocument(service('two'), pool);

    expect(first).toEqual({ ok: true, value: service('one') });
    expect(second).toEqual({ ok: true, value: service('two') });
    // v1, Service, team-a, TCP once; the two names.
    expect(pool.size).toBe(6);
  });
});

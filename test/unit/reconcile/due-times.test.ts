import { describe, expect, it } from 'vitest';
import { DueTimes } from '../../../src/reconcile/due-times.js';

describe('DueTimes', () => {
  it('gives the earliest time set, whatever the order of setting', () => {
    const due = new DueTimes();
    for (const [key, at] of [
      ['a', 30],
      ['b', 10],
      ['c', 20],
    ] as const)
      due.set(key, at);

    expect(due.earliest()).toBe(10);
  });

  it('follows a key set again or deleted, and forgets a time of never', () => {
    const due = new DueTimes();
    due.set('a', 10);
    due.set('b', 20);
    due.set('a', 40);
    expect(due.earliest()).toBe(20);
    due.delete('b');
    expect(due.earliest()).toBe(40);
    due.set('a', Infinity);
    expect([due.earliest(), due.size]).toEqual([Infinity, 0]);
  });

  it('lists the keys due by a time, a key at that very time among them, and no stale setting', () => {
    const due = new DueTimes();
    due.set('a', 10);
    due.set('b', 20);
    due.set('c', 30);
    due.set('a', 25);
    due.delete('b');
    expect(due.dueBy(9)).toEqual([]);
    expect(due.dueBy(25).sort()).toEqual(['a']);
    expect(due.dueBy(30).sort()).toEqual(['a', 'c']);
  });

  it('agrees with a scan of the current times over many random changes', () => {
    const due = new DueTimes();
    const current = new Map<string, number>();
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 5000; i += 1) {
      const key = `k${Math.floor(random() * 200)}`;
      if (random() < 0.2) {
        due.delete(key);
        current.delete(key);
      } else {
        const at = Math.floor(random() * 1e6);
        due.set(key, at);
        current.set(key, at);
      }
      expect(due.earliest()).toBe(Math.min(Infinity, ...current.values()));
      if (i % 50 === 0) {
        const now = Math.floor(random() * 1e6);
        const scanned = [...current].filter(([, at]) => at <= now).map(([k]) => k);
        expect(due.dueBy(now).sort()).toEqual(scanned.sort());
      }
    }
    expect(due.size).toBe(current.size);
  });
});

import { describe, expect, it } from 'vitest';
import { ReplayGuard } from '../../../src/daemon/replay-guard.js';

describe('ReplayGuard', () => {
  it('takes a delivery once, and any delivery sharing one of its identities as a replay', () => {
    const guard = new ReplayGuard();

    expect(guard.checkAndRemember(['delivery:github:a', 'signature:1'], 0)).toBe(false);
    expect(guard.checkAndRemember(['delivery:github:a', 'signature:1'], 1)).toBe(true);
    expect(guard.checkAndRemember(['delivery:github:b', 'signature:1'], 2)).toBe(true);
    expect(guard.checkAndRemember(['delivery:github:a', 'signature:2'], 3)).toBe(true);
    expect(guard.checkAndRemember(['delivery:github:c', 'signature:3'], 4)).toBe(false);
  });

  it('forgets a delivery after its window', () => {
    const guard = new ReplayGuard({ windowMs: 1_000 });
    guard.checkAndRemember(['k'], 0);

    expect(guard.checkAndRemember(['k'], 999)).toBe(true);
    expect(guard.checkAndRemember(['k'], 1_000)).toBe(false);
  });

  it('keeps at most its capacity, dropping the oldest first', () => {
    const guard = new ReplayGuard({ capacity: 3 });
    for (const key of ['a', 'b', 'c', 'd']) guard.checkAndRemember([key], 0);

    expect(guard.size).toBe(3);
    expect(guard.checkAndRemember(['d'], 1)).toBe(true);
    expect(guard.checkAndRemember(['a'], 1)).toBe(false);
  });

  it('forgets on request, so that a retry of a delivery that was not acted on is taken', () => {
    const guard = new ReplayGuard();
    guard.checkAndRemember(['k', 'l'], 0);

    guard.forget(['k', 'l']);

    expect(guard.checkAndRemember(['k'], 1)).toBe(false);
  });
});

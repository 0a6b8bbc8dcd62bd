import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { runLoop } from '../../../src/daemon/run-loop.js';
import type { Reconciler } from '../../../src/reconcile/reconciler.js';

describe('runLoop', () => {
  it('reconciles on the schedule, one pass at a time, and finishes the pass in flight when stopped', async () => {
    let passes = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    let finished = 0;
    const reconciler = {
      reconcileOnce: async () => {
        passes += 1;
        concurrent += 1;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        // A pass longer than the one-second schedule: the next tick must not start a second one.
        await new Promise((resolve) => setTimeout(resolve, 1_300));
        concurrent -= 1;
        finished += 1;
      },
    } as unknown as Reconciler;
    const controller = new AbortController();

    const loop = runLoop({
      reconciler,
      schedule: '* * * * * *',
      logger: pino({ level: 'silent' }),
      signal: controller.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    controller.abort();
    await loop;

    expect(passes).toBeGreaterThanOrEqual(2);
    expect(maxConcurrent).toBe(1);
    expect(finished).toBe(passes);
  });

  it('keeps going after a failed pass', async () => {
    let passes = 0;
    const reconciler = {
      reconcileOnce: () => {
        passes += 1;
        return Promise.reject(new Error('git server unreachable'));
      },
    } as unknown as Reconciler;
    const controller = new AbortController();

    const loop = runLoop({
      reconciler,
      schedule: '* * * * * *',
      logger: pino({ level: 'silent' }),
      signal: controller.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    controller.abort();
    await loop;

    expect(passes).toBeGreaterThanOrEqual(2);
  });
});

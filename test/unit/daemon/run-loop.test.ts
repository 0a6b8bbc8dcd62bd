import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startRunLoop } from '../../../src/daemon/run-loop.js';
import type { ReconcileSummary } from '../../../src/reconcile/reconciler.js';

const summary: ReconcileSummary = {
  head: 'abc',
  commits: [],
  changes: { created: [], configured: [], unchanged: [], deleted: [], failed: [] },
  canaries: [],
  errors: [],
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// Every minute: in these tests only the start and the nudges can explain a pass.
const rarely = '0 * * * *';

/** A reconciler whose passes take `ms` and that counts how many ran and how many overlapped. */
function slowReconciler(ms: number) {
  const stats = { passes: 0, finished: 0, concurrent: 0, maxConcurrent: 0 };
  return {
    stats,
    reconcileOnce: async () => {
      stats.passes += 1;
      stats.concurrent += 1;
      stats.maxConcurrent = Math.max(stats.maxConcurrent, stats.concurrent);
      await sleep(ms);
      stats.concurrent -= 1;
      stats.finished += 1;
      return summary;
    },
  };
}

describe('startRunLoop', () => {
  it('reconciles on the schedule, one pass at a time, and finishes the pass in flight when stopped', async () => {
    // A pass longer than the one-second schedule: the next tick must not start a second one.
    const reconciler = slowReconciler(1_300);

    const loop = startRunLoop({
      reconciler,
      schedule: '* * * * * *',
      logger: pino({ level: 'silent' }),
    });
    await sleep(3_000);
    await loop.stop();

    expect(reconciler.stats.passes).toBeGreaterThanOrEqual(2);
    expect(reconciler.stats.maxConcurrent).toBe(1);
    expect(reconciler.stats.finished).toBe(reconciler.stats.passes);
  });

  it('keeps going after a failed pass and tells the observer about each outcome', async () => {
    let passes = 0;
    const outcomes: string[] = [];
    const reconciler = {
      reconcileOnce: () => {
        passes += 1;
        return passes === 1 ? Promise.reject(new Error('git server unreachable')) : Promise.resolve(summary);
      },
    };

    const loop = startRunLoop({
      reconciler,
      schedule: '* * * * * *',
      logger: pino({ level: 'silent' }),
      observer: {
        passSucceeded: (s, seconds) => outcomes.push(`ok ${s.head} ${seconds >= 0}`),
        passFailed: (err) => outcomes.push(`failed ${(err as Error).message}`),
      },
    });
    await sleep(1_500);
    await loop.stop();

    expect(outcomes.slice(0, 2)).toEqual(['failed git server unreachable', 'ok abc true']);
  });

  it('runs a nudge at once when idle, and coalesces nudges during a pass into one more pass', async () => {
    const reconciler = slowReconciler(200);
    const loop = startRunLoop({
      reconciler,
      schedule: rarely,
      logger: pino({ level: 'silent' }),
      minNudgeIntervalMs: 0, // the interval between nudged passes has its own tests (pass-queue)
    });
    await sleep(300); // the start pass is done

    expect(loop.nudge()).toBe(true);
    await sleep(50);
    expect(reconciler.stats.passes).toBe(2);
    for (let i = 0; i < 5; i += 1) loop.nudge();
    await sleep(500);

    expect(reconciler.stats.passes).toBe(3);
    expect(reconciler.stats.maxConcurrent).toBe(1);
    await loop.stop();
  });

  it('takes no nudge once stopping', async () => {
    const reconciler = slowReconciler(10);
    const loop = startRunLoop({ reconciler, schedule: rarely, logger: pino({ level: 'silent' }) });

    await loop.stop();

    expect(loop.nudge()).toBe(false);
    expect(reconciler.stats.passes).toBe(1);
  });
});

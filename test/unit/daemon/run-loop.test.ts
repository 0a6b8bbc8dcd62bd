import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startRunLoop } from '../../../src/daemon/run-loop.js';
import { emptyChangeSet, type ReconcileSummary } from '../../../src/reconcile/outcomes.js';

const summary: ReconcileSummary = {
  head: 'abc',
  commits: [],
  changes: emptyChangeSet(),
  canaries: [],
  errors: [],
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// Once a year (January 1st, 00:00): in these tests only the start and the nudges can explain a pass.
const rarely = '0 0 1 1 *';

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
    const took: number[] = [];
    const reconciler = {
      reconcileOnce: async () => {
        passes += 1;
        if (passes === 1) throw new Error('git server unreachable');
        await sleep(150);
        return summary;
      },
    };

    const loop = startRunLoop({
      reconciler,
      schedule: '* * * * * *',
      logger: pino({ level: 'silent' }),
      observer: {
        passSucceeded: (s, seconds) => {
          outcomes.push(`ok ${s.head}`);
          took.push(seconds);
        },
        passFailed: (err) => outcomes.push(`failed ${(err as Error).message}`),
      },
    });
    await sleep(1_500);
    await loop.stop();

    expect(outcomes.slice(0, 2)).toEqual(['failed git server unreachable', 'ok abc']);
    // The pass's own duration, in seconds: it slept 150 ms.
    expect(took[0]).toBeGreaterThanOrEqual(0.14);
    expect(took[0]).toBeLessThan(1);
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

  describe('deadlines', () => {
    /** A pass that runs until its signal aborts (as a pass whose requests are all cut does), then fails. */
    function untilAborted(log: string[]) {
      return {
        reconcileOnce: (signal?: AbortSignal) =>
          new Promise<ReconcileSummary>((_, reject) => {
            log.push('started');
            signal?.addEventListener('abort', () => {
              log.push('aborted');
              reject(new Error('request aborted'));
            });
          }),
      };
    }

    it('abandons a pass at its deadline: its signal aborts and it counts as failed at once', async () => {
      const log: string[] = [];
      const failures: unknown[] = [];
      const loop = startRunLoop({
        reconciler: untilAborted(log),
        schedule: rarely,
        logger: pino({ level: 'silent' }),
        passTimeoutMs: 300,
        observer: { passSucceeded: () => undefined, passFailed: (err) => failures.push(err) },
      });

      await sleep(200);
      expect(log).toEqual(['started']);
      await sleep(250);
      expect(log).toEqual(['started', 'aborted']);
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatchObject({ code: 'PassAborted' });
      expect(loop.nudge()).toBe(true);
      await sleep(50);
      expect(log).toEqual(['started', 'aborted', 'started']);
      await loop.stop(0);
    });

    it('calls onStuck when an abandoned pass does not end', async () => {
      let stuck = 0;
      const loop = startRunLoop({
        reconciler: { reconcileOnce: () => new Promise<ReconcileSummary>(() => undefined) },
        schedule: rarely,
        logger: pino({ level: 'silent' }),
        passTimeoutMs: 100,
        stuckAfterMs: 200,
        onStuck: () => (stuck += 1),
      });

      await sleep(250);
      expect(stuck).toBe(0);
      await sleep(150);
      expect(stuck).toBe(1);
      void loop.stop();
    });

    it('lets the pass in flight finish for the drain time when stopped, then aborts it', async () => {
      const log: string[] = [];
      const loop = startRunLoop({
        reconciler: untilAborted(log),
        schedule: rarely,
        logger: pino({ level: 'silent' }),
      });
      await sleep(20);

      const started = performance.now();
      await loop.stop(300);

      expect(log).toEqual(['started', 'aborted']);
      expect(performance.now() - started).toBeGreaterThan(250);
      expect(performance.now() - started).toBeLessThan(1_000);
    });
  });
});

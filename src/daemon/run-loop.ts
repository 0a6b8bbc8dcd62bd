// The reconcile schedule of `gitcanary run`: a pass at start, one per node-cron tick, and one per nudge (a
// verified push webhook), never two at once. A pass that fails is logged and the next tick tries again; git
// holds the state, so nothing is lost.
import cron from 'node-cron';
import type { Logger } from 'pino';
import type { Reconciler, ReconcileSummary } from '../reconcile/reconciler.js';
import { PassQueue, type PassTrigger } from './pass-queue.js';

/** Told about every pass, e.g. to update metrics and readiness. */
export interface PassObserver {
  passSucceeded(summary: ReconcileSummary, seconds: number): void;
  passFailed(err: unknown, seconds: number): void;
}

export interface RunLoopOptions {
  reconciler: Pick<Reconciler, 'reconcileOnce'>;
  schedule: string;
  logger: Logger;
  observer?: PassObserver;
  /** See PassQueue: the least time between a pass and a nudged one after it. */
  minNudgeIntervalMs?: number;
}

export interface RunLoop {
  /** Asks for a pass now; coalesced with one in flight. False once stopping. */
  nudge(): boolean;
  /** Stops the schedule and takes no more nudges, then waits for the pass in flight. */
  stop(): Promise<void>;
}

export function startRunLoop(options: RunLoopOptions): RunLoop {
  const { reconciler, schedule, logger, observer } = options;
  const queueOptions =
    options.minNudgeIntervalMs === undefined ? {} : { minNudgeIntervalMs: options.minNudgeIntervalMs };
  const queue = new PassQueue(async (trigger: PassTrigger) => {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const summary = await reconciler.reconcileOnce();
      observer?.passSucceeded(summary, seconds());
    } catch (err) {
      observer?.passFailed(err, seconds());
      logger.error({ err, trigger }, 'reconcile failed; retrying at the next tick');
    }
  }, queueOptions);
  const task = cron.schedule(schedule, () => void queue.request('schedule'), {
    noOverlap: true,
    name: 'gitcanary-reconcile',
  });
  logger.info({ schedule }, 'reconcile loop started');
  queue.request('start');
  let stopping: Promise<void> | undefined;
  return {
    nudge: () => queue.request('nudge'),
    stop: () =>
      (stopping ??= (async () => {
        await task.destroy();
        // Finish the pass in flight: a commit is either pushed or never made, never half-done.
        await queue.close();
        logger.info('reconcile loop stopped');
      })()),
  };
}

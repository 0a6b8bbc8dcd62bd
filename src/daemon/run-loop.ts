// The reconcile schedule of `gitcanary run`: a pass at start, one per node-cron tick, and one per nudge (a
// verified push webhook), never two at once. A pass that fails is logged and the next tick tries again; git
// holds the state, so nothing is lost. A pass that outlives its deadline is abandoned: its signal aborts (so
// its git and Kubernetes requests end, and it can start no more), it counts as failed at once, and the next
// pass starts when it has wound down. One that does not wind down means a wedged process: `onStuck`.
import cron from 'node-cron';
import type { Logger } from 'pino';
import type { ReconcileSummary } from '../reconcile/outcomes.js';
import { PassAbortedError, type PassRunner } from '../reconcile/pass-scope.js';
import { PassQueue, type PassTrigger } from './pass-queue.js';

/** Told about every pass, e.g. to update metrics and readiness. */
export interface PassObserver {
  passSucceeded(summary: ReconcileSummary, seconds: number): void;
  passFailed(err: unknown, seconds: number): void;
}

interface RunLoopOptions {
  reconciler: PassRunner;
  schedule: string;
  logger: Logger;
  observer?: PassObserver;
  /** See PassQueue: the least time between a pass and a nudged one after it. */
  minNudgeIntervalMs?: number;
  /** A pass still running after this long is abandoned (default: never). */
  passTimeoutMs?: number;
  /** How long an abandoned pass may take to wind down before `onStuck` (default 30 s). */
  stuckAfterMs?: number;
  /** An abandoned pass did not end: something ignores its signal. The process should restart. */
  onStuck?: () => void;
}

export interface RunLoop {
  /** Asks for a pass now; coalesced with one in flight. False once stopping. */
  nudge(): boolean;
  /**
   * Stops the schedule and takes no more nudges, then waits for the pass in flight: `drainMs` at most
   * (default: as long as it takes), after which it is aborted and waited for.
   */
  stop(drainMs?: number): Promise<void>;
}

export function startRunLoop(options: RunLoopOptions): RunLoop {
  const { reconciler, schedule, logger, observer } = options;
  const queueOptions =
    options.minNudgeIntervalMs === undefined ? {} : { minNudgeIntervalMs: options.minNudgeIntervalMs };
  let inFlight: AbortController | undefined;
  const queue = new PassQueue(async (trigger: PassTrigger) => {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    const controller = new AbortController();
    inFlight = controller;
    let abandoned = false;
    let stuck: NodeJS.Timeout | undefined;
    const deadline =
      options.passTimeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            abandoned = true;
            const err = new PassAbortedError(`the pass passed its deadline of ${options.passTimeoutMs} ms`);
            controller.abort(err);
            observer?.passFailed(err, seconds());
            logger.error(
              { trigger, timeoutMs: options.passTimeoutMs },
              'reconcile pass abandoned at its deadline',
            );
            stuck = setTimeout(() => {
              logger.fatal({ trigger }, 'an abandoned reconcile pass did not end');
              options.onStuck?.();
            }, options.stuckAfterMs ?? 30_000);
          }, options.passTimeoutMs);
    try {
      const summary = await reconciler.reconcileOnce(controller.signal);
      if (!abandoned) observer?.passSucceeded(summary, seconds());
    } catch (err) {
      if (!abandoned) {
        observer?.passFailed(err, seconds());
        logger.error({ err, trigger }, 'reconcile failed; retrying at the next tick');
      }
    } finally {
      clearTimeout(deadline);
      clearTimeout(stuck);
      inFlight = undefined;
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
    stop: (drainMs) =>
      (stopping ??= (async () => {
        await task.destroy();
        // A commit is pushed whole or not at all, so a pass cut short leaves nothing half-done in git; it is
        // still given `drainMs` to finish, so that what it pushed is also applied.
        const closing = queue.close();
        const cut =
          drainMs === undefined
            ? undefined
            : setTimeout(() => {
                if (inFlight) logger.warn({ drainMs }, 'aborting the pass in flight to stop');
                inFlight?.abort(new PassAbortedError('shutting down'));
              }, drainMs);
        await closing;
        clearTimeout(cut);
        logger.info('reconcile loop stopped');
      })()),
  };
}

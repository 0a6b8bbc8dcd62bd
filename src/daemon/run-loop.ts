// `gitcanary run`: reconciles on a node-cron schedule, never two passes at once, until SIGINT/SIGTERM.
// A pass that fails is logged and the next tick tries again; git holds the state, so nothing is lost.
import cron from 'node-cron';
import type { Logger } from 'pino';
import type { Reconciler } from '../reconcile/reconciler.js';

export interface RunLoopOptions {
  reconciler: Reconciler;
  schedule: string;
  logger: Logger;
  signal: AbortSignal;
}

export async function runLoop({ reconciler, schedule, logger, signal }: RunLoopOptions): Promise<void> {
  let running: Promise<void> | undefined;
  const pass = async () => {
    try {
      await reconciler.reconcileOnce();
    } catch (err) {
      logger.error({ err }, 'reconcile failed; retrying at the next tick');
    }
  };
  const tick = () => {
    if (running || signal.aborted) return;
    running = pass().finally(() => (running = undefined));
  };
  const task = cron.schedule(schedule, tick, { noOverlap: true, name: 'gitcanary-reconcile' });
  logger.info({ schedule }, 'started');
  tick();
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  await task.destroy();
  // Finish the pass in flight: a commit is either pushed or never made, never half-done.
  await running;
  logger.info('stopped');
}

// `gitcanary run`: the daemon. Reconciles on a schedule until SIGINT or SIGTERM.
import { Command } from 'commander';
import cron from 'node-cron';
import { runLoop } from '../../daemon/run-loop.js';
import {
  addReconcilerOptions,
  ConfigError,
  createLogger,
  createReconciler,
  type ReconcilerFlags,
} from '../reconciler-config.js';

export function runCommand(): Command {
  return addReconcilerOptions(
    new Command('run')
      .description('run as a daemon: reconcile on a schedule until SIGINT or SIGTERM')
      .option(
        '--schedule <cron>',
        'node-cron expression (seconds field allowed) [GITCANARY_SCHEDULE]',
        process.env.GITCANARY_SCHEDULE ?? '*/10 * * * * *',
      ),
  ).action(async (flags: ReconcilerFlags & { schedule: string }) => {
    if (!cron.validate(flags.schedule))
      throw new ConfigError(`--schedule: not a cron expression: "${flags.schedule}"`);
    const logger = createLogger(flags.logLevel);
    const reconciler = await createReconciler(flags, logger);
    const controller = new AbortController();
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort());
    await runLoop({ reconciler, schedule: flags.schedule, logger, signal: controller.signal });
  });
}

// `gitcanary reconcile --once`: one pass of the reconciler from the command line, with a summary.
import { Command } from 'commander';
import { reconcileWithin } from '../../reconcile/pass-scope.js';
import type { ReconcileSummary } from '../../reconcile/outcomes.js';
import {
  addReconcilerOptions,
  createLogger,
  reconcilerFromFlags,
  type ReconcilerFlags,
} from '../reconciler-config.js';

export function reconcileCommand(): Command {
  return addReconcilerOptions(
    new Command('reconcile')
      .description('reconcile once: read the repository, step every due canary, commit, push and apply')
      .option('--once', 'one pass, then exit (the default; `gitcanary run` keeps going)', true)
      .option('-o, --output <format>', 'summary format: text or json', 'text'),
  ).action(async (flags: ReconcilerFlags & { output: string }) => {
    const logger = createLogger(flags.logLevel);
    const { runner, notifier, close } = await reconcilerFromFlags(flags, logger);
    const summary = await reconcileWithin(runner, flags.passTimeout)
      .then(async (done) => {
        notifier.afterPass(done.head);
        await notifier.idle();
        return done;
      })
      .finally(close);
    process.stdout.write(
      flags.output === 'json' ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary),
    );
    const failed =
      summary.errors.length > 0 || summary.canaries.some((c) => c.error) || summary.changes.failed.length > 0;
    process.exitCode = failed ? 1 : 0;
  });
}

function formatSummary(summary: ReconcileSummary): string {
  const lines = [`head ${summary.head.slice(0, 12)}, ${summary.commits.length} commit(s)`];
  for (const c of summary.canaries) {
    if (c.error) lines.push(`  ${c.canary}  ERROR  ${c.error}`);
    else
      lines.push(
        `  ${c.canary}  ${c.phase}  weight ${c.weight}  ${c.revision}${c.waiting ? `  (${c.waiting})` : ''}`,
      );
  }
  for (const error of summary.errors) lines.push(`  ERROR  ${error}`);
  const { created, configured, unchanged, failed } = summary.changes;
  lines.push(
    `cluster: ${created.length} created, ${configured.length} configured, ${unchanged.length} unchanged, ${failed.length} failed`,
  );
  return `${lines.join('\n')}\n`;
}

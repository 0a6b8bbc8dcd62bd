// `gitcanary status` and `gitcanary diff`: what the repository says, and what a reconcile would change.
import { Command } from 'commander';
import { createTwoFilesPatch } from 'diff';
import type { ReconcilePreview } from '../../reconcile/outcomes.js';
import { readStatus, type RepositoryStatus } from '../../reconcile/read-status.js';
import {
  addReconcilerOptions,
  createLogger,
  reconcilerFromFlags,
  ConfigError,
  createRepository,
  gitAuth,
  type ReconcilerFlags,
} from '../reconciler-config.js';
import { readHistory, type HistoryCommit } from '../../git/read-history.js';
import { watchStatus } from '../status-watch.js';
import { describeRestoration } from '../../core/plan-rollout.js';

type OutputFlags = ReconcilerFlags & { output: string };
type StatusFlags = OutputFlags & {
  timeline: boolean;
  timelineDepth: number;
  watch?: boolean;
  interval: number;
};

export function statusCommand(): Command {
  return addReconcilerOptions(
    new Command('status')
      .description('the phase, weight, last step and weight timeline of every Canary, from git alone')
      .option('-o, --output <format>', 'text or json', 'text')
      .option(
        '--timeline-depth <commits>',
        'how many commits back to read for the timelines',
        parseCount,
        100,
      )
      .option('--no-timeline', 'skip the timelines (no history is fetched)')
      .option(
        '-w, --watch',
        'show it again every --interval: redrawn in place on a terminal, else changed lines',
      )
      .option('--interval <seconds>', 'how often --watch reads the repository', parseCount, 5),
  ).action(async (flags: StatusFlags) => {
    const repo = await createRepository(flags);
    const auth = gitAuth(flags);
    // The history is read again only when the branch moved.
    let history: { head: string; commits: HistoryCommit[] } | undefined;
    const read = async () => {
      // Once: no need to ask where the branch is first.
      const head =
        !flags.timeline || !flags.repo ? undefined : flags.watch ? await repo.remoteHead() : 'once';
      if (head && flags.repo && history?.head !== head) {
        const commits = await readHistory({
          url: flags.repo,
          branch: flags.branch,
          depth: flags.timelineDepth,
          ...(auth ? { auth } : {}),
        });
        history = { head, commits };
      }
      return readStatus(repo, flags.path, flags.defaultNamespace, history?.commits ?? []);
    };
    if (flags.watch) {
      const stop = new Promise((resolve) => {
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, resolve);
      });
      await watchStatus({
        read,
        format: formatStatus,
        output: { write: (text) => process.stdout.write(text), isTTY: process.stdout.isTTY },
        intervalMs: flags.interval * 1000,
        stop,
      });
      return;
    }
    const status = await read();
    process.stdout.write(
      flags.output === 'json' ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status),
    );
    process.exitCode = status.errors.length > 0 || status.canaries.some((c) => c.error) ? 1 : 0;
  });
}

export function diffCommand(): Command {
  return addReconcilerOptions(
    new Command('diff')
      .description(
        'what a reconcile would change now, in git and in the cluster, as patches (changes nothing)',
      )
      .option('-o, --output <format>', 'text or json', 'text'),
  ).action(async (flags: OutputFlags) => {
    const { reconciler, close } = await reconcilerFromFlags(
      flags,
      createLogger(flags.logLevel === 'info' ? 'warn' : flags.logLevel),
    );
    const preview = await reconciler.preview().finally(close);
    process.stdout.write(
      flags.output === 'json' ? `${JSON.stringify(preview, null, 2)}\n` : formatPreview(preview),
    );
  });
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new ConfigError(`expected a positive whole number, got "${value}"`);
  return n;
}

export function formatStatus(status: RepositoryStatus): string {
  const rows = [['CANARY', 'PHASE', 'WEIGHT', 'REVISION', 'PROMOTED', 'LAST STEP', 'TIMELINE', 'MESSAGE']];
  for (const c of status.canaries) {
    const s = c.state;
    // The condition in the phase's place: what git alone shows (read-status.ts); the reason before the error.
    if (c.error)
      rows.push([
        c.canary,
        c.condition ?? 'Error',
        '',
        '',
        '',
        '',
        '',
        c.reason ? `${c.reason}: ${c.error}` : c.error,
      ]);
    else if (!s) rows.push([c.canary, '(not reconciled yet)', '', '', '', '', '', '']);
    else
      rows.push([
        c.canary,
        s.phase,
        `${s.canaryWeight}%`,
        s.revision,
        s.lastPromotedRevision,
        s.lastStepTime,
        c.timeline ?? '',
        // Who last reverted a step (a stale applier), as the state records it.
        [s.message, s.restored && describeRestoration(s.restored)].filter(Boolean).join('; '),
      ]);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0))) ?? [];
  const lines = rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
  for (const error of status.errors) lines.push(`ERROR  ${error}`);
  return `${lines.join('\n')}\n`;
}

function formatPreview(preview: ReconcilePreview): string {
  const out: string[] = [];
  for (const c of preview.canaries) {
    if (!c.commitMessage && c.cluster.length === 0) continue;
    out.push(`# ${c.canary}`);
    if (c.commitMessage) out.push(`## git: ${c.commitMessage.split('\n')[0]}`);
    for (const file of c.files)
      out.push(createTwoFilesPatch(`a/${file.path}`, `b/${file.path}`, file.before, file.after).trimEnd());
    for (const diff of c.cluster) {
      const { kind, metadata } = diff.object;
      out.push(`## cluster: ${diff.action} ${kind}/${metadata.namespace}/${metadata.name}`);
      if (diff.patch.length > 0) out.push(JSON.stringify(diff.patch, null, 2));
    }
  }
  for (const o of preview.outcomes) if (o.error) out.push(`ERROR ${o.canary}: ${o.error}`);
  for (const error of preview.errors) out.push(`ERROR ${error}`);
  if (out.length === 0) out.push(`nothing to do at ${preview.head.slice(0, 12)}`);
  return `${out.join('\n')}\n`;
}

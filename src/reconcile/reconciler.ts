// The reconcile pipeline, one linear pass, each stage a file of its own:
//   poll    one ref listing; a fetch only when the head moved (git/poll-head.ts)
//   load    the commit's manifests, parsed once per blob (manifest-loader.ts)
//   observe the live objects, from the watch cache (plan-canary.ts)
//   plan    each Canary, pure, or its last plan while core/at-rest.ts says it holds (plan-pass.ts); after
//           a pass on the same repository, only the Canaries something moved for (pass-memo.ts)
//   commit  and push: git is the truth, so it goes first (commit-pass.ts); a rejected push plans again
//   apply   what differs from the live objects (apply-pass.ts)
//   record  one change set and one log line; a pass that changed nothing is remembered, so the next poll
//           that finds the head, the live objects and the clock's due times unchanged does no more.
import type { ResolvedCanary } from '../core/manifests/assemble.js';
import { formatManifestError } from '../core/manifests/manifest-error.js';
import { pollHead } from '../git/poll-head.js';
import { pushWithRetry } from '../git/push-with-retry.js';
import type { FileChange } from '../git/write-commit.js';
import { applyPass } from './apply-pass.js';
import { commitPlans } from './commit-pass.js';
import type { Pass, ReconcileContext, ReconcilerOptions } from './context.js';
import { ManifestLoader, type LoadedCommit } from './manifest-loader.js';
import {
  emptyChangeSet,
  onlyUnchanged,
  type ChangeSet,
  type ReconcilePreview,
  type ReconcileSummary,
} from './outcomes.js';
import { pushedOn } from './pass-memo.js';
import { PlanCache } from './plan-cache.js';
import { planPass } from './plan-pass.js';
import { previewPass } from './preview.js';

/** How many promotion-like transitions may chain within one reconcile. */
const maxChainedPasses = 5;

/** A pass that changed nothing, and what it saw: while all of it holds, the next poll is this pass again. */
interface QuietPass {
  head: string;
  liveChanges: number;
  summary: ReconcileSummary;
}

export class Reconciler {
  private readonly ctx: ReconcileContext;
  /** The last commit loaded: an idle poll plans on the same head, and need not list and join it again. */
  private loaded: LoadedCommit | undefined;
  private head: string | undefined;
  private quiet: QuietPass | undefined;

  constructor(private readonly options: ReconcilerOptions) {
    const loader = new ManifestLoader(options.repo, options.root, {
      defaultNamespace: options.defaultNamespace,
      ...(options.defaultProvider ? { defaultProvider: options.defaultProvider } : {}),
      ...(options.notCopied ? { notCopied: options.notCopied } : {}),
    });
    this.ctx = {
      options,
      loader,
      cache: new PlanCache(options.applies),
      applyErrors: new Map(),
      restorations: new Map(),
      outcomes: new WeakMap(),
    };
  }

  /** The Canaries of the last commit loaded, as resolved: what telling people reads their alerts from. */
  resolvedCanaries(): readonly ResolvedCanary[] {
    return this.loaded?.assembled.canaries ?? [];
  }

  async reconcileOnce(): Promise<ReconcileSummary> {
    const { logger, cluster, clock } = this.options;
    const started = clock();
    const kube = { ...cluster.stats };
    this.head = (await pollHead(this.options.repo)).head;
    const again = this.quietAgain(started.getTime());
    if (again) return again;
    const liveChanges = cluster.liveChanges();
    const commits: string[] = [];
    const changes = emptyChangeSet();
    let pass: Pass | undefined;
    for (let round = 0; round < maxChainedPasses; round += 1) {
      const planned = await this.commitAndPush();
      pass = planned.pass;
      commits.push(...planned.commits);
      // Each plan made recorded its Canary's last restoration in the state it pushed.
      for (const plan of pass.plans) this.ctx.restorations.delete(plan.canary);
      if (this.options.applies) await applyPass(this.ctx, pass, changes);
      if (planned.commits.length > 0) await this.notify(pass);
      const chained = this.options.applies && pass.plans.some((p) => p.continueImmediately);
      if (!chained) break;
    }
    if (!pass || !this.head) throw new Error('unreachable: a reconcile makes at least one pass');
    const summary: ReconcileSummary = {
      head: this.head,
      commits,
      changes,
      canaries: [...pass.outcomes.values()],
      errors: pass.errors,
    };
    this.quiet =
      this.settled(pass, commits, changes) && liveChanges !== undefined
        ? { head: this.head, liveChanges, summary }
        : undefined;
    logger.info(
      {
        ...counts(summary),
        // Requests to the API server; reads are 0 for objects the live cache holds.
        kubeReads: cluster.stats.reads - kube.reads,
        kubeWrites: cluster.stats.writes - kube.writes,
        durationMs: clock().getTime() - started.getTime(),
      },
      'reconciled',
    );
    return summary;
  }

  /**
   * What a reconcile would do now, without doing it: the commit, the file changes and the cluster patches.
   * No webhook or query is run (a dry run must not trigger side effects), so a due step shows as passing.
   */
  async preview(): Promise<ReconcilePreview> {
    const head = (await pollHead(this.options.repo)).head;
    const pass = await this.plan(head, false);
    const { oids } = await this.ctx.loader.load(head);
    const canaries = await previewPass(this.ctx, pass, oids);
    return { head, canaries, outcomes: [...pass.outcomes.values()], errors: pass.errors };
  }

  /**
   * The last pass again, when nothing it depended on can have moved: the same head, no change seen by the
   * live cache, and no remembered plan due yet. O(1) in the number of Canaries.
   */
  private quietAgain(now: number): ReconcileSummary | undefined {
    const quiet = this.quiet;
    if (!quiet || quiet.head !== this.head) return undefined;
    if (quiet.liveChanges !== this.options.cluster.liveChanges()) return undefined;
    if (now >= this.ctx.cache.nextDue()) return undefined;
    return quiet.summary;
  }

  /** The pass reused every plan, committed nothing and found the cluster as it should be. */
  private settled(pass: Pass, commits: readonly string[], changes: ChangeSet): boolean {
    return (
      pass.reusedOnly &&
      commits.length === 0 &&
      onlyUnchanged(changes) &&
      this.ctx.applyErrors.size === 0 &&
      this.ctx.restorations.size === 0
    );
  }

  /** Plans on the current head and pushes the commits; on a conflict re-plans on the new head. */
  private async commitAndPush(): Promise<{ pass: Pass; commits: string[] }> {
    let pass: Pass | undefined;
    let commits: string[] = [];
    let changed: FileChange[] = [];
    const result = await pushWithRetry({
      repo: this.options.repo,
      ...(this.head ? { head: this.head } : {}),
      onConflict: ({ attempt, delayMs }) =>
        this.options.logger.warn({ attempt, delayMs }, 'push rejected, re-planning on the new head'),
      attempt: async (head) => {
        this.head = head;
        pass = await this.plan(head);
        ({ commits, changes: changed } = await commitPlans(this.options, head, pass.plans));
        return commits.at(-1);
      },
    });
    this.head = result.pushed ?? result.head;
    if (!pass) throw new Error('unreachable: pushWithRetry calls attempt at least once');
    const advanced =
      result.pushed && this.loaded?.head === result.head
        ? this.ctx.loader.advance(this.loaded, result.pushed, changed)
        : undefined;
    if (advanced) {
      // Our own commits: the next plan starts from what they changed, not from a listing of the tree.
      this.loaded = advanced;
      this.ctx.lastPass = pushedOn(this.ctx.lastPass, advanced);
    }
    return { pass, commits };
  }

  /** Loads `head` when it is not the commit loaded last, then plans on it. */
  private async plan(head: string, analyzing = true): Promise<Pass> {
    const before = this.loaded;
    const reloaded = before?.head !== head;
    if (!this.loaded || reloaded) {
      this.loaded = await this.ctx.loader.load(head);
      // Said once per revision of the file that has them, not at every poll.
      for (const warning of this.loaded.freshWarnings) {
        this.options.logger.warn(
          { canary: warning.canary, file: warning.file, field: warning.field },
          formatManifestError(warning),
        );
      }
    }
    return planPass(this.ctx, this.loaded, reloaded ? before : undefined, analyzing);
  }

  /** After the push: the steps are facts now, so webhooks hear of them (never before). */
  private async notify(pass: Pass): Promise<void> {
    const { notify } = this.options;
    if (!notify) return;
    await Promise.all(
      pass.plans
        .filter((plan) => plan.content !== undefined && plan.events.length > 0)
        .map((plan) => {
          const resolved = pass.resolved.get(plan.canary);
          return resolved ? notify(resolved, plan) : Promise.resolve();
        }),
    );
  }
}

function counts(summary: ReconcileSummary): Record<string, number | string> {
  const { changes } = summary;
  return {
    head: summary.head,
    commits: summary.commits.length,
    created: changes.created.length,
    configured: changes.configured.length,
    unchanged: changes.unchanged.length,
    deleted: changes.deleted.length,
    failed: changes.failed.length,
    restored: changes.restored.length,
    canaries: summary.canaries.length,
    errors: summary.errors.length + summary.canaries.filter((c) => c.error).length,
  };
}

// Tells people of committed transitions (alerts, commit statuses), once per commit, whoever runs and however
// often it restarts. The key is a ref on the git server, the notification mark: the last commit whose
// transitions were claimed. After a pass, the commits reachable from the new head and not from the mark are
// the untold ones; the notifier claims them by moving the mark from its old value to the head, a
// compare-and-swap push, and only the writer whose swap succeeded sends. Another replica (or this one after
// a restart) finds the mark moved and sends nothing for those commits. A claim comes before its sends: a
// process killed between the two loses those messages rather than repeating them. Sends run in the
// background, retried a few times, and never hold back or fail a step.
import type { Logger } from 'pino';
import { parseTransition, type CommittedTransition } from '../core/alerts/committed-transition.js';
import { PushConflictError } from '../git/errors.js';
import type { HistoryClone } from '../git/history-clone.js';
import type { CommitRecord, Repository } from '../git/repository.js';
import {
  defaultRetryPolicy,
  deliver,
  type Delivery,
  type DeliveryKind,
  type RetryPolicy,
} from './delivery.js';
import { newCommits } from './new-commits.js';

export type TransitionSink = (transitions: readonly CommittedTransition[]) => Delivery[];

export interface NotifierMetrics {
  notification(kind: DeliveryKind, result: 'sent' | 'failed' | 'retried'): void;
}

interface TransitionNotifierOptions {
  repo: Pick<Repository, 'readRef' | 'updateRef' | 'readCommit'>;
  /** The mark's ref on the server, e.g. `refs/gitcanary/notified/main`. */
  markRef: string;
  sinks: TransitionSink[];
  /** A deeper history than the local store, for a walk the store cannot finish (after a restart). */
  history: () => Promise<HistoryClone>;
  logger: Logger;
  metrics?: NotifierMetrics;
  retry?: RetryPolicy;
  /** False while there is nobody to tell (no alerts, no commit statuses): then no ref is read or written. */
  enabled?: () => boolean;
}

/** Claims this many untold commits even when none of them is a transition, so later walks stay short. */
const claimWithoutNewsAfter = 20;
/** Claims lost to another writer before giving up until the next pass. */
const maxClaimAttempts = 3;

export class TransitionNotifier {
  /** The last head walked: a pass on the same head costs nothing. */
  private scanned: string | undefined;
  private pending: string | undefined;
  private running: Promise<void> | undefined;
  /** One chain per kind, so that a forge sees a release's statuses in order. */
  private readonly queues = new Map<DeliveryKind, Promise<void>>();

  constructor(private readonly options: TransitionNotifierOptions) {}

  /** After a reconcile pass: tells of what is new up to `head`, in the background. */
  afterPass(head: string): void {
    if (head === this.scanned || !(this.options.enabled?.() ?? true)) return;
    this.pending = head;
    this.running ??= this.run().finally(() => (this.running = undefined));
  }

  /** Resolves once every claim and send started so far has finished (for `reconcile --once` and tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
    await Promise.all(this.queues.values());
  }

  private async run(): Promise<void> {
    while (this.pending !== undefined && this.pending !== this.scanned) {
      const head = this.pending;
      try {
        await this.claimUpTo(head);
      } catch (err) {
        // The next pass tries again: nothing was claimed, so nothing is lost.
        this.options.logger.warn(
          { err: describe(err), head },
          'notifications not claimed, retrying after the next pass',
        );
        return;
      }
    }
  }

  private async claimUpTo(head: string): Promise<void> {
    const { repo, markRef, logger } = this.options;
    for (let attempt = 1; attempt <= maxClaimAttempts; attempt += 1) {
      const mark = await repo.readRef(markRef);
      if (mark === undefined) {
        // First run: tell of what happens from now on, not of the whole history.
        if (await this.swap(undefined, head))
          logger.info({ mark: head, ref: markRef }, 'notification mark created');
        else continue;
        this.scanned = head;
        return;
      }
      if (mark === head) {
        this.scanned = head;
        return;
      }
      const walk = await this.walk(head, mark);
      if (walk.behind) {
        // Another writer told of commits this replica has not fetched yet: nothing is ours to tell.
        this.scanned = head;
        return;
      }
      if (!walk.commits) {
        // History rewritten under the mark, or far more commits than the walk reads: the commits in
        // between are not told (never twice rather than maybe twice), and telling resumes from the head.
        logger.warn(
          { mark, head, ref: markRef },
          'notification mark is not in the recent history of the branch; resuming from the head',
        );
        if (await this.swap(mark, head)) this.scanned = head;
        else logger.warn({ ref: markRef }, 'notification mark could not be moved; delete the ref to resume');
        return;
      }
      const transitions = walk.commits.flatMap((c) => parseTransition(c) ?? []);
      const deliveries = this.options.sinks.flatMap((sink) => sink(transitions));
      if (deliveries.length === 0 && walk.commits.length < claimWithoutNewsAfter) {
        this.scanned = head;
        return;
      }
      if (!(await this.swap(mark, head))) continue;
      this.scanned = head;
      logger.debug(
        { mark: head, commits: walk.commits.length, deliveries: deliveries.length },
        'notifications claimed',
      );
      for (const delivery of deliveries) this.enqueue(delivery);
      return;
    }
    logger.warn({ head, ref: markRef }, 'notification mark kept moving; trying again after the next pass');
  }

  private async swap(old: string | undefined, next: string): Promise<boolean> {
    try {
      await this.options.repo.updateRef(this.options.markRef, old, next);
      return true;
    } catch (err) {
      if (err instanceof PushConflictError) return false;
      throw err;
    }
  }

  /** The untold commits; the local store first, a deeper clone when it is not enough. */
  private async walk(head: string, mark: string): Promise<{ commits?: CommitRecord[]; behind?: boolean }> {
    const local = await newCommits(this.options.repo, head, mark);
    if (local.complete) return { commits: local.commits };
    const clone = await this.options.history();
    try {
      const deeper = await newCommits(clone, head, mark);
      if (deeper.complete) return { commits: deeper.commits };
      // The head is an ancestor of the mark: this replica is behind the one that moved it.
      return { behind: (await newCommits(clone, mark, head)).complete };
    } finally {
      await clone.dispose();
    }
  }

  private enqueue(delivery: Delivery): void {
    const { logger, metrics } = this.options;
    const policy = this.options.retry ?? defaultRetryPolicy;
    const previous = this.queues.get(delivery.kind) ?? Promise.resolve();
    const next = previous.then(async () => {
      const result = await deliver(delivery, policy, logger, () =>
        metrics?.notification(delivery.kind, 'retried'),
      );
      metrics?.notification(delivery.kind, result);
    });
    this.queues.set(delivery.kind, next);
  }
}

/** A git error's class and code, never its message (which may quote the server's URL). */
function describe(err: unknown): { name?: string; code?: unknown } {
  return err instanceof Error ? { name: err.name, code: (err as { code?: unknown }).code } : {};
}

// The daemon's Prometheus metrics, on a registry of its own (not prom-client's global one, so tests and
// embedders can run several). Per-canary series come from each ReconcileSummary; git series from the
// metered repository wrapper.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { phases } from '../core/model.js';
import { conditionOf, conditions, readiness } from '../core/outcome-class.js';
import type { GitStats } from '../git/repository-context.js';
import type { NotifyResult } from '../kube/gitops-notifier.js';
import type { ReconcileSummary } from '../reconcile/outcomes.js';

// Like kube-state-metrics' kube_pod_status_phase: one series per phase, 1 for the current one, so
// `gitcanary_canary_phase{phase="Failed"} == 1` is an alert rule.
export { phases };

export type GitOperation = 'poll' | 'fetch' | 'push';
export type GitResult = 'success' | 'conflict' | 'error';
export type WebhookResult = 'accepted' | 'ignored' | 'replayed' | 'unauthorized' | 'rejected';

/** The repository's counts of work left to isomorphic-git (GitStats). */
export type GitFallbacks = Pick<GitStats, 'objectFallbacks' | 'fetchFallbacks'>;

export class DaemonMetrics {
  readonly registry = new Registry();
  private readonly canaries = new Set<string>();

  private readonly weight = new Gauge({
    name: 'gitcanary_canary_weight',
    help: 'Traffic weight of the canary Service in percent, as committed to git.',
    labelNames: ['namespace', 'name'] as const,
    registers: [this.registry],
  });
  private readonly phase = new Gauge({
    name: 'gitcanary_canary_phase',
    help: 'Phase of the Canary: 1 for the current phase, 0 for the others.',
    labelNames: ['namespace', 'name', 'phase'] as const,
    registers: [this.registry],
  });
  // As the phase: one series per condition, 1 for the current one, so `== 1` on Stalled is an alert rule
  // (the reason, the error's code, is in the logs, `reconcile -o json` and the Canary's Events).
  private readonly condition = new Gauge({
    name: 'gitcanary_canary_condition',
    help: 'Condition of the Canary after the last pass: 1 for Ready, Retrying (the next pass may succeed) or Stalled (a person must act), 0 for the others.',
    labelNames: ['namespace', 'name', 'condition'] as const,
    registers: [this.registry],
  });
  private readonly byCondition = new Gauge({
    name: 'gitcanary_canaries',
    help: 'Canaries by condition after the last pass: ready, retrying (the next pass may succeed) or stalled (a person must act).',
    labelNames: ['condition'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'gitcanary_reconcile_duration_seconds',
    help: 'Wall time of one reconcile pass, failed passes included.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });
  private readonly errors = new Counter({
    name: 'gitcanary_reconcile_errors_total',
    help: 'Reconcile passes that failed as a whole (git or cluster unreachable, bad configuration).',
    registers: [this.registry],
  });
  private readonly applyErrors = new Counter({
    name: 'gitcanary_apply_errors_total',
    help: 'Objects whose server-side apply failed (refused, or no answer before the deadline), per pass.',
    registers: [this.registry],
  });
  private readonly lastSuccess = new Gauge({
    name: 'gitcanary_reconcile_last_success_timestamp_seconds',
    help: 'Unix time at which the last reconcile pass completed with every apply done.',
    registers: [this.registry],
  });
  private readonly commits = new Counter({
    name: 'gitcanary_commits_total',
    help: 'Commits gitcanary pushed (one per state change).',
    registers: [this.registry],
  });
  private readonly gitOperations = new Counter({
    name: 'gitcanary_git_operations_total',
    help: 'Git operations against the remote: poll (ref listing), fetch and push, by result.',
    labelNames: ['operation', 'result'] as const,
    registers: [this.registry],
  });
  private readonly gitDuration = new Histogram({
    name: 'gitcanary_git_operation_duration_seconds',
    help: 'Wall time of one git operation against the remote.',
    labelNames: ['operation'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly pushConflicts = new Counter({
    name: 'gitcanary_git_push_conflicts_total',
    help: 'Pushes rejected because another writer moved the branch first (gitcanary then re-plans).',
    registers: [this.registry],
  });
  private readonly httpRequests = new Counter({
    name: 'gitcanary_git_http_requests_total',
    help: 'HTTP requests made to the git server.',
    registers: [this.registry],
  });
  private readonly leader = new Gauge({
    name: 'gitcanary_leader',
    help: '1 while this replica holds the leader election Lease (or runs without leader election).',
    registers: [this.registry],
  });
  private readonly webhooks = new Counter({
    name: 'gitcanary_webhook_requests_total',
    help: 'Push webhook requests by result: accepted, ignored (a ping), replayed (a delivery already accepted), unauthorized, rejected.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  private readonly notifications = new Counter({
    name: 'gitcanary_notifications_total',
    help: 'Alerts and commit statuses by result: sent, failed (after its retries), retried (one per retry).',
    labelNames: ['kind', 'result'] as const,
    registers: [this.registry],
  });

  private readonly restored = new Counter({
    name: 'gitcanary_restored_objects_total',
    help: 'Generated objects put back after another field manager changed them away from the committed step (a stale applier), by that manager.',
    labelNames: ['manager'] as const,
    registers: [this.registry],
  });

  private readonly gitopsNotifications = new Counter({
    name: 'gitcanary_gitops_notifications_total',
    help: 'Requests asking a GitOps tool to sync after a push (--notify), by target and result.',
    labelNames: ['target', 'result'] as const,
    registers: [this.registry],
  });

  /** Read from the repository's own counts when scraped (see countGitFallbacks). */
  private gitFallbackCounts: (() => GitFallbacks) | undefined;
  private readonly objectFallbacks = this.scrapedCounter(
    'gitcanary_git_object_fallbacks_total',
    'Git objects the fast reader did not find or could not read, read by isomorphic-git instead (about 30 times slower).',
    (counts) => counts.objectFallbacks,
  );
  private readonly fetchFallbacks = this.scrapedCounter(
    'gitcanary_git_fetch_fallbacks_total',
    'Fetches made by isomorphic-git because the git server did not answer in protocol version 2 (two requests instead of one).',
    (counts) => counts.fetchFallbacks,
  );

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    for (const result of ['accepted', 'ignored', 'replayed', 'unauthorized', 'rejected'] as const)
      this.webhooks.inc({ result }, 0);
    for (const condition of ['ready', 'retrying', 'stalled'] as const) this.byCondition.set({ condition }, 0);
  }

  passSucceeded(summary: ReconcileSummary, seconds: number, now = Date.now()): void {
    this.duration.observe(seconds);
    // A pass whose applies failed did not bring the cluster to what git says: not a success.
    if (summary.changes.failed.length > 0) this.applyErrors.inc(summary.changes.failed.length);
    else this.lastSuccess.set(now / 1000);
    this.commits.inc(summary.commits.length);
    for (const restored of summary.changes.restored)
      for (const manager of restored.managers.length > 0 ? restored.managers : ['unknown'])
        this.restored.inc({ manager });
    const counts = readiness(summary.canaries);
    for (const condition of ['ready', 'retrying', 'stalled'] as const)
      this.byCondition.set({ condition }, counts[condition]);
    const seen = new Set<string>();
    for (const outcome of summary.canaries) {
      seen.add(outcome.canary);
      const labels = splitKey(outcome.canary);
      const current = conditionOf(outcome);
      for (const condition of conditions)
        this.condition.set({ ...labels, condition }, condition === current ? 1 : 0);
      this.canaries.add(outcome.canary);
      // A Canary in error keeps its last known weight and phase: its state in git did not change.
      if (outcome.phase === undefined || outcome.weight === undefined) continue;
      this.weight.set(labels, outcome.weight);
      for (const phase of phases) this.phase.set({ ...labels, phase }, phase === outcome.phase ? 1 : 0);
    }
    // A Canary removed from the repository leaves no stale series behind.
    for (const key of [...this.canaries].filter((k) => !seen.has(k))) {
      const labels = splitKey(key);
      this.weight.remove(labels);
      for (const phase of phases) this.phase.remove({ ...labels, phase });
      for (const condition of conditions) this.condition.remove({ ...labels, condition });
      this.canaries.delete(key);
    }
  }

  passFailed(seconds: number): void {
    this.duration.observe(seconds);
    this.errors.inc();
  }

  gitOperation(operation: GitOperation, result: GitResult, seconds: number, httpRequests: number): void {
    this.gitOperations.inc({ operation, result });
    this.gitDuration.observe({ operation }, seconds);
    if (result === 'conflict') this.pushConflicts.inc();
    if (httpRequests > 0) this.httpRequests.inc(httpRequests);
  }

  /** Counts the repository's fallbacks to isomorphic-git (GitStats), read at each scrape. */
  countGitFallbacks(counts: () => GitFallbacks): void {
    this.gitFallbackCounts = counts;
  }

  /** A counter that follows one of the repository's own counts, caught up at each scrape. */
  private scrapedCounter(name: string, help: string, read: (counts: GitFallbacks) => number): Counter {
    let seen = 0;
    const counter: Counter = new Counter({
      name,
      help,
      registers: [this.registry],
      collect: () => {
        const counts = this.gitFallbackCounts?.();
        const count = counts ? read(counts) : 0;
        if (count > seen) counter.inc(count - seen);
        seen = count;
      },
    });
    return counter;
  }

  setLeader(leading: boolean): void {
    this.leader.set(leading ? 1 : 0);
  }

  webhook(result: WebhookResult): void {
    this.webhooks.inc({ result });
  }

  notification(kind: 'alert' | 'commit-status', result: 'sent' | 'failed' | 'retried'): void {
    this.notifications.inc({ kind, result });
  }

  /** The --notify targets, each with both results at 0, so a first failure is an increase an alert sees. */
  gitopsTargets(targets: readonly string[]): void {
    for (const target of targets)
      for (const result of ['success', 'failed'] as const)
        this.gitopsNotifications.inc({ target, result }, 0);
  }

  gitopsNotification(target: string, result: NotifyResult): void {
    this.gitopsNotifications.inc({ target, result });
  }
}

function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

// What the shell's analysis hands to planRollout: check results and the state of the confirm-* gates. Which
// of them to collect at a reconcile is decided here too, purely from the state, so the shell runs only
// the webhooks and queries that the next transition depends on.
import type { CheckResult } from './model.js';

/** Flagger's webhook types. */
export type WebhookType =
  | 'confirm-rollout'
  | 'pre-rollout'
  | 'rollout'
  | 'confirm-traffic-increase'
  | 'confirm-promotion'
  | 'post-rollout'
  | 'rollback'
  | 'event';

export interface AnalysisReport {
  /** Metric checks and pre-rollout / rollout webhooks of this step; any failure counts one failed check. */
  checks: CheckResult[];
  /** confirm-* gates: true = open, false = closed; absent = no such webhook (open). */
  gates: Partial<Record<'confirm-rollout' | 'confirm-traffic-increase' | 'confirm-promotion', boolean>>;
  /** A `rollback` webhook answered 2xx: roll back now. */
  rollbackRequested?: boolean;
}

export const emptyReport: AnalysisReport = { checks: [], gates: {} };

/** What the shell must collect before planning. */
export interface AnalysisNeeds {
  /** Webhook types to call, in order. */
  webhooks: WebhookType[];
  /** Run the metric checks. */
  metrics: boolean;
}

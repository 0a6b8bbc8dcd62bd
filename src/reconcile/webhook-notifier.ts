// Tells a Canary's `event` webhooks of each committed step, and its `post-rollout` webhooks when a run
// ends (Succeeded or Failed). Both are notifications: a failure is logged, never a failed check. They run
// under the same per-Canary deadline and address policy as the analysis, since the pass waits for them.
import type { Logger } from 'pino';
import { eventPayload, webhookPayload } from '../core/analysis/webhook-payload.js';
import type { ResolvedCanary } from '../core/manifests/assemble.js';
import type { CanaryPlan } from '../core/plan-rollout.js';
import type { AddressPolicy } from '../analysis/address-policy.js';
import { DEFAULT_ANALYSIS_DEADLINE_MS, startDeadline } from '../analysis/run-analysis.js';
import { notifyWebhooks, type WebhookOutcome } from '../analysis/webhooks.js';

interface NotifierOptions {
  policy: AddressPolicy;
  /** For all of one Canary's notifications of a pass. */
  deadlineMs?: number;
}

export function webhookNotifier(logger: Logger, clock: () => Date, options: NotifierOptions) {
  return async (resolved: ResolvedCanary, plan: CanaryPlan): Promise<void> => {
    const { canary, checks } = resolved;
    if (checks.webhooks.length === 0) return;
    const { phase, revision } = plan.state;
    const deadline = startDeadline(options.deadlineMs ?? DEFAULT_ANALYSIS_DEADLINE_MS);
    const hookOptions = { policy: options.policy, signal: deadline.signal };
    const outcomes: WebhookOutcome[] = [];
    try {
      for (const event of plan.events) {
        const type = phase === 'Failed' ? 'Warning' : 'Normal';
        const payload = eventPayload(canary, phase, revision, { message: event.message, type }, clock());
        outcomes.push(...(await notifyWebhooks(checks.webhooks, 'event', payload, hookOptions)));
      }
      if (phase === 'Succeeded' || phase === 'Failed') {
        const payload = webhookPayload(canary, 'post-rollout', phase, revision);
        outcomes.push(...(await notifyWebhooks(checks.webhooks, 'post-rollout', payload, hookOptions)));
      }
    } finally {
      deadline.clear();
    }
    for (const outcome of outcomes.filter((o) => !o.passed)) {
      logger.warn(
        { canary: plan.canary, webhook: outcome.name, type: outcome.type, reason: outcome.reason },
        'webhook notification failed',
      );
    }
  };
}

type Notify = (resolved: ResolvedCanary, plan: CanaryPlan) => Promise<void>;

/** Several listeners of the reconciler's `notify`, told at once. */
export function notifyAll(...listeners: Notify[]): Notify {
  return async (resolved, plan) => {
    await Promise.all(listeners.map((listener) => listener(resolved, plan)));
  };
}

// Tells a Canary's `event` webhooks of each committed step, and its `post-rollout` webhooks when a run
// ends (Succeeded or Failed). Both are notifications: a failure is logged, never a failed check.
import type { Logger } from 'pino';
import { eventPayload, webhookPayload } from '../core/analysis/webhook-payload.js';
import type { ResolvedCanary } from '../core/manifests/assemble.js';
import type { CanaryPlan } from '../core/plan-rollout.js';
import { notifyWebhooks } from '../analysis/webhooks.js';
import type { WebhookOutcome } from '../analysis/webhooks.js';

export function webhookNotifier(logger: Logger, clock: () => Date) {
  return async (resolved: ResolvedCanary, plan: CanaryPlan): Promise<void> => {
    const { canary, checks } = resolved;
    if (checks.webhooks.length === 0) return;
    const { phase, revision } = plan.state;
    const outcomes: WebhookOutcome[] = [];
    for (const event of plan.events) {
      const type = phase === 'Failed' ? 'Warning' : 'Normal';
      const payload = eventPayload(canary, phase, revision, { message: event.message, type }, clock());
      outcomes.push(...(await notifyWebhooks(checks.webhooks, 'event', payload)));
    }
    if (phase === 'Succeeded' || phase === 'Failed') {
      const payload = webhookPayload(canary, 'post-rollout', phase, revision);
      outcomes.push(...(await notifyWebhooks(checks.webhooks, 'post-rollout', payload)));
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

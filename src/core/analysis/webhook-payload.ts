// The JSON body of a webhook call, with Flagger's field names, so receivers written for Flagger (its load
// tester, approval gates, chat relays) read it unchanged. Pure: the time of an event is an input.
import type { WebhookType } from '../analysis-report.js';
import type { CanarySpec, Phase } from '../model.js';

export interface WebhookPayload {
  name: string;
  namespace: string;
  phase: Phase;
  /** Flagger sends a hash of the canary's applied spec; ours is the revision (hash of the target's spec). */
  checksum: string;
  /** Omitted when empty, as Flagger does. */
  metadata?: Record<string, string>;
}

interface CanaryEvent {
  message: string;
  /** Kubernetes event type, as Flagger sends it. */
  type: 'Normal' | 'Warning';
}

/**
 * Flagger reports `Progressing` to the hooks that run inside an analysis step whatever the status says, and
 * the canary's phase to the others; receivers that branch on the phase see what they saw under Flagger.
 */
export function payloadPhase(type: WebhookType, phase: Phase): Phase {
  switch (type) {
    case 'pre-rollout':
    case 'rollout':
    case 'confirm-traffic-increase':
    case 'confirm-promotion':
      return 'Progressing';
    default:
      return phase;
  }
}

export function webhookPayload(
  canary: CanarySpec,
  type: WebhookType,
  phase: Phase,
  revision: string,
): WebhookPayload {
  return {
    name: canary.name,
    namespace: canary.namespace,
    phase: payloadPhase(type, phase),
    checksum: revision,
  };
}

/** An `event` hook's body: the event in `metadata` (eventMessage, eventType, timestamp in ms). */
export function eventPayload(
  canary: CanarySpec,
  phase: Phase,
  revision: string,
  event: CanaryEvent,
  now: Date,
): WebhookPayload {
  return {
    ...webhookPayload(canary, 'event', phase, revision),
    metadata: { eventMessage: event.message, eventType: event.type, timestamp: String(now.getTime()) },
  };
}

/** The body one hook receives: its own `metadata` added, never overriding the event's keys. */
export function withHookMetadata(
  payload: WebhookPayload,
  hookMetadata: Readonly<Record<string, string>>,
): WebhookPayload {
  const metadata = { ...hookMetadata, ...payload.metadata };
  const { name, namespace, phase, checksum } = payload;
  const base = { name, namespace, phase, checksum };
  return Object.keys(metadata).length > 0 ? { ...base, metadata } : base;
}

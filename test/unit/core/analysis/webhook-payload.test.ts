import { describe, expect, it } from 'vitest';
import type { WebhookType } from '../../../../src/core/analysis-report.js';
import {
  eventPayload,
  payloadPhase,
  webhookPayload,
  withHookMetadata,
} from '../../../../src/core/analysis/webhook-payload.js';
import { aCanary } from '../builders.js';

describe('webhookPayload', () => {
  it("has Flagger's fields, the revision as checksum, and no empty metadata", () => {
    const payload = webhookPayload(aCanary(), 'rollout', 'Progressing', '3f1c0a9e42b7');

    expect(JSON.stringify(payload)).toBe(
      '{"name":"podinfo","namespace":"test","phase":"Progressing","checksum":"3f1c0a9e42b7"}',
    );
  });

  it.each<[WebhookType, string]>([
    ['confirm-rollout', 'Waiting'],
    ['pre-rollout', 'Progressing'],
    ['rollout', 'Progressing'],
    ['confirm-traffic-increase', 'Progressing'],
    ['confirm-promotion', 'Progressing'],
    ['rollback', 'Waiting'],
    ['post-rollout', 'Waiting'],
  ])('sends a %s hook the phase %s when the canary is Waiting', (type, phase) => {
    expect(payloadPhase(type, 'Waiting')).toBe(phase);
  });
});

describe('withHookMetadata', () => {
  it("adds the hook's metadata", () => {
    const payload = webhookPayload(aCanary(), 'rollout', 'Progressing', 'r');

    expect(withHookMetadata(payload, { cmd: 'hey' }).metadata).toEqual({ cmd: 'hey' });
  });

  it("never lets a hook's metadata override an event's keys", () => {
    const event = { message: 'weight 10 → 20', type: 'Normal' as const };
    const payload = eventPayload(aCanary(), 'Progressing', 'r', event, new Date(1_700_000_000_123));

    const sent = withHookMetadata(payload, { eventType: 'spoofed', channel: '#deploys' });

    expect(sent.metadata).toEqual({
      eventMessage: 'weight 10 → 20',
      eventType: 'Normal',
      timestamp: '1700000000123',
      channel: '#deploys',
    });
  });
});

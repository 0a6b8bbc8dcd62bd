import { describe, expect, it } from 'vitest';
import { noChecks } from '../../../src/core/analysis/parse-checks.js';
import {
  inputsSeen,
  restOf,
  stillHolds,
  type PlanContext,
  type PlanInputs,
} from '../../../src/core/at-rest.js';
import type { KubeObject, Phase } from '../../../src/core/model.js';
import type { CanaryPlan, PlanError } from '../../../src/core/plan-rollout.js';
import { aCanary, aTarget, minutes, Rollout } from './builders.js';

const live = (name: string, resourceVersion: unknown = '7'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'test', resourceVersion },
});

function inputs(overrides: Partial<PlanInputs> = {}): PlanInputs {
  return {
    resolved: { canary: aCanary(), target: aTarget(), checks: noChecks, templates: {} },
    generatedOid: 'a1',
    live: { primary: live('podinfo-primary'), canary: live('podinfo-canary'), routes: [undefined] },
    ...overrides,
  };
}

function aPlan(phase: Phase = 'Succeeded', overrides: Partial<CanaryPlan> = {}): CanaryPlan {
  return {
    kind: 'plan',
    canary: 'test/podinfo',
    path: 'apps/podinfo/podinfo.gitcanary.yaml',
    otherChanges: [],
    state: {
      phase,
      canaryWeight: 0,
      iteration: 0,
      failedChecks: 0,
      revision: 'r1',
      lastPromotedRevision: 'r1',
      lastStepTime: '2026-11-26T10:00:00.000Z',
      lastChecks: [],
    },
    desired: [],
    events: [],
    continueImmediately: false,
    waiting: `at rest (${phase})`,
    ...overrides,
  };
}

const settled: PlanContext = {
  revisionSettled: true,
  needs: { webhooks: [], metrics: false },
  applyFailed: false,
  restored: false,
};

const stalled: PlanError = { kind: 'error', canary: 'test/podinfo', code: 'HandEdited', message: 'm' };
const due = Date.parse('2026-11-26T10:05:00Z');

describe('restOf: whether a fresh plan may stand in for the next ones', () => {
  it.each<[string, Parameters<typeof restOf>[0], PlanContext | undefined, ReturnType<typeof restOf>]>([
    ['a plan at rest, for good', aPlan(), settled, { until: Infinity, forgetLive: true }],
    [
      'a step waiting for its interval, until it is due',
      aPlan('Progressing', { heldUntil: due, waiting: 'next analysis at …' }),
      settled,
      { until: due, forgetLive: false },
    ],
    [
      'an error a person must fix, until its inputs change',
      stalled,
      settled,
      { until: Infinity, forgetLive: false },
    ],
    ['an error found before planning', stalled, undefined, { until: Infinity, forgetLive: false }],
    ['a commit', aPlan('Succeeded', { content: 'new', commitMessage: 'm' }), settled, undefined],
    [
      'a change to another file',
      aPlan('Failed', { otherChanges: [{ path: 'x', content: 'y' }] }),
      settled,
      undefined,
    ],
    ['a chained transition', aPlan('Succeeded', { continueImmediately: true }), settled, undefined],
    ['a transition that wrote nothing new', aPlan('Succeeded', { waiting: undefined }), settled, undefined],
    ['a revision not yet in the state', aPlan(), { ...settled, revisionSettled: false }, undefined],
    ['metrics to judge', aPlan(), { ...settled, needs: { webhooks: [], metrics: true } }, undefined],
    [
      'a gate to ask',
      aPlan(),
      { ...settled, needs: { webhooks: ['confirm-rollout'], metrics: false } },
      undefined,
    ],
    ['an apply that failed, to retry', aPlan(), { ...settled, applyFailed: true }, undefined],
    ['a restoration to commit', aPlan(), { ...settled, restored: true }, undefined],
    ['no context for a plan', aPlan(), undefined, undefined],
  ])('%s', (_, result, context, expected) => {
    expect(restOf(result, context)).toEqual(expected);
  });
});

describe('stillHolds: the remembered inputs against the next pass', () => {
  const first = inputs();
  const seen = inputsSeen(first);
  if (!seen) throw new Error('versions expected');

  it('holds for the same parsed objects and live versions read again, before its time', () => {
    const again = inputs({
      resolved: first.resolved,
      live: { primary: live('podinfo-primary'), canary: live('podinfo-canary'), routes: [undefined] },
    });
    expect(stillHolds(seen, due, again, due - 1)).toBe(true);
    expect(stillHolds(seen, due, again, due)).toBe(false);
  });

  it.each<[string, (first: PlanInputs) => PlanInputs]>([
    ['the Canary was parsed anew', (f) => ({ ...f, resolved: { ...f.resolved, canary: aCanary() } })],
    ['the target was parsed anew', (f) => ({ ...f, resolved: { ...f.resolved, target: aTarget() } })],
    [
      'the Ingress it refers to was parsed anew',
      (f) => ({ ...f, resolved: { ...f.resolved, references: { ingress: live('web') } } }),
    ],
    ['the generated file changed', (f) => ({ ...f, generatedOid: 'b2' })],
    ['a live object changed', (f) => ({ ...f, live: { ...f.live, canary: live('podinfo-canary', '8') } })],
    ['a live object was deleted', (f) => ({ ...f, live: { ...f.live, primary: undefined } })],
    ['a route appeared', (f) => ({ ...f, live: { ...f.live, routes: [live('podinfo')] } })],
  ])('does not hold when %s', (_, change) => {
    expect(stillHolds(seen, Infinity, change(first), 0)).toBe(false);
  });

  it('remembers nothing when a live object has no version to tell its next state by', () => {
    expect(inputsSeen(inputs({ live: { primary: live('p', '') } }))).toBeUndefined();
    expect(inputsSeen(inputs({ live: { primary: live('p', 7) } }))).toBeUndefined();
  });
});

describe('heldUntil: a plan reused until then is the plan made again at any time before it', () => {
  it('holds a step until its next analysis, and steps at that time', () => {
    const rollout = new Rollout();
    rollout.reconcile(minutes(0));
    rollout.reconcile(minutes(1), { target: aTarget('green') });
    rollout.reconcile(minutes(2));
    const held = rollout.reconcile(minutes(2.1));
    const until = held.heldUntil ?? NaN;
    const before = rollout.reconcile(new Date(until - 1));
    const at = rollout.reconcile(new Date(until));

    expect(until).toBe(minutes(3).getTime());
    expect([before.content, before.waiting, before.heldUntil]).toEqual([undefined, held.waiting, until]);
    expect(at.content).toBeDefined();
  });

  it('holds a step the cluster has not taken until just past its progress deadline', () => {
    const rollout = new Rollout(aCanary({ progressDeadlineSeconds: 60 }));
    rollout.input.applies = false;
    rollout.reconcile(minutes(0));
    rollout.reconcile(minutes(1), { target: aTarget('green') });
    const held = rollout.reconcile(minutes(1.5), { live: {} });
    const until = held.heldUntil ?? NaN;
    const before = rollout.reconcile(new Date(until - 1), { live: {} });
    const at = rollout.reconcile(new Date(until), { live: {} });

    expect(held.waiting).toBe('waiting for the cluster to match the committed objects');
    expect(before.content).toBeUndefined();
    expect(at.state.phase).toBe('Failed');
  });

  it('holds a Canary at rest with no end', () => {
    const rollout = new Rollout();
    rollout.reconcile(minutes(0));
    const rest = rollout.reconcile(minutes(1));

    expect(rest.waiting).toBe('at rest (Initialized)');
    expect(rest.heldUntil).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { noChecks } from '../../../src/core/analysis/parse-checks.js';
import type { KubeObject, Phase } from '../../../src/core/model.js';
import type { CanaryPlan } from '../../../src/core/plan-rollout.js';
import { QuietPlans, type PlanInputs } from '../../../src/reconcile/quiet-plans.js';
import { aCanary, aTarget } from '../core/builders.js';

const live = (name: string, resourceVersion = '7'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'demo', resourceVersion },
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
    canary: 'demo/podinfo',
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
    desired: [live('podinfo-primary'), live('podinfo-canary')],
    events: [],
    continueImmediately: false,
    ...overrides,
  };
}

const names = ['Service/demo/podinfo-primary', 'Service/demo/podinfo-canary'];

describe('QuietPlans', () => {
  it('reuses a plan at rest once an apply found the cluster matching it', () => {
    const quiet = new QuietPlans(true);
    const first = inputs();
    quiet.remember('demo/podinfo', first, aPlan(), true);
    expect(quiet.reuse('demo/podinfo', first)).toBeUndefined();

    const other = quiet.confirm('demo/podinfo', aPlan(), names); // not the remembered plan: ignored
    const remembered = aPlan();
    quiet.remember('demo/podinfo', first, remembered, true);
    const confirmed = quiet.confirm('demo/podinfo', remembered, names);
    const reused = quiet.reuse('demo/podinfo', inputs({ resolved: first.resolved }));

    expect([other, confirmed]).toEqual([false, true]);
    expect(reused).toMatchObject({ state: { phase: 'Succeeded' }, desired: [] });
    expect(quiet.unchangedNames('demo/podinfo', reused as CanaryPlan)).toEqual(names);
  });

  it('reuses at once in commit-only mode, where nothing is applied', () => {
    const quiet = new QuietPlans(false);
    const first = inputs();

    quiet.remember('demo/podinfo', first, aPlan('Initialized'), true);

    expect(quiet.reuse('demo/podinfo', first)?.state.phase).toBe('Initialized');
  });

  it.each([
    ['a commit', aPlan('Succeeded', { content: 'new', commitMessage: 'm' }), true],
    ['a chained transition', aPlan('Succeeded', { continueImmediately: true }), true],
    ['a change to another file', aPlan('Failed', { otherChanges: [{ path: 'x', content: 'y' }] }), true],
    ['an active phase, which time can move', aPlan('Progressing'), true],
    ['a revision not yet settled or a needed analysis', aPlan('Succeeded'), false],
  ])('does not keep a plan with %s', (_, plan, settled) => {
    const quiet = new QuietPlans(false);

    quiet.remember('demo/podinfo', inputs(), plan, settled);

    expect(quiet.reuse('demo/podinfo', inputs())).toBeUndefined();
  });

  it.each<[string, (first: PlanInputs) => PlanInputs]>([
    [
      'the Canary was parsed anew',
      (first) => ({ ...first, resolved: { ...first.resolved, canary: aCanary() } }),
    ],
    [
      'the target was parsed anew',
      (first) => ({ ...first, resolved: { ...first.resolved, target: aTarget() } }),
    ],
    [
      'the Ingress it refers to was parsed anew',
      (first) => ({
        ...first,
        resolved: { ...first.resolved, references: { ingress: live('web') } },
      }),
    ],
    ['the generated file changed', (first) => ({ ...first, generatedOid: 'b2' })],
    [
      'a live object changed',
      (first) => ({ ...first, live: { ...first.live, canary: live('podinfo-canary', '8') } }),
    ],
    ['a live object was deleted', (first) => ({ ...first, live: { ...first.live, primary: undefined } })],
  ])('plans again when %s', (_, change) => {
    const quiet = new QuietPlans(false);
    const first = inputs();
    quiet.remember('demo/podinfo', first, aPlan(), true);

    expect(quiet.reuse('demo/podinfo', change(first))).toBeUndefined();
  });

  it('takes a live object read again with the same resourceVersion as unchanged', () => {
    const quiet = new QuietPlans(false);
    const first = inputs();
    quiet.remember('demo/podinfo', first, aPlan(), true);

    const again = {
      ...first,
      live: { primary: live('podinfo-primary'), canary: live('podinfo-canary'), routes: [undefined] },
    };

    expect(quiet.reuse('demo/podinfo', again)).toBeDefined();
  });

  it('forgets a Canary that left the repository', () => {
    const quiet = new QuietPlans(false);
    quiet.remember('demo/podinfo', inputs(), aPlan(), true);

    quiet.keepOnly(new Set(['demo/other']));

    expect(quiet.reuse('demo/podinfo', inputs())).toBeUndefined();
  });
});

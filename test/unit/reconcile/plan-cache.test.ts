import { describe, expect, it } from 'vitest';
import { noChecks } from '../../../src/core/analysis/parse-checks.js';
import type { PlanInputs } from '../../../src/core/at-rest.js';
import type { KubeObject } from '../../../src/core/model.js';
import type { CanaryPlan, PlanError } from '../../../src/core/plan-rollout.js';
import { PlanCache } from '../../../src/reconcile/plan-cache.js';
import { aCanary, aTarget } from '../core/builders.js';

const live = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'test', resourceVersion: '7' },
});

const inputs: PlanInputs = {
  resolved: { canary: aCanary(), target: aTarget(), checks: noChecks, templates: {} },
  generatedOid: 'a1',
  live: { primary: live('podinfo-primary'), canary: live('podinfo-canary'), routes: [] },
};

const aPlan = (): CanaryPlan => ({
  kind: 'plan',
  canary: 'test/podinfo',
  path: 'apps/podinfo/podinfo.gitcanary.yaml',
  otherChanges: [],
  state: {
    phase: 'Progressing',
    canaryWeight: 10,
    iteration: 1,
    failedChecks: 0,
    revision: 'r2',
    lastPromotedRevision: 'r1',
    lastStepTime: '2026-11-26T10:00:00.000Z',
    lastChecks: [],
  },
  desired: [live('podinfo-primary'), live('podinfo-canary')],
  events: [],
  continueImmediately: false,
  waiting: 'next analysis at 2026-11-26T10:01:00.000Z',
});

const names = ['Service/test/podinfo-primary', 'Service/test/podinfo-canary'];
const key = 'test/podinfo';

describe('PlanCache', () => {
  it('in apply mode reuses a plan only once an apply found the cluster holding it, and until it is due', () => {
    const cache = new PlanCache(true);
    const plan = aPlan();
    cache.remember(key, inputs, plan, { until: 1000, forgetLive: false });
    expect(cache.reuse(key, inputs, 0)).toBeUndefined();

    expect(cache.confirm(key, aPlan(), names)).toBeUndefined(); // not the remembered plan
    expect(cache.confirm(key, plan, names)).toEqual({ until: 1000, forgetLive: false });
    const reused = cache.reuse(key, inputs, 999);

    expect(reused).toMatchObject({ kind: 'plan', desired: [] });
    expect(cache.unchangedNames(key, reused as CanaryPlan)).toEqual(names);
    expect(cache.reuse(key, inputs, 1000)).toBeUndefined();
  });

  it('reuses at once in commit-only mode, and an error in either mode', () => {
    const commitOnly = new PlanCache(false);
    const applying = new PlanCache(true);
    const error: PlanError = { kind: 'error', canary: key, code: 'HandEdited', message: 'revert it' };
    commitOnly.remember(key, inputs, aPlan(), { until: Infinity, forgetLive: true });
    applying.remember(key, inputs, error, { until: Infinity, forgetLive: false });

    expect(commitOnly.reuse(key, inputs, 0)).toMatchObject({ kind: 'plan', desired: [] });
    expect(applying.reuse(key, inputs, 0)).toBe(error);
  });

  it('orders the due times of what it holds, and drops a Canary planned again or gone', () => {
    const cache = new PlanCache(false);
    cache.remember('a/one', inputs, aPlan(), { until: 3000, forgetLive: false });
    cache.remember('a/two', inputs, aPlan(), { until: 2000, forgetLive: false });
    cache.remember('a/three', inputs, aPlan(), { until: Infinity, forgetLive: true });
    expect(cache.nextDue()).toBe(2000);

    cache.remember('a/two', inputs, aPlan(), undefined);
    expect([cache.nextDue(), cache.reuse('a/two', inputs, 0)]).toEqual([3000, undefined]);
    cache.keepOnly(new Set(['a/three']));
    expect(cache.nextDue()).toBe(Infinity);
    expect(cache.reuse('a/three', inputs, 0)).toBeDefined();
  });
});

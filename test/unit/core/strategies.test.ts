// Flagger's strategies as the planner runs them, one reconcile per interval: A/B, blue/green with a route,
// a mirrored first step, a gradual promotion, and a route its gateway has not accepted.
import { describe, expect, it } from 'vitest';
import type { CanaryPlan } from '../../../src/core/plan-rollout.js';
import type { KubeObject } from '../../../src/core/model.js';
import { aCanary, anAnalysis, aTarget, minutes, Rollout } from './builders.js';

type Rule = { backendRefs: { name: string; weight: number }[]; filters?: { type: string }[] };
const rulesOf = (plan: CanaryPlan) =>
  (
    (plan.desired.find((o) => o.kind === 'HTTPRoute') as KubeObject & { spec: { rules: Rule[] } }).spec
      .rules ?? []
  ).map(
    (rule) =>
      `${rule.backendRefs.map((b) => `${b.name.replace('podinfo-', '')}=${b.weight}`).join(',')}${rule.filters?.some((f) => f.type === 'RequestMirror') ? ' mirrored' : ''}`,
  );
const title = (plan: CanaryPlan) =>
  plan.commitMessage
    ?.split('\n')[0]
    ?.replace(/^podinfo: /, '')
    .replace(/ \w{12}$/, '');

/** Runs a release of green, one reconcile per minute from minute 2, chains included; titles and routes. */
function release(rollout: Rollout, minutesOfRun: number): [string | undefined, string[]][] {
  rollout.reconcile(minutes(0));
  rollout.reconcile(minutes(1), { target: aTarget('green') });
  const seen: [string | undefined, string[]][] = [];
  for (let at = 2; at < 2 + minutesOfRun; at += 1) {
    let plan = rollout.reconcile(minutes(at));
    seen.push([title(plan), rulesOf(plan)]);
    while (plan.continueImmediately) {
      plan = rollout.reconcile(minutes(at));
      seen.push([title(plan), rulesOf(plan)]);
    }
  }
  return seen;
}

describe('strategies', () => {
  it('runs A/B: matched requests go to the canary from the first step, for the iterations, then promotion', () => {
    const match = [{ headers: { 'x-canary': { exact: 'insider' } } }];
    const rollout = new Rollout(aCanary({ analysis: anAnalysis({ iterations: 2, match }) }));

    expect(release(rollout, 3)).toEqual([
      ['iteration 0 → 1, matched requests to canary', ['primary=0,canary=100', 'primary=100']],
      ['iteration 1 → 2', ['primary=0,canary=100', 'primary=100']],
      ['promoting', ['primary=0,canary=100', 'primary=100']],
      ['weight 100 → 0, finalising', ['primary=100,canary=0', 'primary=100']],
      ['promoted', ['primary=100,canary=0', 'primary=100']],
    ]);
  });

  it('runs blue/green with a route: no canary traffic for the iterations, then all of it for one more, then promotion', () => {
    const rollout = new Rollout(aCanary({ analysis: anAnalysis({ iterations: 2 }) }));

    expect(release(rollout, 4).map(([t, rules]) => [t, rules[0]])).toEqual([
      ['iteration 0 → 1', 'primary=100,canary=0'],
      ['iteration 1 → 2', 'primary=100,canary=0'],
      ['iteration 2 → 3, all traffic to canary', 'primary=0,canary=100'],
      ['promoting', 'primary=0,canary=100'],
      ['weight 100 → 0, finalising', 'primary=100,canary=0'],
      ['promoted', 'primary=100,canary=0'],
    ]);
  });

  it('mirrors blue/green traffic to the canary for the whole run with mirror: true', () => {
    const rollout = new Rollout(aCanary({ analysis: anAnalysis({ iterations: 2, mirror: true }) }));

    expect(release(rollout, 3).map(([t, rules]) => [t, rules[0]])).toEqual([
      ['iteration 0 → 1, mirroring to canary', 'primary=100,canary=0 mirrored'],
      ['iteration 1 → 2', 'primary=100,canary=0 mirrored'],
      ['iteration 2 → 3, all traffic to canary', 'primary=0,canary=100'],
    ]);
  });

  it('mirrors one step before the first weight of a weighted run with mirror: true', () => {
    const rollout = new Rollout(
      aCanary({ analysis: anAnalysis({ stepWeight: 20, maxWeight: 40, mirror: true }) }),
    );

    expect(release(rollout, 3).map(([t, rules]) => [t, rules[0]])).toEqual([
      ['mirroring traffic to canary, weight 0', 'primary=100,canary=0 mirrored'],
      ['weight 0 → 20', 'primary=80,canary=20'],
      ['weight 20 → 40', 'primary=60,canary=40'],
    ]);
  });

  it('hands weight back to the primary one interval at a time with stepWeightPromotion', () => {
    const rollout = new Rollout(
      aCanary({ analysis: anAnalysis({ stepWeight: 30, maxWeight: 60, stepWeightPromotion: 25 }) }),
    );

    expect(release(rollout, 6).map(([t, rules]) => [t, rules[0]])).toEqual([
      ['weight 0 → 30', 'primary=70,canary=30'],
      ['weight 30 → 60', 'primary=40,canary=60'],
      ['promoting', 'primary=40,canary=60'],
      ['promoting, weight 60 → 35', 'primary=65,canary=35'],
      ['promoting, weight 35 → 10', 'primary=90,canary=10'],
      ['weight 10 → 0, finalising', 'primary=100,canary=0'],
      ['promoted', 'primary=100,canary=0'],
    ]);
  });

  describe('a route that its gateway has not accepted', () => {
    const refused = (plan: CanaryPlan, accepted: 'True' | 'False', observedGeneration = 1): KubeObject => {
      const route = plan.desired.find((o) => o.kind === 'HTTPRoute') as KubeObject;
      return {
        ...route,
        metadata: { ...route.metadata, generation: 1 },
        status: {
          parents: [
            {
              parentRef: { name: 'public', namespace: 'gateways' },
              conditions: [
                { type: 'Accepted', status: accepted, observedGeneration, reason: 'NotAllowedByListeners' },
              ],
            },
          ],
        },
      };
    };

    it('holds the step, says so in git once, and steps once the route is accepted', () => {
      const rollout = new Rollout();
      rollout.reconcile(minutes(0));
      const started = rollout.reconcile(minutes(1), { target: aTarget('green') });
      const live = (route: KubeObject) => ({ ...rollout.input.live, routes: [route] });

      const held = rollout.reconcile(minutes(2), { live: live(refused(started, 'False')) });
      const again = rollout.reconcile(minutes(3), { live: live(refused(started, 'False')) });
      const stepped = rollout.reconcile(minutes(4), { live: live(refused(started, 'True')) });

      expect(title(held)).toBe(
        'held, HTTPRoute podinfo not accepted by Gateway gateways/public (NotAllowedByListeners)',
      );
      expect(held.state).toMatchObject({ canaryWeight: 0, lastStepTime: minutes(1).toISOString() });
      expect(again.content).toBeUndefined();
      expect(again.waiting).toMatch(/not accepted/);
      expect(title(stepped)).toBe('weight 0 → 10');
    });

    it('waits without a commit while the gateway has not seen the current generation', () => {
      const rollout = new Rollout();
      rollout.reconcile(minutes(0));
      const started = rollout.reconcile(minutes(1), { target: aTarget('green') });

      const plan = rollout.reconcile(minutes(2), {
        live: { ...rollout.input.live, routes: [refused(started, 'True', 0)] },
      });

      expect(plan.content).toBeUndefined();
      expect(plan.waiting).toMatch(/has not yet seen generation 1/);
    });
  });
});

// The routers of ingress controllers as the planner drives them, one reconcile per interval: the Ingress
// the Canary refers to reaches its router through the plan, and each step's object says what Flagger's
// router would have set at that step.
import { describe, expect, it } from 'vitest';
import type { CanaryPlan } from '../../../src/core/plan-rollout.js';
import type { RequestMatch } from '../../../src/core/model.js';
import { minutes, aTarget, Rollout } from './builders.js';
import { anIngress, anIngressCanary } from './routers/ingress-fixtures.js';

const title = (plan: CanaryPlan) =>
  plan.commitMessage
    ?.split('\n')[0]
    ?.replace(/^podinfo: /, '')
    .replace(/ \w{12}$/, '');
const routeOf = (plan: CanaryPlan) => plan.desired[2];

function release(
  rollout: Rollout,
  steps: number,
  describe: (plan: CanaryPlan) => string,
): [string, string][] {
  rollout.reconcile(minutes(0));
  rollout.reconcile(minutes(1), { target: aTarget('green') });
  const seen: [string, string][] = [];
  for (let at = 2; at < 2 + steps; at += 1) {
    let plan = rollout.reconcile(minutes(at));
    seen.push([title(plan) ?? '', describe(plan)]);
    while (plan.continueImmediately) {
      plan = rollout.reconcile(minutes(at));
      seen.push([title(plan) ?? '', describe(plan)]);
    }
  }
  return seen;
}

const nginxRouting = (plan: CanaryPlan) =>
  Object.entries(routeOf(plan)?.metadata.annotations ?? {})
    .filter(([key]) => key.startsWith('nginx.ingress.kubernetes.io/canary'))
    .map(([key, value]) => `${key.replace('nginx.ingress.kubernetes.io/', '')}=${value}`)
    .join(' ');

describe('the ingress routers through the planner', () => {
  it('runs an nginx canary: the weight annotation follows each step and returns to 0 at promotion', () => {
    const rollout = new Rollout(anIngressCanary('nginx', { stepWeight: 25, maxWeight: 50 }));
    rollout.input = { ...rollout.input, references: { ingress: anIngress() } };

    expect(release(rollout, 3, nginxRouting)).toEqual([
      ['weight 0 → 25', 'canary=true canary-weight=25'],
      ['weight 25 → 50', 'canary=true canary-weight=50'],
      ['promoting', 'canary=true canary-weight=50'],
      ['weight 50 → 0, finalising', 'canary=true canary-weight=0'],
      ['promoted', 'canary=true canary-weight=0'],
    ]);
  });

  it('runs an nginx A/B test: the header and cookie route to the canary during the run only', () => {
    const match: RequestMatch[] = [
      { headers: { 'x-canary': { exact: 'insider' } } },
      { headers: { cookie: { exact: 'canary' } } },
    ];
    const rollout = new Rollout(anIngressCanary('nginx', { iterations: 2, match }));
    rollout.input = { ...rollout.input, references: { ingress: anIngress() } };
    const ab =
      'canary=true canary-weight=0 canary-by-header=x-canary canary-by-header-value=insider canary-by-cookie=canary';

    expect(release(rollout, 3, nginxRouting)).toEqual([
      ['iteration 0 → 1, matched requests to canary', ab],
      ['iteration 1 → 2', ab],
      ['promoting', ab],
      ['weight 100 → 0, finalising', 'canary=true canary-weight=0'],
      ['promoted', 'canary=true canary-weight=0'],
    ]);
  });

  it('runs a skipper canary with a gradual promotion: the weights and the predicate of each step', () => {
    const rollout = new Rollout(
      anIngressCanary('skipper', { stepWeight: 50, maxWeight: 50, stepWeightPromotion: 25 }),
    );
    rollout.input = { ...rollout.input, references: { ingress: anIngress() } };
    const skipperRouting = (plan: CanaryPlan) => {
      const annotations = routeOf(plan)?.metadata.annotations ?? {};
      return `${annotations['zalando.org/backend-weights']} ${annotations['zalando.org/skipper-predicate']}`;
    };

    expect(release(rollout, 4, skipperRouting)).toEqual([
      ['weight 0 → 50', '{"podinfo-canary":50,"podinfo-primary":50} Weight(100)'],
      ['promoting', '{"podinfo-canary":50,"podinfo-primary":50} Weight(100)'],
      ['promoting, weight 50 → 25', '{"podinfo-canary":25,"podinfo-primary":75} Weight(100)'],
      ['weight 25 → 0, finalising', '{"podinfo-canary":0,"podinfo-primary":100} False()'],
      ['promoted', '{"podinfo-canary":0,"podinfo-primary":100} False()'],
    ]);
  });
});

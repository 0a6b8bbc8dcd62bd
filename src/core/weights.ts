// The traffic maths of a canary run, as small pure functions: which strategy a Canary runs, where the weight
// goes next, and when a run has done enough to promote. Flagger's scheduler is the reference for each.
import type { CanaryAnalysis, RouterName } from './model.js';
import { routerOf } from './routers/router-registry.js';

/**
 * Flagger's strategies: A/B (iterations and matches: matched requests go to the canary), blue/green
 * (iterations: no weight steps) and canary (weight steps). Iterations win over weights, as in Flagger; a router
 * that cannot shift traffic runs everything as blue/green.
 */
type Strategy = 'canary' | 'blue-green' | 'ab';

export function strategyOf(analysis: CanaryAnalysis, router: RouterName): Strategy {
  const shifts = routerOf(router).shiftsTraffic;
  if (analysis.iterations !== undefined || !shifts) {
    return shifts && analysis.match.length > 0 ? 'ab' : 'blue-green';
  }
  return 'canary';
}

/** The highest canary weight of a run: `maxWeight`, else the last of `stepWeights`. */
export function maxWeightOf(analysis: CanaryAnalysis): number {
  if (analysis.maxWeight !== undefined) return analysis.maxWeight;
  const last = analysis.stepWeights?.at(-1);
  return last ?? 0;
}

/** The weight after one successful step from `current`, never above the maximum (Flagger can overshoot it). */
export function nextWeight(analysis: CanaryAnalysis, current: number): number {
  const max = maxWeightOf(analysis);
  if (analysis.stepWeights && analysis.stepWeights.length > 0) {
    const next = analysis.stepWeights.find((w) => w > current);
    return Math.min(next ?? max, max);
  }
  return Math.min(current + (analysis.stepWeight ?? 0), max);
}

/** The canary's weight after one step of a gradual promotion (stepWeightPromotion). */
export function promotionWeight(analysis: CanaryAnalysis, current: number): number {
  return Math.max(0, current - (analysis.stepWeightPromotion ?? current));
}

/**
 * True once a successful step at `weight` (or `iteration`) means the next step is promotion. Blue/green with
 * a router that shifts traffic first gives the canary all of it for one more iteration (Flagger's last B/G step).
 */
export function readyToPromote(
  analysis: CanaryAnalysis,
  router: RouterName,
  weight: number,
  iteration: number,
): boolean {
  switch (strategyOf(analysis, router)) {
    case 'canary':
      return weight >= maxWeightOf(analysis);
    case 'ab':
      return iteration >= (analysis.iterations ?? 0);
    case 'blue-green':
      return routerOf(router).shiftsTraffic
        ? iteration > (analysis.iterations ?? 0)
        : iteration >= (analysis.iterations ?? 0);
  }
}

// The traffic maths of a canary run, as small pure functions: where the weight goes next, and when a run
// has done enough to promote.
import type { CanaryAnalysis } from './model.js';

/** The highest canary weight of a run: `maxWeight`, else the last of `stepWeights`. */
export function maxWeightOf(analysis: CanaryAnalysis): number {
  if (analysis.maxWeight !== undefined) return analysis.maxWeight;
  const last = analysis.stepWeights?.at(-1);
  return last ?? 0;
}

/** The weight after one successful step from `current`, never above the maximum. */
export function nextWeight(analysis: CanaryAnalysis, current: number): number {
  const max = maxWeightOf(analysis);
  if (analysis.stepWeights && analysis.stepWeights.length > 0) {
    const next = analysis.stepWeights.find((w) => w > current);
    return Math.min(next ?? max, max);
  }
  return Math.min(current + (analysis.stepWeight ?? 0), max);
}

/** Blue/green runs count iterations and never shift traffic; the others step the weight. */
export function isBlueGreen(analysis: CanaryAnalysis): boolean {
  return (
    analysis.iterations !== undefined && analysis.stepWeight === undefined && !analysis.stepWeights?.length
  );
}

/** True once a successful step at `weight` (or `iteration`) means the next step is promotion. */
export function readyToPromote(analysis: CanaryAnalysis, weight: number, iteration: number): boolean {
  if (isBlueGreen(analysis)) return iteration >= (analysis.iterations ?? 0);
  return weight >= maxWeightOf(analysis);
}

import { describe, expect, it } from 'vitest';
import type { CanaryAnalysis } from '../../../src/core/model.js';
import {
  maxWeightOf,
  nextWeight,
  promotionWeight,
  readyToPromote,
  strategyOf,
} from '../../../src/core/weights.js';

const analysis = (overrides: Partial<CanaryAnalysis>): CanaryAnalysis => ({
  intervalSeconds: 60,
  threshold: 5,
  match: [],
  mirror: false,
  ...overrides,
});
const abMatch = [{ headers: { 'x-canary': { exact: 'insider' } } }];

describe('nextWeight', () => {
  it.each([
    ['steps by stepWeight', { stepWeight: 10, maxWeight: 50 }, 0, 10],
    ['steps by stepWeight from the middle', { stepWeight: 10, maxWeight: 50 }, 20, 30],
    ['stops at maxWeight when the step overshoots', { stepWeight: 20, maxWeight: 50 }, 40, 50],
    ['stays at maxWeight', { stepWeight: 10, maxWeight: 50 }, 50, 50],
    ['takes the next of stepWeights', { stepWeights: [1, 5, 25, 50] }, 5, 25],
    ['takes the first of stepWeights from zero', { stepWeights: [1, 5, 25, 50] }, 0, 1],
    ['stays at the last of stepWeights', { stepWeights: [1, 5, 25, 50] }, 50, 50],
    ['caps stepWeights at an explicit maxWeight', { stepWeights: [10, 40, 80], maxWeight: 60 }, 40, 60],
  ])('%s', (_, overrides, current, expected) => {
    expect(nextWeight(analysis(overrides), current)).toBe(expected);
  });
});

describe('maxWeightOf', () => {
  it.each([
    [{ stepWeight: 10, maxWeight: 30 }, 30],
    [{ stepWeights: [5, 10, 70] }, 70],
  ])('of %j is %i', (overrides, expected) => {
    expect(maxWeightOf(analysis(overrides))).toBe(expected);
  });
});

describe('strategyOf', () => {
  it.each([
    ['weights', { stepWeight: 10, maxWeight: 50 }, 'gatewayapi', 'canary'],
    ['iterations', { iterations: 3 }, 'gatewayapi', 'blue-green'],
    [
      'iterations beside weights (iterations win, as in Flagger)',
      { iterations: 3, stepWeight: 10 },
      'gatewayapi',
      'blue-green',
    ],
    ['iterations with A/B matches', { iterations: 3, match: abMatch }, 'gatewayapi', 'ab'],
    [
      'A/B matches with a router that cannot route them',
      { iterations: 3, match: abMatch },
      'kubernetes',
      'blue-green',
    ],
    ['iterations with the kubernetes router', { iterations: 3 }, 'kubernetes', 'blue-green'],
  ] as const)('of %s is %s', (_, overrides, router, expected) => {
    expect(strategyOf(analysis(overrides), router)).toBe(expected);
  });
});

describe('readyToPromote', () => {
  it.each([
    ['a weighted run below the maximum', { stepWeight: 10, maxWeight: 50 }, 'gatewayapi', 40, 0, false],
    ['a weighted run at the maximum', { stepWeight: 10, maxWeight: 50 }, 'gatewayapi', 50, 0, true],
    [
      'a blue/green run without a route, short of its iterations',
      { iterations: 3 },
      'kubernetes',
      0,
      2,
      false,
    ],
    ['a blue/green run without a route, after its iterations', { iterations: 3 }, 'kubernetes', 0, 3, true],
    [
      'a routed blue/green run at its iterations (traffic moves to the canary first)',
      { iterations: 3 },
      'gatewayapi',
      0,
      3,
      false,
    ],
    ['a routed blue/green run after the all-traffic step', { iterations: 3 }, 'gatewayapi', 100, 4, true],
    ['an A/B run short of its iterations', { iterations: 3, match: abMatch }, 'gatewayapi', 100, 2, false],
    ['an A/B run after its iterations', { iterations: 3, match: abMatch }, 'gatewayapi', 100, 3, true],
  ] as const)('is right for %s', (_, overrides, router, weight, iteration, expected) => {
    expect(readyToPromote(analysis(overrides), router, weight, iteration)).toBe(expected);
  });
});

describe('promotionWeight', () => {
  it.each([
    ['hands stepWeightPromotion back to primary', { stepWeightPromotion: 20 }, 50, 30],
    ['never goes below zero', { stepWeightPromotion: 20 }, 10, 0],
    ['hands everything back at once without stepWeightPromotion', {}, 50, 0],
  ])('%s', (_, overrides, current, expected) => {
    expect(promotionWeight(analysis(overrides), current)).toBe(expected);
  });
});

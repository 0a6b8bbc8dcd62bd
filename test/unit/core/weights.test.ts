import { describe, expect, it } from 'vitest';
import type { CanaryAnalysis } from '../../../src/core/model.js';
import { isBlueGreen, maxWeightOf, nextWeight, readyToPromote } from '../../../src/core/weights.js';

const analysis = (overrides: Partial<CanaryAnalysis>): CanaryAnalysis => ({
  intervalSeconds: 60,
  threshold: 5,
  ...overrides,
});

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

describe('readyToPromote', () => {
  it.each([
    ['a weighted run below the maximum', { stepWeight: 10, maxWeight: 50 }, 40, 0, false],
    ['a weighted run at the maximum', { stepWeight: 10, maxWeight: 50 }, 50, 0, true],
    ['a blue/green run short of its iterations', { iterations: 3 }, 0, 2, false],
    ['a blue/green run after its iterations', { iterations: 3 }, 0, 3, true],
  ])('is right for %s', (_, overrides, weight, iteration, expected) => {
    expect(readyToPromote(analysis(overrides), weight, iteration)).toBe(expected);
  });

  it('treats iterations beside a stepWeight as a weighted run', () => {
    expect(isBlueGreen(analysis({ iterations: 3, stepWeight: 10, maxWeight: 20 }))).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import {
  evaluateMetric,
  NAN_REASON,
  NO_DATA_REASON,
  type Measurement,
  type ThresholdRange,
} from '../../../../src/core/analysis/evaluate-metric.js';

const value = (v: number): Measurement => ({ kind: 'value', value: v });

describe('evaluateMetric', () => {
  it.each<[string, Measurement, ThresholdRange, boolean, string | undefined]>([
    ['above the minimum', value(99.5), { min: 99 }, true, undefined],
    ['at the minimum', value(99), { min: 99 }, true, undefined],
    ['below the minimum', value(98.25), { min: 99 }, false, '98.25 is below the minimum 99'],
    ['at the maximum', value(500), { max: 500 }, true, undefined],
    ['above the maximum', value(501), { max: 500 }, false, '501 is above the maximum 500'],
    ['inside a range', value(5), { min: 1, max: 10 }, true, undefined],
    ['below a range', value(0.5), { min: 1, max: 10 }, false, '0.5 is below the minimum 1'],
    ['a long fraction', value(97.123456789), { min: 99 }, false, '97.1235 is below the minimum 99'],
    ['+Inf against a maximum', value(Infinity), { max: 500 }, false, '+Inf is above the maximum 500'],
    ['NaN', value(Number.NaN), { min: 0, max: 100 }, false, NAN_REASON],
    ['no data', { kind: 'no-data' }, { min: 99 }, false, NO_DATA_REASON],
    [
      'an error',
      { kind: 'error', message: 'Prometheus at http://p: HTTP 503' },
      { min: 99 },
      false,
      'Prometheus at http://p: HTTP 503',
    ],
  ])('%s: passed=%s', (_, measurement, range, passed, reason) => {
    const result = evaluateMetric('m', measurement, range);

    expect(result.passed).toBe(passed);
    expect(result.reason).toBe(reason);
  });

  it('records the value and the bounds it was held to', () => {
    expect(evaluateMetric('request-duration', value(420), { min: 0, max: 500 })).toEqual({
      name: 'request-duration',
      value: 420,
      min: 0,
      max: 500,
      passed: true,
    });
  });

  it('records no value when there is none to record (the state document holds finite numbers only)', () => {
    expect(evaluateMetric('m', value(Number.NaN), { min: 1 })).toEqual({
      name: 'm',
      min: 1,
      passed: false,
      reason: NAN_REASON,
    });
    expect(evaluateMetric('m', value(Infinity), { max: 1 })).not.toHaveProperty('value');
  });
});

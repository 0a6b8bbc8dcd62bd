// Turns one measurement into a check result against its threshold range. Anything that is not a number
// inside the range fails with a reason: no data, NaN and an unreachable provider never pass a canary.
import type { CheckResult } from '../model.js';

export interface ThresholdRange {
  min?: number;
  max?: number;
}

/** What a metric provider answered, already in the threshold's unit. */
export type Measurement =
  { kind: 'value'; value: number } | { kind: 'no-data' } | { kind: 'error'; message: string };

export const NO_DATA_REASON = 'no data: the query returned no series (is the canary receiving traffic?)';
export const NAN_REASON = 'NaN: the query has no value (no requests in the interval?)';

export function evaluateMetric(name: string, measurement: Measurement, range: ThresholdRange): CheckResult {
  const bounds = {
    ...(range.min !== undefined ? { min: range.min } : {}),
    ...(range.max !== undefined ? { max: range.max } : {}),
  };
  const fail = (reason: string, value?: number): CheckResult => ({
    name,
    // The state document holds finite numbers only; ±Inf is spelled out in the reason instead.
    ...(value !== undefined && Number.isFinite(value) ? { value } : {}),
    ...bounds,
    passed: false,
    reason,
  });

  if (measurement.kind === 'error') return fail(measurement.message);
  if (measurement.kind === 'no-data') return fail(NO_DATA_REASON);
  const { value } = measurement;
  if (Number.isNaN(value)) return fail(NAN_REASON);
  // Strict comparisons, as Flagger's: a value equal to a bound passes.
  if (range.min !== undefined && value < range.min) {
    return fail(`${formatNumber(value)} is below the minimum ${range.min}`, value);
  }
  if (range.max !== undefined && value > range.max) {
    return fail(`${formatNumber(value)} is above the maximum ${range.max}`, value);
  }
  return { name, ...(Number.isFinite(value) ? { value } : {}), ...bounds, passed: true };
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return String(Number(value.toPrecision(6)));
}

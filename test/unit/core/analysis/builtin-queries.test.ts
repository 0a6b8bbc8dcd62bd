import { describe, expect, it } from 'vitest';
import {
  builtinQuery,
  builtinValue,
  canarySelector,
  selectorMatchers,
} from '../../../../src/core/analysis/builtin-queries.js';
import { aTarget } from '../builders.js';

const scope = { namespace: 'apps', interval: '1m', selector: { app: 'podinfo-green' } };

describe('builtinQuery', () => {
  // These strings are documented in docs/analysis.md; a change here is a change for every dashboard.
  it('asks for the success rate of the canary pods as a percentage of non-5xx requests', () => {
    expect(builtinQuery('request-success-rate', scope)).toBe(
      'sum(rate(http_request_duration_seconds_count{kubernetes_namespace="apps",app="podinfo-green",status!~"5.*"}[1m]))' +
        ' / sum(rate(http_request_duration_seconds_count{kubernetes_namespace="apps",app="podinfo-green"}[1m])) * 100',
    );
  });

  it("asks for the canary pods' P99 request duration", () => {
    expect(builtinQuery('request-duration', scope)).toBe(
      'histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{kubernetes_namespace="apps",app="podinfo-green"}[1m])) by (le))',
    );
  });

  it('uses the interval of the metric', () => {
    expect(builtinQuery('request-duration', { ...scope, interval: '5m' })).toContain('[5m]');
  });
});

describe('selectorMatchers', () => {
  it('names labels as Prometheus pod discovery does, sorted, values quoted', () => {
    const matchers = selectorMatchers({
      'app.kubernetes.io/name': 'podinfo',
      track: 'say "canary"',
      'app.kubernetes.io/version': '6.1',
    });

    expect(matchers).toEqual([
      'app_kubernetes_io_name="podinfo"',
      'app_kubernetes_io_version="6.1"',
      'track="say \\"canary\\""',
    ]);
  });
});

describe('canarySelector', () => {
  it("is the target's selector", () => {
    expect(canarySelector(aTarget('green'))).toEqual({ app: 'podinfo-green' });
  });

  it.each([
    ['an ExternalName Service', { type: 'ExternalName', externalName: 'x.example.com', selector: undefined }],
    ['a Service with an empty selector', { selector: {} }],
  ])('is absent for %s', (_, spec) => {
    expect(canarySelector(aTarget('green', spec))).toBeUndefined();
  });
});

describe('builtinValue', () => {
  it.each([
    ['request-success-rate', 99.5, 99.5],
    ['request-duration', 0.25, 250],
    ['request-duration', 0.4129, 412],
    ['request-duration', Infinity, Infinity],
  ] as const)('turns %s %s into %s', (metric, value, expected) => {
    expect(builtinValue(metric, value)).toBe(expected);
  });
});

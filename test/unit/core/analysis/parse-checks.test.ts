import { describe, expect, it } from 'vitest';
import { analysisFieldOf, parseCanaryChecks } from '../../../../src/core/analysis/parse-checks.js';
import type { CanarySpec } from '../../../../src/core/model.js';
import { aCanary } from '../builders.js';

const at = 'spec.analysis';

function canaryWith(
  analysis: { metrics?: unknown[]; webhooks?: unknown[] },
  apiVersion = 'gitcanary.dev/v1alpha1',
): CanarySpec {
  const base = aCanary();
  return { ...base, apiVersion, analysis: { ...base.analysis, ...analysis } };
}

function metricsOf(metrics: unknown[], apiVersion?: string) {
  const result = parseCanaryChecks(canaryWith({ metrics }, apiVersion), at);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.checks.metrics;
}

function issuesOf(analysis: { metrics?: unknown[]; webhooks?: unknown[] }, apiVersion?: string) {
  const result = parseCanaryChecks(canaryWith(analysis, apiVersion), at);
  return result.ok ? [] : result.issues;
}

describe('parseCanaryChecks: metrics', () => {
  it('reads a built-in, a template reference and their defaults', () => {
    const metrics = metricsOf([
      { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '30s' },
      { name: 'errors', templateRef: { name: 'error-rate' }, thresholdRange: { max: 1 } },
    ]);

    expect(metrics).toEqual([
      {
        name: 'request-success-rate',
        field: 'spec.analysis.metrics[0]',
        source: { kind: 'builtin', builtin: 'request-success-rate' },
        thresholdRange: { min: 99 },
        interval: '30s',
        variables: {},
      },
      {
        name: 'errors',
        field: 'spec.analysis.metrics[1]',
        source: { kind: 'template', templateRef: { name: 'error-rate', namespace: 'test' } },
        thresholdRange: { max: 1 },
        interval: '1m',
        variables: {},
      },
    ]);
  });

  it('keeps a templateRef namespace that is given, and the template variables', () => {
    const [metric] = metricsOf([
      {
        name: 'latency',
        templateRef: { name: 'p99', namespace: 'monitoring' },
        templateVariables: { direction: 'inbound' },
        thresholdRange: { min: 0, max: 500 },
      },
    ]);

    expect(metric?.source).toEqual({
      kind: 'template',
      templateRef: { name: 'p99', namespace: 'monitoring' },
    });
    expect(metric?.variables).toEqual({ direction: 'inbound' });
    expect(metric?.thresholdRange).toEqual({ min: 0, max: 500 });
  });

  // Flagger's legacy `threshold` (pkg/controller/scheduler_metrics.go): a minimum for the success rate,
  // a maximum for the duration and for custom queries.
  it.each([
    ['flagger.app/v1alpha3', { name: 'request-success-rate', threshold: 99 }, { min: 99 }],
    ['flagger.app/v1alpha3', { name: 'request-duration', threshold: 500 }, { max: 500 }],
    ['flagger.app/v1alpha3', { name: 'custom', query: 'sum(up)', threshold: 5 }, { max: 5 }],
    ['flagger.app/v1beta1', { name: 'custom', templateRef: { name: 't' }, threshold: 5 }, { max: 5 }],
    [
      'flagger.app/v1beta1',
      { name: 'request-success-rate', threshold: 50, thresholdRange: { max: 100 } },
      { max: 100 },
    ],
  ])('in %s reads %j as the range %j', (apiVersion, metric, range) => {
    const [parsed] = metricsOf([metric], apiVersion);

    expect(parsed?.thresholdRange).toEqual(range);
  });

  it('reads an inline query of a flagger.app Canary as a template', () => {
    const [metric] = metricsOf(
      [{ name: 'up', query: 'min(up{namespace="{{ namespace }}"})', threshold: 1 }],
      'flagger.app/v1alpha3',
    );

    expect(metric?.source.kind).toBe('query');
  });

  it.each([
    [
      'a gitcanary Canary with the legacy threshold',
      { name: 'request-success-rate', threshold: 99 },
      'spec.analysis.metrics[0].threshold',
      "use thresholdRange (threshold is Flagger's old form)",
    ],
    [
      'a gitcanary Canary with an inline query',
      { name: 'up', query: 'up', thresholdRange: { min: 1 } },
      'spec.analysis.metrics[0].query',
      "inline queries are Flagger's old form: put the query in a MetricTemplate and use templateRef",
    ],
    [
      'no threshold at all',
      { name: 'request-duration' },
      'spec.analysis.metrics[0].thresholdRange',
      'required: the accepted min and/or max',
    ],
    [
      'an empty range',
      { name: 'request-duration', thresholdRange: {} },
      'spec.analysis.metrics[0].thresholdRange',
      'give min, max or both',
    ],
    [
      'min above max',
      { name: 'request-duration', thresholdRange: { min: 9, max: 1 } },
      'spec.analysis.metrics[0].thresholdRange',
      'min (9) is above max (1)',
    ],
    [
      'a range bound that is not a number',
      { name: 'request-duration', thresholdRange: { max: '500ms' } },
      'spec.analysis.metrics[0].thresholdRange.max',
      'must be a number',
    ],
    [
      'an unknown metric without a template',
      { name: 'error-rate', thresholdRange: { max: 1 } },
      'spec.analysis.metrics[0].templateRef',
      'required: "error-rate" is not a built-in metric (request-success-rate, request-duration)',
    ],
    [
      'a Go duration Prometheus cannot read',
      { name: 'request-duration', thresholdRange: { max: 1 }, interval: '1.5m' },
      'spec.analysis.metrics[0].interval',
      'must be a Prometheus duration such as 30s, 1m or 1h30m, got "1.5m"',
    ],
    [
      'a zero interval',
      { name: 'request-duration', thresholdRange: { max: 1 }, interval: '0s' },
      'spec.analysis.metrics[0].interval',
      'must be a Prometheus duration such as 30s, 1m or 1h30m, got "0s"',
    ],
    ['a metric without a name', { thresholdRange: { max: 1 } }, 'spec.analysis.metrics[0].name', 'required'],
    [
      'a template variable that is not a string',
      { name: 'x', templateRef: { name: 't' }, thresholdRange: { max: 1 }, templateVariables: { n: 1 } },
      'spec.analysis.metrics[0].templateVariables.n',
      'must be a string (quote it in YAML)',
    ],
    [
      'a template variable whose name no template could read',
      {
        name: 'x',
        templateRef: { name: 't' },
        thresholdRange: { max: 1 },
        templateVariables: { 'a"}': 'v' },
      },
      'spec.analysis.metrics[0].templateVariables["a\\"}"]',
      'must be a letter or "_", then letters, digits, "_", "-" or ".", at most 63 characters',
    ],
    [
      'a metric name with a line break, which would forge a commit trailer',
      { name: 'x\nCanary-Phase: Succeeded', templateRef: { name: 't' }, thresholdRange: { max: 1 } },
      'spec.analysis.metrics[0].name',
      'must not contain control characters or line breaks',
    ],
  ])('reports %s at its field', (_, metric, field, message) => {
    expect(issuesOf({ metrics: [metric] })).toEqual([{ field, message }]);
  });

  it('reports both a templateRef and a query', () => {
    const metric = { name: 'x', templateRef: { name: 't' }, query: 'up', thresholdRange: { max: 1 } };

    expect(issuesOf({ metrics: [metric] }, 'flagger.app/v1beta1')).toEqual([
      { field: 'spec.analysis.metrics[0].query', message: 'give either templateRef or query, not both' },
    ]);
  });

  it('reports a bad inline query template at the query', () => {
    const metric = { name: 'x', query: 'up{pod="{{ pod }}"}', threshold: 1 };

    const [issue] = issuesOf({ metrics: [metric] }, 'flagger.app/v1alpha3');

    expect(issue?.field).toBe('spec.analysis.metrics[0].query');
    expect(issue?.message).toMatch(/^unknown template variable "pod"/u);
  });

  it('reports a metric name used twice, since results are keyed by name', () => {
    const metric = { name: 'request-duration', thresholdRange: { max: 1 } };

    expect(issuesOf({ metrics: [metric, metric] })).toEqual([
      { field: 'spec.analysis.metrics[1].name', message: 'metric "request-duration" is listed twice' },
    ]);
  });
});

describe('parseCanaryChecks: webhooks', () => {
  it("reads a webhook with Flagger's defaults: type rollout, timeout 10 s, no retries", () => {
    const result = parseCanaryChecks(
      canaryWith({ webhooks: [{ name: 'load', url: 'http://loadtester.test/' }] }),
      at,
    );

    expect(result).toEqual({
      ok: true,
      warnings: [],
      checks: {
        metrics: [],
        webhooks: [
          {
            name: 'load',
            field: 'spec.analysis.webhooks[0]',
            type: 'rollout',
            url: 'http://loadtester.test/',
            timeoutSeconds: 10,
            metadata: {},
            retries: 0,
            disableTLS: false,
          },
        ],
      },
    });
  });

  it('reads every field as written', () => {
    const hook = {
      name: 'gate',
      type: 'confirm-promotion',
      url: 'https://gate.test/approve',
      timeout: '1m', // the longest allowed
      metadata: { cmd: 'hey -z 1m' },
      retries: 2,
      disableTLS: true,
      muteAlert: true,
    };

    const result = parseCanaryChecks(canaryWith({ webhooks: [hook] }), at);

    expect(result.ok && result.checks.webhooks[0]).toMatchObject({
      type: 'confirm-promotion',
      timeoutSeconds: 60,
      metadata: { cmd: 'hey -z 1m' },
      retries: 2,
      disableTLS: true,
    });
  });

  it('takes an empty type as a rollout hook, as Flagger does', () => {
    const result = parseCanaryChecks(
      canaryWith({ webhooks: [{ name: 'a', type: '', url: 'http://a/' }] }),
      at,
    );

    expect(result.ok && result.checks.webhooks[0]?.type).toBe('rollout');
  });

  it.each([
    [
      { name: 'a', url: 'http://a/', type: 'pre' },
      'spec.analysis.webhooks[0].type',
      /^must be one of confirm-rollout/u,
    ],
    [{ name: 'a', url: 'ftp://a/' }, 'spec.analysis.webhooks[0].url', /^must be an absolute http/u],
    [{ name: 'a', url: '/relative' }, 'spec.analysis.webhooks[0].url', /^must be an absolute http/u],
    [{ name: 'a' }, 'spec.analysis.webhooks[0].url', /^required$/u],
    [{ name: 'a', url: 'http://a/', timeout: '10' }, 'spec.analysis.webhooks[0].timeout', /missing unit/u],
    [
      { name: 'a', url: 'http://a/', timeout: '0s' },
      'spec.analysis.webhooks[0].timeout',
      /longer than zero/u,
    ],
    [{ name: 'a', url: 'http://a/', retries: -1 }, 'spec.analysis.webhooks[0].retries', /not be negative/u],
    // A line break in a name would forge a commit trailer.
    [
      { name: 'a\nCanary-Phase: Succeeded', url: 'http://a/' },
      'spec.analysis.webhooks[0].name',
      /control characters or line breaks/u,
    ],
    [
      { name: 'a', url: 'http://a/', metadata: { n: 5 } },
      'spec.analysis.webhooks[0].metadata.n',
      /quote it/u,
    ],
  ])('reports %j at %s', (hook, field, message) => {
    const [issue, ...more] = issuesOf({ webhooks: [hook] });

    expect(more).toEqual([]);
    expect(issue?.field).toBe(field);
    expect(issue?.message).toMatch(message);
  });
});

describe('parseCanaryChecks: bounds on webhooks', () => {
  // Bounded whatever the repository says (a pass waits for every hook of every Canary), but a value Flagger
  // takes is not refused: it is capped, and a warning says so.
  it.each([
    [{ timeout: '61s' }, 'timeout', 60, 'taken as 60s, not "61s"'],
    [{ timeout: '10m' }, 'timeout', 60, 'taken as 60s, not "10m"'],
    // Beyond Node's 24.8-day timer limit, which would fire at once.
    [{ timeout: '1000h' }, 'timeout', 60, 'taken as 60s, not "1000h"'],
    [{ retries: 11 }, 'retries', 10, 'taken as 10, not 11'],
    [{ retries: 1_000_000_000 }, 'retries', 10, 'taken as 10, not 1000000000'],
  ])('caps %j and warns', (bound, key, expected, message) => {
    const result = parseCanaryChecks(
      canaryWith({ webhooks: [{ name: 'a', url: 'http://a/', ...bound }] }),
      at,
    );

    expect(result.ok).toBe(true);
    const [hook] = result.ok ? result.checks.webhooks : [];
    expect(key === 'timeout' ? hook?.timeoutSeconds : hook?.retries).toBe(expected);
    expect(result.warnings).toEqual([
      { field: `spec.analysis.webhooks[0].${key}`, message: expect.stringContaining(message) as string },
    ]);
  });
});

describe('analysisFieldOf', () => {
  it.each([
    [{ apiVersion: 'gitcanary.dev/v1alpha1', spec: { analysis: {} } }, 'spec.analysis'],
    [{ apiVersion: 'flagger.app/v1alpha3', spec: { canaryAnalysis: {} } }, 'spec.canaryAnalysis'],
    [{ apiVersion: 'flagger.app/v1beta1', spec: { analysis: {} } }, 'spec.analysis'],
    [{ apiVersion: 'flagger.app/v1beta1', spec: { canaryAnalysis: {} } }, 'spec.canaryAnalysis'],
    [{ apiVersion: 'flagger.app/v1beta1', spec: { analysis: {}, canaryAnalysis: {} } }, 'spec.analysis'],
  ])('finds the analysis of %j at %s', (document, field) => {
    expect(analysisFieldOf(document)).toBe(field);
  });
});

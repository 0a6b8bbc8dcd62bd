// What runAnalysis asks for and how it assembles the report, with a transport that answers in memory.
// Real Prometheus and real webhook receivers are in test/integration/analysis.
import { describe, expect, it } from 'vitest';
import type { HttpRequest, HttpTransport } from '../../../src/analysis/http-transport.js';
import { runAnalysis } from '../../../src/analysis/run-analysis.js';
import type { AnalysisNeeds } from '../../../src/core/analysis-report.js';
import { parseCanaryChecks } from '../../../src/core/analysis/parse-checks.js';
import type { CanarySpec } from '../../../src/core/model.js';
import { aCanary, aTarget } from '../core/builders.js';

const prometheusAnswer = (value: string) =>
  JSON.stringify({
    status: 'success',
    data: { resultType: 'vector', result: [{ metric: {}, value: [0, value] }] },
  });

function fakeTransport(): { transport: HttpTransport; requests: HttpRequest[] } {
  const requests: HttpRequest[] = [];
  const transport: HttpTransport = (request) => {
    requests.push(request);
    if (request.method === 'GET') return Promise.resolve({ status: 200, body: prometheusAnswer('0.3') });
    return Promise.resolve({ status: request.url.includes('fail') ? 500 : 200, body: '' });
  };
  return { transport, requests };
}

function run(canary: CanarySpec, needs: AnalysisNeeds) {
  const checks = parseCanaryChecks(canary, 'spec.analysis');
  if (!checks.ok) throw new Error(JSON.stringify(checks.issues));
  const { transport, requests } = fakeTransport();
  const report = runAnalysis({
    canary,
    target: aTarget('green'),
    checks: checks.checks,
    templates: {},
    needs,
    phase: 'Progressing',
    revision: 'r',
    metricsServer: 'http://prometheus:9090',
    transport,
  });
  return { report, requests };
}

const base = aCanary();
const canary = (metrics: unknown[], webhooks: unknown[], apiVersion = base.apiVersion): CanarySpec => ({
  ...base,
  apiVersion,
  analysis: { ...base.analysis, metrics, webhooks },
});

const hooks = [
  { name: 'smoke', type: 'pre-rollout', url: 'http://hooks/smoke' },
  { name: 'load', url: 'http://hooks/fail' },
  { name: 'audit', type: 'post-rollout', url: 'http://hooks/audit' },
  { name: 'chat', type: 'event', url: 'http://hooks/chat' },
];
const duration = { name: 'request-duration', thresholdRange: { max: 500 } };

describe('runAnalysis', () => {
  it('reports pre-rollout and rollout hooks first, then the metrics', async () => {
    const { report } = run(canary([duration], hooks), {
      webhooks: ['pre-rollout', 'rollout'],
      metrics: true,
    });

    expect(await report).toEqual({
      checks: [
        { name: 'webhook:smoke', passed: true },
        { name: 'webhook:load', passed: false, reason: 'HTTP 500' },
        { name: 'request-duration', value: 300, max: 500, passed: true },
      ],
      gates: {},
    });
  });

  it('queries nothing when metrics are not needed, and calls only the hooks of the needed types', async () => {
    const { report, requests } = run(canary([duration], hooks), {
      webhooks: ['pre-rollout'],
      metrics: false,
    });
    await report;

    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(['POST http://hooks/smoke']);
  });

  it('leaves post-rollout and event hooks to notifyWebhooks', async () => {
    const { report, requests } = run(canary([], hooks), {
      webhooks: ['post-rollout', 'event'],
      metrics: false,
    });

    expect(await report).toEqual({ checks: [], gates: {} });
    expect(requests).toEqual([]);
  });

  it('sends a flagger.app inline query to the metrics server, rendered and on one line', async () => {
    const inline = {
      name: 'errors',
      query: 'sum(rate(errors{namespace="{{ namespace }}"}\n  [{{ interval }}]))',
      threshold: 1,
    };
    const { report, requests } = run(canary([inline], [], 'flagger.app/v1beta1'), {
      webhooks: [],
      metrics: true,
    });

    expect((await report).checks).toEqual([{ name: 'errors', value: 0.3, max: 1, passed: true }]);
    const url = new URL(requests[0]?.url ?? '');
    expect(url.origin + url.pathname).toBe('http://prometheus:9090/api/v1/query');
    expect(url.searchParams.get('query')).toBe('sum(rate(errors{namespace="test"} [1m]))');
  });

  it('fails a template metric whose template was not resolved', async () => {
    const metric = { name: 'errors', templateRef: { name: 'error-rate' }, thresholdRange: { max: 1 } };

    const { report } = run(canary([metric], []), { webhooks: [], metrics: true });

    expect((await report).checks).toEqual([
      { name: 'errors', max: 1, passed: false, reason: 'MetricTemplate test/error-rate was not resolved' },
    ]);
  });
});

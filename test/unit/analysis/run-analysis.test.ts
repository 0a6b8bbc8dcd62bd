// What runAnalysis asks for and how it assembles the report, with a transport that answers in memory.
// Real Prometheus and real webhook receivers are in test/integration/analysis.
import { describe, expect, it } from 'vitest';
import {
  HttpTransportError,
  type HttpRequest,
  type HttpTransport,
} from '../../../src/analysis/http-transport.js';
import { AddressPolicy } from '../../../src/analysis/address-policy.js';
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

function run(
  canary: CanarySpec,
  needs: AnalysisNeeds,
  extra: { transport?: HttpTransport; deadlineMs?: number } = {},
) {
  const checks = parseCanaryChecks(canary, 'spec.analysis');
  if (!checks.ok) throw new Error(JSON.stringify(checks.issues));
  const fake = fakeTransport();
  const requests = fake.requests;
  const transport = extra.transport ?? fake.transport;
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
    addressPolicy: AddressPolicy.unrestricted,
    retryDelayMs: 5,
    ...(extra.deadlineMs !== undefined ? { deadlineMs: extra.deadlineMs } : {}),
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

  /** Answers only when the request's signal aborts it, as a receiver that never answers would. */
  const hangingTransport: HttpTransport = (request) =>
    new Promise((_, reject) => {
      request.signal?.addEventListener('abort', () =>
        reject(new HttpTransportError('HttpAborted', (request.signal?.reason as Error).message)),
      );
    });

  it("stops every hook and query at the Canary's deadline, failing what did not answer", async () => {
    const slow = [
      { name: 'load', url: 'http://hooks/load', timeout: '60s', retries: 10 },
      { name: 'gate', type: 'confirm-promotion', url: 'http://hooks/gate', timeout: '60s' },
    ];
    const started = performance.now();

    const { report } = run(
      canary([duration], slow),
      { webhooks: ['rollout', 'confirm-promotion'], metrics: true },
      { transport: hangingTransport, deadlineMs: 50 },
    );

    const deadline = "stopped at the Canary's analysis deadline (0.05 s)";
    expect(await report).toEqual({
      checks: [
        { name: 'webhook:load', passed: false, reason: deadline },
        {
          name: 'request-duration',
          max: 500,
          passed: false,
          reason: `Prometheus at http://prometheus:9090: ${deadline}`,
        },
      ],
      gates: { 'confirm-promotion': false },
    });
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('stops retrying a failing hook at the deadline', async () => {
    const { transport, requests } = fakeTransport();
    const failing = [{ name: 'load', url: 'http://hooks/fail', retries: 10 }];

    const { report } = run(
      canary([], failing),
      { webhooks: ['rollout'], metrics: false },
      {
        transport,
        deadlineMs: 30,
      },
    );

    expect((await report).checks).toEqual([{ name: 'webhook:load', passed: false, reason: 'HTTP 500' }]);
    // 5 ms, 10 ms, 20 ms … between attempts: the deadline ends it after a few, not after eleven.
    expect(requests.length).toBeLessThan(5);
  });

  it.each([
    [
      'a Prometheus error, cut to one short line',
      500,
      { status: 'error', errorType: 'execution', error: `line one\nline two\u0007 ${'x'.repeat(400)}` },
      /^Prometheus at http:\/\/prometheus:9090: HTTP 500: line one line two x+…$/u,
    ],
    [
      "another service's JSON, of which nothing",
      500,
      { error: 'password=hunter2' },
      /^Prometheus at http:\/\/prometheus:9090: HTTP 500$/u,
    ],
    [
      'an HTML page, of which nothing',
      502,
      '<html>token=abc</html>',
      /^Prometheus at http:\/\/prometheus:9090: HTTP 502$/u,
    ],
  ])('records of %s', async (_, status, answer, reason) => {
    const transport: HttpTransport = () =>
      Promise.resolve({ status, body: typeof answer === 'string' ? answer : JSON.stringify(answer) });

    const { report } = run(canary([duration], []), { webhooks: [], metrics: true }, { transport });

    const [check] = (await report).checks;
    expect(check?.reason).toMatch(reason);
    expect(check?.reason?.length).toBeLessThanOrEqual(200);
  });

  it('fails a template metric whose template was not resolved', async () => {
    const metric = { name: 'errors', templateRef: { name: 'error-rate' }, thresholdRange: { max: 1 } };

    const { report } = run(canary([metric], []), { webhooks: [], metrics: true });

    expect((await report).checks).toEqual([
      { name: 'errors', max: 1, passed: false, reason: 'MetricTemplate test/error-rate was not resolved' },
    ]);
  });
});

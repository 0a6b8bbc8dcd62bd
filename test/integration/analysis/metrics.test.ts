// Metric checks against the harness's real Prometheus. A test exporter emits the series Prometheus's pod
// discovery would store for the application's pods (`http_request_duration_seconds_*` with
// `kubernetes_namespace` and the pod labels), so the built-in queries must find them exactly as in a cluster.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Histogram } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { AddressPolicy } from '../../../src/analysis/address-policy.js';
import { runAnalysis, type RunAnalysisInput } from '../../../src/analysis/run-analysis.js';
import type { AnalysisReport } from '../../../src/core/analysis-report.js';
import { NAN_REASON, NO_DATA_REASON } from '../../../src/core/analysis/evaluate-metric.js';
import type { CheckResult } from '../../../src/core/model.js';
import { freePort } from '../../../harness/free-port.js';
import { waitUntil } from '../../../harness/owned-process.js';
import { startTestExporter, type TestExporter } from '../../../harness/test-exporter.js';
import { canaryYaml, resolveCanary, serviceYaml, startReceiver, type Receiver } from './fixtures.js';

const prometheus = inject('prometheus');
const metricsOnly = { webhooks: [], metrics: true };

function analysisInput(
  files: Record<string, string>,
  extra: Partial<RunAnalysisInput> = {},
): RunAnalysisInput {
  return {
    ...resolveCanary(files),
    needs: metricsOnly,
    phase: 'Progressing',
    revision: '3f1c0a9e42b7',
    metricsServer: prometheus.url,
    // The harness's Prometheus and the test servers listen on loopback, which the default refuses.
    addressPolicy: new AddressPolicy({ allowCidrs: ['127.0.0.1/32'] }),
    ...extra,
  };
}

/** Runs the analysis until `settled` holds for its first check (series take a scrape or two to appear). */
async function settledCheck(
  input: RunAnalysisInput,
  settled: (c: CheckResult) => boolean,
): Promise<CheckResult> {
  let report: AnalysisReport | undefined;
  await waitUntil(
    'the check to settle',
    async () => {
      report = await runAnalysis(input);
      const [check] = report.checks;
      return check !== undefined && settled(check);
    },
    { timeoutMs: 20_000, intervalMs: 250 },
  ).catch(() => undefined);
  const check = report?.checks[0];
  if (!check) throw new Error('the analysis returned no check');
  return check;
}

function podinfoHistogram(exporter: TestExporter): Histogram {
  return new Histogram({
    name: 'http_request_duration_seconds',
    help: 'request duration',
    labelNames: ['kubernetes_namespace', 'kubernetes_pod_name', 'app', 'status'],
    buckets: [0.1, 0.25, 0.5, 1],
    registers: [exporter.registry],
  });
}

describe('metric checks against Prometheus', () => {
  let exporter: TestExporter;
  let traffic: NodeJS.Timeout;
  let namespace: string;
  const servers: Receiver[] = [];

  beforeAll(async () => {
    exporter = await startTestExporter(prometheus);
    namespace = `analysis-${exporter.id}`;
    const requests = podinfoHistogram(exporter);
    const green = (status: string) => ({
      kubernetes_namespace: namespace,
      kubernetes_pod_name: 'podinfo-green-7d9f-x2x4k',
      app: 'podinfo-green',
      status,
    });
    const blue = { ...green('500'), kubernetes_pod_name: 'podinfo-blue-5c4d-8bq2w', app: 'podinfo-blue' };
    // Every series starts at zero and grows in the same proportions, so rate() ratios are exact:
    // the canary (green) serves 97 % non-5xx at 200 ms; the primary (blue) fails everything.
    for (const labels of [green('200'), green('500'), blue]) requests.zero(labels);
    traffic = setInterval(() => {
      for (let i = 0; i < 97; i += 1) requests.observe(green('200'), 0.2);
      for (let i = 0; i < 3; i += 1) requests.observe(green('500'), 0.2);
      for (let i = 0; i < 50; i += 1) requests.observe(blue, 0.2);
    }, 100);
  });

  afterAll(async () => {
    clearInterval(traffic);
    await exporter.stop();
  });

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  const files = (metrics: string, extra: Record<string, string> = {}) => ({
    'service.yaml': serviceYaml(namespace),
    'canary.yaml': canaryYaml(namespace, { metrics }),
    ...extra,
  });

  it("queries the Canary's own spec.metricsServer over --metrics-server", async () => {
    const unreachable = `http://127.0.0.1:${await freePort()}`;
    const canary = canaryYaml(namespace, {
      metrics: '      - name: request-success-rate\n        thresholdRange: { min: 95 }\n',
    }).replace('  provider: kubernetes', `  provider: kubernetes\n  metricsServer: ${prometheus.url}`);
    const input = analysisInput(
      { 'service.yaml': serviceYaml(namespace), 'canary.yaml': canary },
      { metricsServer: unreachable },
    );

    const check = await settledCheck(input, (c) => c.value === 97);

    expect(check).toMatchObject({ name: 'request-success-rate', value: 97, passed: true });
  });

  it.each([
    ['request-success-rate', 'min: 95', 97, true, undefined],
    ['request-success-rate', 'min: 99', 97, false, '97 is below the minimum 99'],
    ['request-duration', 'max: 500', 248, true, undefined],
    ['request-duration', 'max: 200', 248, false, '248 is above the maximum 200'],
  ])("measures the canary pods' %s and holds it to %s", async (name, range, value, passed, reason) => {
    const input = analysisInput(files(`      - name: ${name}\n        thresholdRange: { ${range} }\n`));

    const check = await settledCheck(input, (c) => c.value === value);

    expect(check).toEqual({
      name,
      value,
      ...(range.startsWith('min') ? { min: Number(range.slice(5)) } : { max: Number(range.slice(5)) }),
      passed,
      ...(reason ? { reason } : {}),
    });
  });

  const errorRate = `apiVersion: gitcanary.dev/v1alpha1
kind: MetricTemplate
metadata: { name: error-rate, namespace: NAMESPACE }
spec:
  provider: { type: prometheus, address: ADDRESS, SECRET }
  query: |
    sum(rate(http_request_duration_seconds_count{
      kubernetes_namespace="{{ namespace }}", app="{{ variables.app }}", status=~"5.*"
    }[{{ interval }}]))
    / sum(rate(http_request_duration_seconds_count{
      kubernetes_namespace="{{ namespace }}", app="{{ variables.app }}"
    }[{{ interval }}])) * 100
`;
  const template = (address: string, secret = '') =>
    errorRate.replace('NAMESPACE', namespace).replace('ADDRESS', address).replace(', SECRET', secret);
  const templateMetric = (max: number) =>
    `      - name: error-rate\n        templateRef: { name: error-rate }\n        templateVariables: { app: podinfo-green }\n        interval: 30s\n        thresholdRange: { max: ${max} }\n`;

  it.each([
    [5, true],
    [1, false],
  ])('renders a MetricTemplate with its variables and holds it to max %s', async (max, passed) => {
    const input = analysisInput(files(templateMetric(max), { 'template.yaml': template(prometheus.url) }));

    const check = await settledCheck(input, (c) => c.value === 3);

    expect(check).toMatchObject({ name: 'error-rate', value: 3, max, passed });
  });

  describe('a template variable that tries to close the label matcher', () => {
    // The canary's own 5xx count, which grows with the traffic: far above the maximum of 1.
    const errorsOf = (app: string) => `apiVersion: gitcanary.dev/v1alpha1
kind: MetricTemplate
metadata: { name: errors, namespace: ${namespace} }
spec:
  provider: { type: prometheus, address: ${prometheus.url} }
  query: 'sum(http_request_duration_seconds_count{kubernetes_namespace="{{ namespace }}", app="${app}", status="500"})'
`;
    const metric = (app: string) =>
      `      - name: errors\n        templateRef: { name: errors }\n        templateVariables: { app: '${app}' }\n        thresholdRange: { max: 1 }\n`;
    const injection = 'x"} or vector(0)) or sum({a="';

    it('fails the check it would otherwise pass', async () => {
      // Arrange: the same text written into the query by hand is the attack, and against the real
      // Prometheus it passes (0, within the maximum): the control that shows what escaping prevents.
      const handWritten = analysisInput(
        files(metric('unused'), { 'template.yaml': errorsOf(injection.replaceAll("'", "''")) }),
      );
      const honest = analysisInput(
        files(metric('podinfo-green'), { 'template.yaml': errorsOf('{{ variables.app }}') }),
      );
      const injected = analysisInput(
        files(metric(injection), { 'template.yaml': errorsOf('{{ variables.app }}') }),
      );

      // Act
      const attack = await settledCheck(handWritten, (c) => c.value === 0);
      const real = await settledCheck(honest, (c) => (c.value ?? 0) > 1);
      const { checks } = await runAnalysis(injected);

      // Assert
      expect(attack).toMatchObject({ value: 0, passed: true });
      expect(real).toMatchObject({ passed: false });
      expect(checks).toEqual([{ name: 'errors', max: 1, passed: false, reason: NO_DATA_REASON }]);
    });
  });

  it('refuses a MetricTemplate address the policy refuses, without a query', async () => {
    const seen: string[] = [];
    const server = await startReceiver((request, response) => {
      seen.push(request.path);
      response.writeHead(200).end();
    });
    servers.push(server);
    const input = analysisInput(files(templateMetric(5), { 'template.yaml': template(server.url) }), {
      addressPolicy: new AddressPolicy(),
    });

    const { checks } = await runAnalysis(input);

    expect(checks[0]).toMatchObject({
      passed: false,
      reason: `Prometheus at ${server.url}: refused by the address policy: loopback address`,
    });
    expect(seen).toEqual([]);
  });

  it("sends a template's credentials, read from the mounted Secret", async () => {
    const seen: (string | undefined)[] = [];
    const proxy = await startReceiver(async (request, response) => {
      seen.push(request.headers.authorization);
      if (request.headers.authorization !== 'Bearer t0ken')
        return void response.writeHead(401).end('unauthorized');
      const upstream = await fetch(`${prometheus.url}${request.path}`);
      response.writeHead(upstream.status, { 'Content-Type': 'application/json' }).end(await upstream.text());
    });
    servers.push(proxy);
    const credentialsDir = await mkdtemp(join(tmpdir(), 'gitcanary-credentials-'));
    const secretDir = join(credentialsDir, namespace, 'prom-auth');
    await mkdir(secretDir, { recursive: true });
    const repo = files(templateMetric(5), {
      'template.yaml': template(proxy.url, ', secretRef: { name: prom-auth }'),
    });

    try {
      const withoutFile = await runAnalysis(analysisInput(repo, { credentialsDir }));
      await writeFile(join(secretDir, 'token'), 'wrong\n');
      const refused = await runAnalysis(analysisInput(repo, { credentialsDir }));
      await writeFile(join(secretDir, 'token'), 't0ken\n');
      const check = await settledCheck(analysisInput(repo, { credentialsDir }), (c) => c.value === 3);

      expect(withoutFile.checks[0]?.reason).toBe(
        `secret ${namespace}/prom-auth: ${secretDir} holds neither a token nor a username; mount the Secret there`,
      );
      expect(refused.checks[0]).toMatchObject({
        passed: false,
        reason: `Prometheus at ${proxy.url}: HTTP 401`,
      });
      expect(check.passed).toBe(true);
      expect(seen).toContain('Bearer t0ken');
    } finally {
      await rm(credentialsDir, { recursive: true, force: true });
    }
  });

  it('fails a query that gives several series, asking for an aggregation', async () => {
    const perPod = errorRate
      .replace('NAMESPACE', namespace)
      .replace('ADDRESS', prometheus.url)
      .replace(', SECRET', '')
      .replace(
        /query: \|[\s\S]*$/u,
        `query: 'rate(http_request_duration_seconds_count{kubernetes_namespace="{{ namespace }}"}[1m])'\n`,
      );
    const metric =
      '      - name: error-rate\n        templateRef: { name: error-rate }\n        thresholdRange: { max: 1 }\n';
    const input = analysisInput(files(metric, { 'template.yaml': perPod }));

    const check = await settledCheck(input, (c) => c.reason?.includes('series') ?? false);

    expect(check.reason).toBe(
      `Prometheus at ${prometheus.url}: the query gives 3 series; aggregate it to one (e.g. sum(...))`,
    );
  });

  it("reports Prometheus's own error for a query it cannot parse", async () => {
    const broken = template(prometheus.url).replace('[{{ interval }}]))\n    /', '[{{ interval }})\n    /');
    const input = analysisInput(files(templateMetric(5), { 'template.yaml': broken }));

    const { checks } = await runAnalysis(input);

    expect(checks[0]?.passed).toBe(false);
    expect(checks[0]?.reason).toMatch(
      new RegExp(`^Prometheus at ${prometheus.url}: HTTP 400: .*parse error`, 'u'),
    );
  });
});

describe('metric checks that cannot measure', () => {
  let exporter: TestExporter | undefined;
  let server: Receiver | undefined;

  afterEach(async () => {
    await exporter?.stop();
    await server?.close();
    exporter = undefined;
    server = undefined;
  });

  const successRate = (namespace: string) => ({
    'service.yaml': serviceYaml(namespace),
    'canary.yaml': canaryYaml(namespace, {
      metrics: '      - name: request-success-rate\n        thresholdRange: { min: 0 }\n',
    }),
  });

  it('fails with no data when the canary has no series', async () => {
    const report = await runAnalysis(analysisInput(successRate('nobody-serves-here')));

    expect(report.checks).toEqual([
      { name: 'request-success-rate', min: 0, passed: false, reason: NO_DATA_REASON },
    ]);
  });

  it('fails with NaN when the canary has series but no requests in the interval', async () => {
    exporter = await startTestExporter(prometheus);
    const namespace = `idle-${exporter.id}`;
    const labels = { kubernetes_namespace: namespace, app: 'podinfo-green', status: '200' };
    podinfoHistogram(exporter).zero({ ...labels, kubernetes_pod_name: 'podinfo-green-1-a' });

    const check = await settledCheck(analysisInput(successRate(namespace)), (c) => c.reason === NAN_REASON);

    expect(check).toEqual({ name: 'request-success-rate', min: 0, passed: false, reason: NAN_REASON });
  });

  it('fails naming the address when Prometheus is unreachable', async () => {
    const address = `http://127.0.0.1:${await freePort()}`;

    const report = await runAnalysis(analysisInput(successRate('x'), { metricsServer: address }));

    expect(report.checks[0]).toMatchObject({
      passed: false,
      reason: `Prometheus at ${address}: unreachable (ECONNREFUSED)`,
    });
  });

  it('fails naming the address when Prometheus does not answer in time', async () => {
    server = await startReceiver(() => undefined);

    const report = await runAnalysis(
      analysisInput(successRate('x'), { metricsServer: server.url, queryTimeoutMs: 300 }),
    );

    expect(report.checks[0]?.reason).toBe(`Prometheus at ${server.url}: no answer within 0.3 s`);
  });

  it('fails a built-in when no metrics server is configured', async () => {
    const report = await runAnalysis(analysisInput(successRate('x'), { metricsServer: undefined }));

    expect(report.checks[0]?.reason).toBe(
      'no metrics server is configured (spec.metricsServer or --metrics-server)',
    );
  });
});

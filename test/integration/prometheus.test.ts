import { afterEach, describe, expect, inject, it } from 'vitest';
import { Counter, Histogram } from 'prom-client';
import { instantQuery } from '../../harness/prometheus.js';
import { waitUntil } from '../../harness/owned-process.js';
import { startTestExporter, type TestExporter } from '../../harness/test-exporter.js';

describe('the test Prometheus', () => {
  const prometheus = inject('prometheus');
  let exporter: TestExporter | undefined;

  afterEach(async () => {
    await exporter?.stop();
  });

  /** The value of a one-sample query once it satisfies `settled`, or the last value seen after 15 s. */
  async function eventually(query: string, settled: (value: number) => boolean): Promise<number | undefined> {
    let value: number | undefined;
    await waitUntil(
      query,
      async () => {
        value = (await instantQuery(prometheus.url, query))[0]?.value;
        return value !== undefined && settled(value);
      },
      { timeoutMs: 15_000, intervalMs: 250 },
    ).catch(() => undefined);
    return value;
  }

  it("answers a PromQL query with the exporter's counter value", async () => {
    exporter = await startTestExporter(prometheus);
    const requests = new Counter({
      name: 'http_requests_total',
      help: 'requests',
      labelNames: ['status'],
      registers: [exporter.registry],
    });

    requests.inc({ status: '200' }, 97);
    requests.inc({ status: '500' }, 3);

    const query = `sum(http_requests_total{exporter="${exporter.id}",status!~"5.."}) / sum(http_requests_total{exporter="${exporter.id}"}) * 100`;
    expect(await eventually(query, (v) => v === 97)).toBe(97);
  });

  it("answers a histogram quantile from the exporter's observations", async () => {
    exporter = await startTestExporter(prometheus);
    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'latency',
      buckets: [0.1, 0.25, 0.5, 1],
      registers: [exporter.registry],
    });

    for (let i = 0; i < 100; i += 1) duration.observe(0.2);

    // All observations fall in (0.1, 0.25]; Prometheus interpolates the median linearly inside it.
    const query = `histogram_quantile(0.5, sum by (le) (http_request_duration_seconds_bucket{exporter="${exporter.id}"}))`;
    const value = await eventually(query, (v) => Number.isFinite(v));
    expect(value).toBeCloseTo(0.175, 6);
  });

  it('returns no samples for a series nobody exports', async () => {
    const samples = await instantQuery(prometheus.url, 'gitcanary_no_such_metric_total');

    expect(samples).toEqual([]);
  });
});

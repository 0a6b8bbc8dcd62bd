// Stands in for a canary's pods: their own request histogram (`http_request_duration_seconds`, the series
// the built-in checks read), served to the harness's Prometheus and fed every 100 ms with 20 requests of
// 50 ms, plus `errorsPerTick` failing ones that a test may raise. Used by tests and by the demo.
import { Histogram } from 'prom-client';
import type { PrometheusAccess } from './prometheus.js';
import { startTestExporter, type TestExporter } from './test-exporter.js';

export class CanaryTraffic {
  errorsPerTick = 0;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly exporter: TestExporter,
    histogram: Histogram,
    pod: { namespace: string; app: string },
  ) {
    const labels = { kubernetes_namespace: pod.namespace, app: pod.app };
    this.timer = setInterval(() => {
      for (let i = 0; i < 20; i += 1) histogram.observe({ ...labels, status: '200' }, 0.05);
      for (let i = 0; i < this.errorsPerTick; i += 1) histogram.observe({ ...labels, status: '500' }, 0.05);
    }, 100);
  }

  /** Returns after a few scrapes, so that `rate()` over the interval has samples. */
  static async start(
    prometheus: PrometheusAccess,
    pod: { namespace: string; app: string },
  ): Promise<CanaryTraffic> {
    const exporter = await startTestExporter(prometheus);
    const histogram = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'request latency',
      labelNames: ['kubernetes_namespace', 'app', 'status'],
      buckets: [0.01, 0.1, 0.5, 1],
      registers: [exporter.registry],
    });
    const traffic = new CanaryTraffic(exporter, histogram, pod);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    return traffic;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.exporter.stop();
  }
}

// The daemon's HTTP server alone in a process of its own, so that a test can measure what hostile pushes
// cost it. Prints `{"url": …}` once listening; then, for each line on stdin, collects garbage and prints
// process.memoryUsage() as one JSON line. Run with `node --expose-gc --import tsx`.
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { startDaemonServer } from '../../src/daemon/http-server.js';
import { DaemonMetrics } from '../../src/daemon/metrics.js';

const server = await startDaemonServer({
  host: '127.0.0.1',
  port: 0,
  metrics: new DaemonMetrics({ processMetrics: false }),
  readiness: () => ({ ready: true, reason: 'ready' }),
  webhookSecret: Buffer.from(process.env.PUSH_RECEIVER_SECRET ?? 'secret'),
  webhookBodyTimeoutMs: Number(process.env.PUSH_RECEIVER_BODY_TIMEOUT_MS ?? 10_000),
  onPush: () => Promise.resolve('queued'),
  logger: pino({ level: 'silent' }),
});
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'exit') break;
  (globalThis as { gc?: () => void }).gc?.();
  process.stdout.write(`${JSON.stringify(process.memoryUsage())}\n`);
}
await server.close();

import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startDaemon, type Daemon } from '../../../src/daemon/daemon.js';
import { DaemonMetrics } from '../../../src/daemon/metrics.js';
import { emptyChangeSet, type ReconcileSummary } from '../../../src/reconcile/outcomes.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const summary = (failed: string[]): ReconcileSummary => ({
  head: 'abc',
  commits: [],
  changes: { ...emptyChangeSet(), failed },
  canaries: [],
  errors: [],
});

let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
});

async function readyz(): Promise<{ status: number; text: string }> {
  const response = await fetch(`${daemon?.url}/readyz`);
  return { status: response.status, text: await response.text() };
}

describe('the daemon’s readiness', () => {
  it('counts passes whose applies failed as failed passes, and recovers with a clean one', async () => {
    const outcomes = [[], ['Service/demo/podinfo-primary'], ['Service/demo/podinfo-primary']];
    let passes = 0;
    let failing = true;
    daemon = await startDaemon({
      reconciler: {
        reconcileOnce: () => {
          passes += 1;
          const failed = failing ? (outcomes[Math.min(passes - 1, 1)] ?? []) : [];
          return Promise.resolve(summary(failed));
        },
      },
      schedule: '* * * * * *',
      logger: pino({ level: 'silent' }),
      metrics: new DaemonMetrics({ processMetrics: false }),
      host: '127.0.0.1',
      port: 0,
    });

    while (passes < 5) await sleep(100);
    const unready = await readyz();
    failing = false;
    const before = passes;
    while (passes < before + 2) await sleep(100);
    const ready = await readyz();

    expect(unready.status).toBe(503);
    expect(unready.text).toContain('applies to the cluster failed');
    expect(ready.status).toBe(200);
  }, 15_000);
});

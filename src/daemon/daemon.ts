// `gitcanary run` put together: the HTTP server, the reconcile loop and, optionally, leader election.
// Only the leader (or a lone replica) reconciles; every replica serves /healthz, /readyz and /metrics and
// takes webhooks. stop() is the graceful shutdown: no more nudges, finish the pass in flight, release the
// Lease, then close the port.
import type { Logger } from 'pino';
import type { Reconciler } from '../reconcile/reconciler.js';
import { startDaemonServer, type PushOutcome } from './http-server.js';
import type { LeaderElector } from './leader-elector.js';
import type { DaemonMetrics } from './metrics.js';
import { Readiness } from './readiness.js';
import type { PageHandler } from './timeline-page.js';
import { startRunLoop, type PassObserver, type RunLoop } from './run-loop.js';

export interface DaemonOptions {
  reconciler: Pick<Reconciler, 'reconcileOnce'>;
  schedule: string;
  logger: Logger;
  metrics: DaemonMetrics;
  host: string;
  port: number;
  webhookSecret?: Buffer;
  /** Largest push-webhook body (default 1 MiB). */
  webhookMaxBodyBytes?: number;
  /** Least time between a pass and one a webhook asks for after it (default 2 s). */
  minNudgeIntervalMs?: number;
  /** Without one, this replica reconciles alone. */
  elector?: LeaderElector;
  /** Failed passes in a row before /readyz answers 503 (default 3). */
  failureThreshold?: number;
  /** The timeline page at `/`. */
  page?: PageHandler;
}

export interface Daemon {
  /** `http://host:port` of the HTTP server. */
  url: string;
  readonly readiness: Readiness;
  stop(): Promise<void>;
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { reconciler, schedule, logger, metrics, elector } = options;
  const readiness = new Readiness(elector ? 'follower' : 'single', options.failureThreshold);
  const observer: PassObserver = {
    passSucceeded(summary, seconds) {
      metrics.passSucceeded(summary, seconds);
      readiness.passSucceeded();
    },
    passFailed(_err, seconds) {
      metrics.passFailed(seconds);
      readiness.passFailed();
    },
  };
  const loopOptions = {
    reconciler,
    schedule,
    logger,
    observer,
    ...(options.minNudgeIntervalMs !== undefined ? { minNudgeIntervalMs: options.minNudgeIntervalMs } : {}),
  };
  let loop: RunLoop | undefined;
  let stopping = false;
  const stopLoop = async () => {
    const running = loop;
    loop = undefined;
    await running?.stop();
  };

  const onPush = async (): Promise<PushOutcome> => {
    if (stopping) return 'unavailable';
    if (loop) return loop.nudge() ? 'queued' : 'unavailable';
    if (elector && !elector.isLeader) return (await elector.requestNudge()) ? 'forwarded' : 'unavailable';
    return 'unavailable';
  };
  const server = await startDaemonServer({
    host: options.host,
    port: options.port,
    metrics,
    readiness: () => readiness.status(),
    ...(options.webhookSecret ? { webhookSecret: options.webhookSecret } : {}),
    ...(options.webhookMaxBodyBytes ? { webhookMaxBodyBytes: options.webhookMaxBodyBytes } : {}),
    onPush,
    logger,
    ...(options.page ? { page: options.page } : {}),
  });

  const election = new AbortController();
  let electing: Promise<void> = Promise.resolve();
  metrics.setLeader(!elector);
  if (elector) {
    electing = elector.run(election.signal, {
      onStartedLeading: () => {
        readiness.setRole('leader');
        metrics.setLeader(true);
        loop = startRunLoop(loopOptions);
      },
      onStoppedLeading: async () => {
        metrics.setLeader(false);
        await stopLoop();
        if (!stopping) readiness.setRole('follower');
      },
      onLeaseObserved: (reachable) => readiness.leaseObserved(reachable),
      onNudge: () => void loop?.nudge(),
    });
  } else {
    loop = startRunLoop(loopOptions);
  }

  let stopped: Promise<void> | undefined;
  return {
    url: server.url,
    readiness,
    stop: () =>
      (stopped ??= (async () => {
        stopping = true;
        readiness.setRole('stopping');
        election.abort();
        // A leader stops its loop in onStoppedLeading, while it still renews the Lease, then releases it.
        if (!elector) await stopLoop();
        await electing;
        await server.close();
        logger.info('stopped');
      })()),
  };
}

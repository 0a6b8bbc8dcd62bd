// `gitcanary run` put together: the HTTP server, the reconcile loop and, optionally, leader election.
// Only the leader (or a lone replica) reconciles; every replica serves /healthz, /readyz and /metrics and
// takes webhooks. stop() is the graceful shutdown: no more nudges, let the pass in flight finish (for
// `drainTimeoutMs` at most, then abort it), release the Lease, then close the port. A leader that loses its
// Lease aborts its pass at once: another replica may lead as soon as the Lease expires.
import type { Logger } from 'pino';
import type { PassRunner } from '../reconcile/pass-scope.js';
import { startDaemonServer, type PushOutcome } from './http-server.js';
import type { LeaderElector } from './leader-elector.js';
import type { DaemonMetrics } from './metrics.js';
import { Readiness } from './readiness.js';
import type { PageHandler } from './timeline-page.js';
import { startRunLoop, type PassObserver, type RunLoop } from './run-loop.js';

interface DaemonOptions {
  reconciler: PassRunner;
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
  /** A pass running longer is abandoned and counts as failed (see run-loop.ts). */
  passTimeoutMs?: number;
  /** How long stop() lets the pass in flight finish before aborting it (default: as long as it takes). */
  drainTimeoutMs?: number;
  /** An abandoned pass did not end (see run-loop.ts). */
  onStuck?: () => void;
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
      if (summary.changes.failed.length > 0) readiness.passFailed('applies to the cluster failed');
      else readiness.passSucceeded();
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
    ...(options.passTimeoutMs !== undefined ? { passTimeoutMs: options.passTimeoutMs } : {}),
    ...(options.onStuck ? { onStuck: options.onStuck } : {}),
  };
  let loop: RunLoop | undefined;
  let stopping = false;
  const stopLoop = async (drainMs: number | undefined) => {
    const running = loop;
    loop = undefined;
    await running?.stop(drainMs);
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
        await stopLoop(stopping ? options.drainTimeoutMs : 0);
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
        if (!elector) await stopLoop(options.drainTimeoutMs);
        await electing;
        await server.close();
        logger.info('stopped');
      })()),
  };
}

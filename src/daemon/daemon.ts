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
import { startRunLoop, type PassObserver, type RunLoop } from './run-loop.js';

export interface DaemonOptions {
  reconciler: Pick<Reconciler, 'reconcileOnce'>;
  schedule: string;
  logger: Logger;
  metrics: DaemonMetrics;
  host: string;
  port: number;
  webhookSecret?: Buffer;
  /** Without one, this replica reconciles alone. */
  elector?: LeaderElector;
  /** Failed passes in a row before /readyz answers 503 (default 3). */
  failureThreshold?: number;
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
    onPush,
    logger,
  });

  const election = new AbortController();
  let electing: Promise<void> = Promise.resolve();
  metrics.setLeader(!elector);
  if (elector) {
    electing = elector.run(election.signal, {
      onStartedLeading: () => {
        readiness.setRole('leader');
        metrics.setLeader(true);
        loop = startRunLoop({ reconciler, schedule, logger, observer });
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
    loop = startRunLoop({ reconciler, schedule, logger, observer });
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

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { pino, type Logger } from 'pino';
import { startDaemon, type Daemon } from '../../../src/daemon/daemon.js';
import { LeaderElector } from '../../../src/daemon/leader-elector.js';
import { LeaseLock } from '../../../src/kube/lease-lock.js';
import { meterRepository } from '../../../src/daemon/metered-repository.js';
import { DaemonMetrics } from '../../../src/daemon/metrics.js';
import { signGeneric } from '../../../src/daemon/webhook-signature.js';
import { openRepository } from '../../../src/git/repository.js';
import { Cluster } from '../../../src/kube/cluster.js';
import type { Reconciler } from '../../../src/reconcile/reconciler.js';
import type { ReconcileSummary } from '../../../src/reconcile/outcomes.js';
import { createReconciler } from '../../../src/reconcile/create-reconciler.js';
import { createBareRepository } from '../../../harness/git-server.js';
import { HumanClone } from '../../../harness/human-clone.js';
import { createTestNamespace, testKubeConfig } from '../../support/test-namespace.js';

const gitServer = inject('gitServer');
const controlPlane = inject('controlPlane');
const kc = testKubeConfig();
const secret = 'a-webhook-secret-that-must-never-be-logged';
// Once a year: during a test only the first pass and the nudges can explain a reconcile.
const never = '0 0 1 1 *';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** Everything the daemon logs, at debug level, as one string (to search for leaked credentials). */
function capturedLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), text: () => lines.join('') };
}

async function podinfoRepository(ns: string) {
  const name = `daemon-${ns}`;
  const url = await createBareRepository(gitServer, name);
  const human = await HumanClone.of(gitServer, name);
  const example = async (file: string) =>
    (await readFile(join('examples/podinfo', file), 'utf8')).replaceAll(
      'namespace: demo',
      `namespace: ${ns}`,
    );
  const service = await example('service.yaml');
  await human.commitAndPush(
    { 'podinfo/service.yaml': service, 'podinfo/canary.yaml': await example('canary.yaml') },
    'add podinfo',
  );
  const release = () =>
    human.commitAndPush(
      { 'podinfo/service.yaml': service.replace('podinfo-blue', 'podinfo-green') },
      'release green',
    );
  cleanups.push(() => human.dispose());
  return { url, release };
}

/** A Reconciler on the real git server and control plane, metered, with a clock the test moves. */
async function meteredReconciler(url: string, metrics: DaemonMetrics, logger: Logger) {
  const workdir = await mkdtemp(join(tmpdir(), 'gitcanary-daemon-'));
  cleanups.push(() => rm(workdir, { recursive: true, force: true }));
  const repo = await openRepository({
    url,
    branch: 'main',
    dir: workdir,
    auth: { username: gitServer.username, password: gitServer.password },
  });
  const clock = { minutes: 0 };
  const start = Date.parse('2026-11-26T10:00:00Z');
  const reconciler = createReconciler({
    repo: meterRepository(repo, metrics),
    cluster: new Cluster(kc),
    clock: () => new Date(start + clock.minutes * 60_000),
    logger,
  });
  return { reconciler, clock };
}

/** Wraps a reconciler: counts passes, and holds them until `open()` while the gate is closed. */
function gated(reconciler: Pick<Reconciler, 'reconcileOnce'>) {
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const counts = { started: 0, finished: 0 };
  return {
    counts,
    open,
    reconciler: {
      async reconcileOnce(): Promise<ReconcileSummary> {
        counts.started += 1;
        await gate;
        try {
          return await reconciler.reconcileOnce();
        } finally {
          counts.finished += 1;
        }
      },
    },
  };
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

async function metricValue(daemon: Daemon, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${daemon.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const postPush = (daemon: Daemon, headers: Record<string, string>, body = '{"ref":"refs/heads/main"}') =>
  fetch(`${daemon.url}/hooks/git`, { method: 'POST', body, headers });

async function started(options: Parameters<typeof startDaemon>[0]): Promise<Daemon> {
  const daemon = await startDaemon(options);
  cleanups.push(() => daemon.stop());
  return daemon;
}

describe('gitcanary run, in process against the real git server and control plane', () => {
  it('serves health, readiness and metrics, and reconciles at once on a signed webhook', async () => {
    const ns = await createTestNamespace(kc, 'daemon');
    const { url, release } = await podinfoRepository(ns);
    const logs = capturedLogger();
    const metrics = new DaemonMetrics();
    const { reconciler, clock } = await meteredReconciler(url, metrics, logs.logger);
    const gate = gated(reconciler);

    const daemon = await started({
      reconciler: gate.reconciler,
      schedule: never,
      logger: logs.logger,
      metrics,
      host: '127.0.0.1',
      port: 0,
      webhookSecret: Buffer.from(secret),
    });

    // Alive at once; not ready while the first pass is held back; ready once it completed.
    expect((await fetch(`${daemon.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${daemon.url}/readyz`)).status).toBe(503);
    gate.open();
    await waitFor('ready', async () =>
      (await fetch(`${daemon.url}/readyz`)).status === 200 ? true : undefined,
    );
    const weight = `gitcanary_canary_weight{namespace="${ns}",name="podinfo"}`;
    const phase = (p: string) => `gitcanary_canary_phase{namespace="${ns}",name="podinfo",phase="${p}"}`;
    expect(await metricValue(daemon, weight)).toBe(0);
    expect(await metricValue(daemon, phase('Initialized'))).toBe(1);

    // Unsigned and badly signed pushes: 401 and no pass.
    const before = gate.counts.started;
    expect((await postPush(daemon, {})).status).toBe(401);
    const forged = signGeneric('{"ref":"refs/heads/main"}', 'not-the-secret');
    expect((await postPush(daemon, forged)).status).toBe(401);
    await sleep(1_500);
    expect(gate.counts.started).toBe(before);

    // A release, then a signed push: the pass starts within a second, though cron would wait a year.
    await release();
    clock.minutes = 1;
    // Each push its own delivery (a forge's bodies differ too): the same signed body again is a replay.
    const sent: string[] = [];
    const signed = (minute: number) => {
      const body = `{"ref":"refs/heads/main","minute":${minute}}`;
      const headers = signGeneric(body, secret);
      sent.push(headers['X-Gitcanary-Signature']);
      return [headers, body] as const;
    };
    const pushedAt = performance.now();
    expect((await postPush(daemon, ...signed(1))).status).toBe(202);
    await waitFor('a pass', () => (gate.counts.finished > before ? true : undefined), 5_000);
    const nudgeLatency = performance.now() - pushedAt;
    expect(gate.counts.started - before).toBeLessThanOrEqual(1);
    expect(await metricValue(daemon, phase('Progressing'))).toBe(1);

    // The weight moves as time passes and pushes come in.
    const weights: (number | undefined)[] = [await metricValue(daemon, weight)];
    for (const minute of [2, 3]) {
      clock.minutes = minute;
      const finished = gate.counts.finished;
      expect((await postPush(daemon, ...signed(minute))).status).toBe(202);
      await waitFor('a pass', () => (gate.counts.finished > finished ? true : undefined), 5_000);
      weights.push(await metricValue(daemon, weight));
    }
    expect(weights).toEqual([0, 10, 20]);
    expect(
      await metricValue(daemon, 'gitcanary_git_operations_total{operation="push",result="success"}'),
    ).toBe(4);
    expect(await metricValue(daemon, 'gitcanary_commits_total')).toBe(4);
    expect(await metricValue(daemon, 'gitcanary_reconcile_duration_seconds_count')).toBe(
      gate.counts.finished,
    );
    expect(await metricValue(daemon, 'gitcanary_webhook_requests_total{result="unauthorized"}')).toBe(2);

    await daemon.stop();
    const logged = logs.text();
    expect(logged).toContain('"msg":"reconciled"');
    for (const credential of [gitServer.password, secret, controlPlane.token, ...sent])
      expect(logged).not.toContain(credential);
    console.log(`signed webhook → pass finished in ${nudgeLatency.toFixed(0)} ms`);
  });

  it('with leader election, a follower passes a webhook to the leader through the Lease', async () => {
    const ns = await createTestNamespace(kc, 'daemon');
    const { url, release } = await podinfoRepository(ns);
    const lock = new LeaseLock(kc, ns, 'gitcanary-leader');
    const timing = { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 300 };
    const replica = async (identity: string) => {
      const logs = capturedLogger();
      const metrics = new DaemonMetrics({ processMetrics: false });
      const { reconciler } = await meteredReconciler(url, metrics, logs.logger);
      const counted = gated(reconciler);
      counted.open();
      const elector = new LeaderElector({
        lock,
        identity,
        logger: logs.logger,
        releaseOnCancel: true,
        ...timing,
      });
      const daemon = await started({
        reconciler: counted.reconciler,
        schedule: never,
        logger: logs.logger,
        metrics,
        host: '127.0.0.1',
        port: 0,
        webhookSecret: Buffer.from(secret),
        elector,
      });
      return { daemon, elector, counts: counted.counts };
    };
    const leader = await replica('leader');
    await waitFor('the first to lead', () =>
      leader.elector.isLeader && leader.counts.finished === 1 ? true : undefined,
    );
    const follower = await replica('follower');
    await waitFor('the follower to be ready', async () =>
      (await fetch(`${follower.daemon.url}/readyz`)).status === 200 ? true : undefined,
    );
    expect(await metricValue(follower.daemon, 'gitcanary_leader')).toBe(0);
    expect(await metricValue(leader.daemon, 'gitcanary_leader')).toBe(1);

    await release();
    const body = '{"ref":"refs/heads/main"}';
    const response = await postPush(follower.daemon, signGeneric(body, secret), body);
    const sentAt = performance.now();

    expect(response.status).toBe(202);
    await waitFor('the leader to reconcile', () => (leader.counts.finished === 2 ? true : undefined), 5_000);
    const forwardLatency = performance.now() - sentAt;
    expect(follower.counts.started).toBe(0);
    expect(forwardLatency).toBeLessThan(2_000);

    // The leader shuts down: it finishes, releases, and the follower leads and reconciles at once.
    await leader.daemon.stop();
    await waitFor('the follower to lead', () => (follower.counts.finished === 1 ? true : undefined), 3_000);
    console.log(`webhook via follower → leader pass in ${forwardLatency.toFixed(0)} ms`);
  });
});

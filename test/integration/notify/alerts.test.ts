import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createNotifier } from '../../../src/cli/notifier-config.js';
import { DaemonMetrics } from '../../../src/daemon/metrics.js';
import { openRepository, type Repository } from '../../../src/git/repository.js';
import type { Reconciler } from '../../../src/reconcile/reconciler.js';
import type { CheckResult } from '../../../src/core/model.js';
import { startChatServer, type ChatServer } from '../../support/chat-server.js';
import { gitCli } from '../../support/git-cli.js';
import {
  canary,
  clusterIpSpec,
  releaseCleanup,
  server,
  service,
  setup,
  type Setup,
} from '../../support/release-fixture.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  await releaseCleanup();
});

const alerting = (ns: string, onCall: string) => `${canary(ns)}    alerts:
      - name: team
        severity: info
        providerRef: { name: team-chat }
      - name: on-call
        severity: error
        providerRef: { name: on-call }
---
apiVersion: flagger.app/v1beta1
kind: AlertProvider
metadata: { name: team-chat, namespace: ${ns} }
spec: { type: slack, channel: releases, secretRef: { name: team-chat-url } }
---
apiVersion: gitcanary.dev/v1alpha1
kind: AlertProvider
metadata: { name: on-call, namespace: ${ns} }
spec: { type: generic, address: "${onCall}" }
`;

/** Everything logged, as one string, to search for leaked secrets. */
function captured() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), text: () => lines.join('') };
}

interface World {
  s: Setup;
  chat: ChatServer;
  credentials: string;
  secretPath: string;
  failing: { checks: CheckResult[] };
  logs: ReturnType<typeof captured>;
  metrics: DaemonMetrics;
}

async function world(): Promise<World> {
  const chat = await startChatServer();
  cleanups.push(() => chat.stop());
  const failing = { checks: [] as CheckResult[] };
  const s = await setup(
    (ns) => ({
      'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
      'apps/podinfo/canary.yaml': alerting(ns, `${chat.url}/on-call`),
    }),
    { analyze: () => Promise.resolve({ checks: failing.checks, gates: {} }) },
  );
  // The Slack URL is a secret: it lives only in the mounted Secret, never in git or in a log.
  const credentials = await mkdtemp(join(tmpdir(), 'gitcanary-credentials-'));
  cleanups.push(() => rm(credentials, { recursive: true, force: true }));
  const secretPath = '/services/T0001/B0001/sEcReT-tOkEn';
  await mkdir(join(credentials, s.ns, 'team-chat-url'), { recursive: true });
  await writeFile(join(credentials, s.ns, 'team-chat-url', 'address'), `${chat.url}${secretPath}\n`);
  return {
    s,
    chat,
    credentials,
    secretPath,
    failing,
    logs: captured(),
    metrics: new DaemonMetrics({ processMetrics: false }),
  };
}

/** One replica's notifier, as `gitcanary run` builds it, on its own git store. */
function replica(w: World, repo: Repository, reconciler: Pick<Reconciler, 'resolvedCanaries'>) {
  return createNotifier(
    {
      repo: w.s.url,
      branch: 'main',
      defaultNamespace: 'default',
      metricsCredentialsDir: w.credentials,
      commitUrlTemplate: 'https://git.example.com/team/deploy/commit/{sha}',
    },
    {
      repo,
      auth: w.s.auth,
      canaries: () => reconciler.resolvedCanaries(),
      logger: w.logs.logger,
      metrics: w.metrics,
      configError: (m) => new Error(m),
      retry: { attempts: 3, initialDelayMs: 50 },
    },
  );
}

async function freshStore(w: World): Promise<Repository> {
  const dir = await mkdtemp(join(tmpdir(), 'gitcanary-replica-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return openRepository({ url: w.s.url, branch: 'main', dir, auth: w.s.auth });
}

/** The commit each Slack message names, and its text. */
const slackMessages = (chat: ChatServer) =>
  chat.received
    .filter((r) => r.path.startsWith('/services/'))
    .map((r) => {
      const body = r.body as { text: string; attachments: { fields: { title: string; value: string }[] }[] };
      const commit = body.attachments[0]?.fields.find((f) => f.title === 'Commit')?.value ?? '';
      return { commit: commit.slice(commit.lastIndexOf('/') + 1), text: body.text };
    });

describe('alerts', () => {
  it('tells the chat of every committed step once, across a restart and a second replica', async () => {
    const w = await world();
    const { s, chat } = w;
    const a = replica(w, s.repo, s.reconciler);
    a.afterPass((await s.reconcile(0)).head);
    await a.idle();
    // The first pass only sets the mark: history before alerts were on is not told.
    expect(chat.received).toEqual([]);
    expect(
      await gitCli([
        '--git-dir',
        join(server.root, `release-${s.ns}.git`),
        'rev-parse',
        'refs/gitcanary/notified/main',
      ]),
    ).toBe((await s.repo.localHead()) + '\n');

    await s.human.commitAndPush(
      { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')) },
      'release green',
    );
    chat.failNext(1); // the first send fails once and is retried
    for (const minute of [1, 2, 3, 4, 5]) {
      a.afterPass((await s.reconcile(minute)).head);
      await a.idle();
    }

    const log = (await s.human.log('%H %s')).filter((l) => l.includes('podinfo:')).reverse();
    const steps = log.slice(1); // after "initialized"
    expect(slackMessages(chat)).toEqual(
      steps.map((line) => ({
        commit: line.slice(0, 40),
        text: `podinfo.${s.ns}: ${line.slice(41 + 'podinfo: '.length)}`,
      })),
    );
    expect(steps.map((l) => l.slice(41))).toEqual([
      expect.stringMatching(/^podinfo: new revision \w{12}, analysis started$/),
      'podinfo: weight 0 → 10',
      'podinfo: weight 10 → 20',
      'podinfo: weight 20 → 30',
      expect.stringMatching(/^podinfo: promoting/),
      'podinfo: weight 30 → 0, finalising',
      expect.stringMatching(/^podinfo: promoted/),
    ]);
    // Severity error hears nothing of a release that went well.
    expect(chat.received.filter((r) => r.path === '/on-call')).toEqual([]);

    // A restarted process, or another replica: a fresh store, the same head. Nothing is told again.
    const b = replica(w, await freshStore(w), s.reconciler);
    const c = replica(w, await freshStore(w), s.reconciler);
    const head = await s.repo.localHead();
    b.afterPass(head ?? '');
    c.afterPass(head ?? '');
    await Promise.all([b.idle(), c.idle()]);
    expect(slackMessages(chat)).toHaveLength(steps.length);

    // A failed release: two replicas race to tell of each step, and each step is told once.
    await s.human.commitAndPush(
      { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('red')) },
      'release red',
    );
    w.failing.checks = [{ name: 'request-success-rate', value: 80, min: 99, passed: false }];
    const other = await freshStore(w);
    for (const minute of [6, 7, 8]) {
      const summary = await s.reconcile(minute);
      await other.fetch();
      a.afterPass(summary.head);
      b.afterPass(summary.head);
      await Promise.all([a.idle(), b.idle()]);
    }
    const told = slackMessages(chat).map((m) => m.commit);
    expect(new Set(told).size).toBe(told.length);
    expect(
      slackMessages(chat)
        .slice(steps.length)
        .map((m) => m.text.replace(/\w{12}/g, 'REV')),
    ).toEqual([
      `podinfo.${s.ns}: new revision REV, analysis started`,
      `podinfo.${s.ns}: check failed (1 of 2)`,
      `podinfo.${s.ns}: rolled back REV, weight 0 → 0`,
    ]);
    const onCall = chat.received.filter((r) => r.path === '/on-call');
    expect(onCall.map((r) => r.body)).toEqual([
      expect.objectContaining({
        canary: `${s.ns}/podinfo`,
        severity: 'error',
        kind: 'rolled-back',
        phase: 'Failed',
      }),
    ]);

    // Counted for /metrics, and never a secret in a log line.
    const metrics = await w.metrics.registry.metrics();
    expect(metrics).toContain('gitcanary_notifications_total{kind="alert",result="sent"} 11');
    expect(metrics).toContain('gitcanary_notifications_total{kind="alert",result="retried"} 1');
    expect(w.logs.text()).toContain('"msg":"notification sent"');
    expect(w.logs.text()).not.toContain('sEcReT');
  });

  it('logs and counts a send that keeps failing, and the release goes on', async () => {
    const w = await world();
    const { s, chat } = w;
    const a = replica(w, s.repo, s.reconciler);
    a.afterPass((await s.reconcile(0)).head);
    await a.idle();
    await s.human.commitAndPush(
      { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')) },
      'release green',
    );

    chat.failNext(100, 503);
    const summary = await s.reconcile(1);
    a.afterPass(summary.head);
    await a.idle();

    expect(summary.canaries[0]).toMatchObject({ phase: 'Progressing' });
    expect(await w.metrics.registry.metrics()).toContain(
      'gitcanary_notifications_total{kind="alert",result="failed"} 1',
    );
    expect(w.logs.text()).toMatch(
      /"target":"slack [\w-]+\/team-chat".*"reason":"answered HTTP 503".*"msg":"notification failed"/,
    );
    expect(w.logs.text()).not.toContain('sEcReT');
  });
});

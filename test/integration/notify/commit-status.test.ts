import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Forge } from '../../../src/core/commit-status/forge-status.js';
import type { CheckResult } from '../../../src/core/model.js';
import { cloneHistory } from '../../../src/git/history-clone.js';
import { commitStatusSink } from '../../../src/notify/commit-status-sink.js';
import { TransitionNotifier } from '../../../src/notify/transition-notifier.js';
import { startForgeServer, type ForgeServer } from '../../support/forge-server.js';
import { canary, clusterIpSpec, releaseCleanup, service, setup } from '../../support/release-fixture.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  await releaseCleanup();
});

const token = 'forge-token-never-logged';
const apiOf = (forge: Forge, server: ForgeServer) =>
  ({ github: server.url, gitlab: `${server.url}/api/v4`, gitea: `${server.url}/api/v1` })[forge];

describe('commit statuses', () => {
  it('marks the commit that started each release pending while it runs, then success or failure', async () => {
    const forge = await startForgeServer(token);
    cleanups.push(() => forge.stop());
    const failing = { checks: [] as CheckResult[] };
    const s = await setup(
      (ns) => ({
        'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
        'apps/podinfo/canary.yaml': canary(ns),
      }),
      { analyze: () => Promise.resolve({ checks: failing.checks, gates: {} }) },
    );
    const canaryOf = (key: string) =>
      s.reconciler.resolvedCanaries().find((r) => `${r.canary.namespace}/${r.canary.name}` === key);
    const history = () => cloneHistory({ url: s.url, branch: 'main', depth: 50, auth: s.auth });
    const notifier = new TransitionNotifier({
      repo: s.repo,
      markRef: 'refs/gitcanary/notified/main',
      history,
      logger: pino({ level: 'silent' }),
      retry: { attempts: 2, initialDelayMs: 20 },
      sinks: (['github', 'gitlab', 'gitea'] as const).map((name) =>
        commitStatusSink({
          forge: name,
          apiUrl: apiOf(name, forge),
          repository: name === 'gitlab' ? 'platform/team/deploy' : 'team/deploy',
          token,
          canary: canaryOf,
          defaultNamespace: 'default',
          store: s.repo,
          history,
          commitUrl: (sha) => `https://git.example.com/team/deploy/commit/${sha}`,
        }),
      ),
    });
    const pass = async (minute: number) => {
      notifier.afterPass((await s.reconcile(minute)).head);
      await notifier.idle();
    };
    await pass(0);

    // The merge, then an unrelated commit before gitcanary sees either: the status goes on the merge.
    await s.human.commitAndPush(
      { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')) },
      'release green',
    );
    const green = (await s.human.log('%H'))[0] ?? '';
    await s.human.commitAndPush({ 'apps/README.md': 'unrelated' }, 'docs');
    for (const minute of [1, 2, 3, 4, 5]) await pass(minute);

    await s.human.commitAndPush(
      { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('red')) },
      'release red',
    );
    const red = (await s.human.log('%H'))[0] ?? '';
    failing.checks = [{ name: 'request-success-rate', value: 80, min: 99, passed: false }];
    for (const minute of [6, 7, 8]) await pass(minute);

    expect(forge.refused.filter((r) => r.status !== 400)).toEqual([]);
    const of = (name: Forge, sha: string) =>
      forge.statuses
        .filter((st) => st.forge === name && st.sha === sha)
        .map((st) => `${st.state}: ${st.description}`.replace(/\w{12}/g, 'REV'));
    const pendingGreen = [
      'pending: Progressing at weight 0%: new revision REV, analysis started',
      'pending: Progressing at weight 10%: weight 0 → 10',
      'pending: Progressing at weight 20%: weight 10 → 20',
      'pending: Progressing at weight 30%: weight 20 → 30',
      'pending: Promoting at weight 30%: promoting REV',
      'pending: Finalising at weight 0%: weight 30 → 0, finalising',
    ];
    for (const name of ['github', 'gitea'] as const) {
      expect(of(name, green)).toEqual([...pendingGreen, 'success: promoted: promoted REV']);
      expect(of(name, red)).toEqual([
        'pending: Progressing at weight 0%: new revision REV, analysis started',
        'pending: Progressing at weight 0%: check failed (1 of 2)',
        'failure: rolled back: request-success-rate=80',
      ]);
    }
    // GitLab takes running once (a repeat is refused with 400 and is not an error), then the outcome.
    expect(of('gitlab', green)).toEqual([
      'running: Progressing at weight 0%: new revision REV, analysis started',
      'success: promoted: promoted REV',
    ]);
    expect(of('gitlab', red)).toEqual([
      'running: Progressing at weight 0%: new revision REV, analysis started',
      'failed: rolled back: request-success-rate=80',
    ]);
    expect(forge.statuses.every((st) => st.context === `gitcanary/${s.ns}/podinfo`)).toBe(true);
    expect(forge.statuses.filter((st) => st.forge === 'gitlab').map((st) => st.repository)).toContain(
      'platform/team/deploy',
    );
    expect(forge.statuses[0]?.targetUrl).toMatch(
      /^https:\/\/git\.example\.com\/team\/deploy\/commit\/[0-9a-f]{40}$/,
    );
  });
});

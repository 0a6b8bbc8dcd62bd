import { afterEach, describe, expect, it } from 'vitest';
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import type { HumanClone } from '../../harness/human-clone.js';
import { readHistory } from '../../src/git/read-history.js';
import { readStatus } from '../../src/reconcile/read-status.js';
import {
  canary,
  clusterIpSpec,
  objects,
  read,
  releaseCleanup,
  selectors,
  service,
  setup,
  weights,
} from '../support/release-fixture.js';

afterEach(releaseCleanup);

describe('a Service canary released from git', () => {
  it('initializes, detects a release, steps the weight, promotes, and commits every step', async () => {
    const s = await setup((ns) => ({
      'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
      'apps/podinfo/canary.yaml': canary(ns),
      'apps/podinfo/README.md': 'not a manifest',
    }));

    // 1. Initialize.
    const init = await s.reconcile(0);
    expect(init.canaries).toMatchObject([{ canary: `${s.ns}/podinfo`, phase: 'Initialized', weight: 0 }]);
    expect(await selectors(s.ns)).toEqual(['podinfo-blue', 'podinfo-blue']);
    expect(await weights(s.ns)).toEqual([100, 0]);
    expect(await read(s.ns, 'Service', 'podinfo')).toBeUndefined();
    const primary = await read(s.ns, 'Service', 'podinfo-primary');
    expect(primary?.metadata?.labels).toMatchObject({
      'app.kubernetes.io/name': 'podinfo',
      'app.kubernetes.io/managed-by': 'gitcanary',
    });
    expect(
      primary?.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration'],
    ).toBeUndefined();
    const generated = loadAll(
      await s.human.show('apps/podinfo/podinfo.gitcanary.yaml'),
    ) as KubernetesObject[];
    expect(generated.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
      'CanaryState/podinfo',
      'Service/podinfo-primary',
      'Service/podinfo-canary',
      'HTTPRoute/podinfo',
    ]);

    // 2. Nothing to do: one git round-trip (the ref listing), three Kubernetes reads, no write, no commit.
    const before = { kube: { ...s.cluster.stats }, git: { ...s.repo.stats } };
    const quiet = await s.reconcile(0.5);
    expect(quiet.commits).toEqual([]);
    expect(quiet.changes.unchanged).toHaveLength(3);
    expect(s.cluster.stats).toEqual({ reads: before.kube.reads + 3, writes: before.kube.writes });
    expect(s.repo.stats).toEqual({
      ...before.git,
      listServerRefs: before.git.listServerRefs + 1,
      httpRequests: before.git.httpRequests + 1,
    });

    // 3. A release: the target's selector moves to green.
    await s.human.commitAndPush(
      { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')) },
      'release green',
    );
    const detected = await s.reconcile(1);
    expect(detected.canaries[0]).toMatchObject({ phase: 'Progressing', weight: 0 });
    expect(await selectors(s.ns)).toEqual(['podinfo-blue', 'podinfo-green']);

    // 4. Steps, once per interval; a second pass within the interval does nothing.
    await s.reconcile(2);
    expect(await weights(s.ns)).toEqual([90, 10]);
    expect((await s.reconcile(2.5)).commits).toEqual([]);

    // 5. Git is the truth: the cluster side is rebuilt from it mid-rollout.
    for (const [kind, name] of [
      ['Service', 'podinfo-primary'],
      ['Service', 'podinfo-canary'],
      ['HTTPRoute', 'podinfo'],
    ] as const) {
      const apiVersion = kind === 'Service' ? 'v1' : 'gateway.networking.k8s.io/v1';
      await objects.delete({ apiVersion, kind, metadata: { name, namespace: s.ns } });
    }
    const rebuilt = await s.reconcile(2.6);
    expect(rebuilt.commits).toEqual([]);
    expect(rebuilt.changes.created).toHaveLength(3);
    expect(await weights(s.ns)).toEqual([90, 10]);
    expect(await selectors(s.ns)).toEqual(['podinfo-blue', 'podinfo-green']);

    await s.reconcile(3);
    expect(await weights(s.ns)).toEqual([80, 20]);
    await s.reconcile(4);
    expect(await weights(s.ns)).toEqual([70, 30]);

    // 6. Promotion: Promoting, Finalising and Succeeded, each a commit, in one pass.
    const promoted = await s.reconcile(5);
    expect(promoted.commits).toHaveLength(3);
    expect(promoted.canaries[0]).toMatchObject({ phase: 'Succeeded', weight: 0 });
    expect(await selectors(s.ns)).toEqual(['podinfo-green', 'podinfo-green']);
    expect(await weights(s.ns)).toEqual([100, 0]);

    const subjects = await s.human.log();
    expect(subjects.map((line) => line.replace(/[0-9a-f]{12}/g, 'REV'))).toEqual([
      'podinfo: promoted REV',
      'podinfo: weight 30 → 0, finalising',
      'podinfo: promoting REV',
      'podinfo: weight 20 → 30',
      'podinfo: weight 10 → 20',
      'podinfo: weight 0 → 10',
      'podinfo: new revision REV, analysis started',
      'release green',
      'podinfo: initialized at REV',
      'add podinfo',
    ]);
    const [trailers] = await s.human.log('%(trailers:only,unfold)');
    expect(trailers).toBe(`Canary: ${s.ns}/podinfo`);
    const stepMessage = (await s.human.log('%B')).join('\n');
    expect(stepMessage).toContain(`Canary: ${s.ns}/podinfo\nCanary-Phase: Progressing\nCanary-Weight: 30\n`);

    // 7. `gitcanary status` reads it all back from git, with the weight timeline from the trailers.
    const history = await readHistory({ url: s.url, branch: 'main', depth: 50, auth: s.auth });
    const status = await readStatus(s.repo, '', 'default', history);
    expect(status.canaries).toMatchObject([
      {
        canary: `${s.ns}/podinfo`,
        state: { phase: 'Succeeded' },
        timeline: '0 → 10 → 20 → 30 → 0 Succeeded',
      },
    ]);
  });

  it('keeps the other writer’s commit when a push is rejected, and commits again on the new head', async () => {
    let interfered = false;
    const people: { human?: HumanClone } = {};
    const s = await setup(
      (ns) => ({
        'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
        'apps/podinfo/canary.yaml': canary(ns),
      }),
      {
        analyze: async ({ needs }) => {
          // Someone pushes while gitcanary is between its fetch and its push (at the first weight step).
          if (needs.webhooks.includes('pre-rollout') && !interfered && people.human) {
            interfered = true;
            await people.human.commitAndPush(
              { 'docs/notes.md': 'a concurrent change\n' },
              'concurrent change',
            );
          }
          return { checks: [], gates: {} };
        },
      },
    );
    people.human = s.human;
    await s.reconcile(0);
    await s.human.commitAndPush(
      { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')) },
      'release green',
    );
    await s.reconcile(1);

    const step = await s.reconcile(2);

    expect(interfered).toBe(true);
    expect(step.commits).toHaveLength(1);
    expect((await s.human.log()).slice(0, 3)).toEqual([
      'podinfo: weight 0 → 10',
      'concurrent change',
      expect.stringMatching(/new revision/),
    ]);
    expect(await weights(s.ns)).toEqual([90, 10]);
  });

  it('releases an ExternalName target and copies its spec, not the target itself', async () => {
    const external = (host: string) =>
      `  type: ExternalName\n  externalName: ${host}\n  ports:\n    - port: 9898\n`;
    const s = await setup((ns) => ({
      'podinfo.yaml': `${service(ns, external('podinfo.blue.example.com'))}---\n${canary(ns)}`,
    }));
    await s.reconcile(0);
    await s.human.commitAndPush(
      { 'podinfo.yaml': `${service(s.ns, external('podinfo.green.example.com'))}---\n${canary(s.ns)}` },
      'to green',
    );

    for (const minute of [1, 2, 3, 4, 5]) await s.reconcile(minute);

    const [primary, canaryService] = await Promise.all([
      read(s.ns, 'Service', 'podinfo-primary'),
      read(s.ns, 'Service', 'podinfo-canary'),
    ]);
    expect([primary?.spec.externalName, canaryService?.spec.externalName]).toEqual([
      'podinfo.green.example.com',
      'podinfo.green.example.com',
    ]);
    expect((await s.human.log())[0]).toMatch(/^podinfo: promoted \w{12}$/);
    expect((await s.reconcile(5.5)).commits).toEqual([]);
    expect(s.cluster.stats.writes).toBeGreaterThan(0);
  });

  it('keeps a headless target headless: its primary and canary get no cluster IP, and stay unchanged', async () => {
    const headless = (color: string) => `  clusterIP: None\n${clusterIpSpec(color)}`;
    const s = await setup((ns) => ({
      'apps/podinfo/service.yaml': service(ns, headless('blue')),
      'apps/podinfo/canary.yaml': canary(ns),
    }));

    const first = await s.reconcile(0);
    const again = await s.reconcile(0.5);

    expect(first.changes.created).toHaveLength(3);
    const services = await Promise.all([
      read(s.ns, 'Service', 'podinfo-primary'),
      read(s.ns, 'Service', 'podinfo-canary'),
    ]);
    expect(services.map((svc) => svc?.spec.clusterIP)).toEqual(['None', 'None']);
    expect(again.changes).toMatchObject({ created: [], configured: [], failed: [] });
    expect(again.changes.unchanged).toHaveLength(3);
  });

  it('with the live cache, a Canary at rest costs no request, a release reads its objects once, and no more', async () => {
    const s = await setup(
      (ns) => ({
        'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
        'apps/podinfo/canary.yaml': canary(ns),
      }),
      { liveCache: true },
    );
    await s.reconcile(0);
    await s.reconcile(0.5);
    const atRest = s.cluster.stats.reads;

    const idle = await s.reconcile(0.6);
    const idleReads = s.cluster.stats.reads - atRest;
    await s.human.commitAndPush(
      { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')) },
      'to green',
    );
    const released = await s.reconcile(1);
    const releasedReads = s.cluster.stats.reads - atRest;
    // In motion, within its interval: planned again from the cache, with no request, poll after poll.
    await s.reconcile(1.2);
    await s.reconcile(1.4);

    expect(idle.changes.unchanged).toHaveLength(3);
    expect(idleReads).toBe(0);
    // The objects of a Canary at rest are held as versions only: the release reads them whole, once.
    expect(releasedReads).toBe(3);
    expect(s.cluster.stats.reads - atRest).toBe(3);
    expect(released.commits).toHaveLength(1);
    expect((await s.human.log())[0]).toMatch(/^podinfo: new revision \w{12}, analysis started$/);
    expect(await selectors(s.ns)).toEqual(['podinfo-blue', 'podinfo-green']);
  });

  it('in commit-only mode commits and waits for the cluster to match before stepping', async () => {
    const s = await setup(
      (ns) => ({
        'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
        'apps/podinfo/canary.yaml': canary(ns),
      }),
      { applies: false },
    );
    const gitopsApply = async () => {
      for (const doc of loadAll(
        await s.human.show('apps/podinfo/podinfo.gitcanary.yaml'),
      ) as KubernetesObject[]) {
        if (doc.kind === 'CanaryState') continue;
        await objects.patch(doc, undefined, undefined, 'argocd', true, PatchStrategy.ServerSideApply);
      }
    };

    await s.reconcile(0);
    expect(await read(s.ns, 'Service', 'podinfo-primary')).toBeUndefined();
    await gitopsApply();
    await s.human.commitAndPush(
      { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')) },
      'release green',
    );
    await s.reconcile(1);

    const waiting = await s.reconcile(2);
    expect(waiting.commits).toEqual([]);
    expect(waiting.canaries[0]?.waiting).toBe('waiting for the cluster to match the committed objects');
    await gitopsApply();
    const seen = await s.reconcile(2.1);
    const early = await s.reconcile(3);
    const stepped = await s.reconcile(3.1);

    // The step is judged a full interval after the cluster was seen holding it, not after the commit.
    expect(seen.commits).toHaveLength(1);
    expect(await s.human.log()).toContain('podinfo: weight 0 live in the cluster');
    expect(early.commits).toEqual([]);
    expect(stepped.canaries[0]).toMatchObject({ phase: 'Progressing', weight: 10 });
    expect(s.cluster.stats.writes).toBe(0);
  });

  it('reports a bad Canary by file and field, writes nothing for it, and keeps the good one going', async () => {
    const s = await setup((ns) => ({
      'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
      'apps/podinfo/canary.yaml': canary(ns),
      'apps/broken/service.yaml': service(ns, clusterIpSpec('blue')).replace('name: podinfo', 'name: broken'),
      'apps/broken/canary.yaml': canary(ns)
        .replace('name: podinfo', 'name: broken')
        .replace('stepWeight: 10', 'stepWeight: -40'),
      'apps/garbled/canary.yaml': 'apiVersion: gitcanary.dev/v1alpha1\nkind: Canary\nmetadata: [unclosed\n',
    }));

    const summary = await s.reconcile(0);

    expect(summary.canaries.find((c) => c.canary === `${s.ns}/podinfo`)).toMatchObject({
      phase: 'Initialized',
    });
    expect(summary.canaries.find((c) => c.canary === `${s.ns}/broken`)?.error).toMatch(
      /^apps\/broken\/canary\.yaml:\d+: spec\.analysis\.stepWeight: /,
    );
    expect(summary.errors.join('\n')).toMatch(/^apps\/garbled\/canary\.yaml:\d+/);
    await expect(s.human.show('apps/broken/broken.gitcanary.yaml')).rejects.toThrow();
    expect(await read(s.ns, 'Service', 'broken-primary')).toBeUndefined();
  });

  it('never takes over a primary Service that it did not create', async () => {
    const s = await setup((ns) => ({
      'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
      'apps/podinfo/canary.yaml': canary(ns),
    }));
    await objects.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'podinfo-primary', namespace: s.ns },
      spec: { ports: [{ port: 80 }] },
    } as KubernetesObject);

    const summary = await s.reconcile(0);

    expect(summary.canaries[0]?.error).toBe(
      `Service/${s.ns}/podinfo-primary exists and is not managed by gitcanary; rename it or delete it`,
    );
    expect(summary.commits).toEqual([]);
    expect(await read(s.ns, 'Service', 'podinfo-canary')).toBeUndefined();
  });
});

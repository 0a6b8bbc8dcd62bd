// A poll that finds nothing changed does no work for the Canaries (reconciler.ts, `quietAgain`): the same
// head, no change seen by the live cache, and no remembered plan due yet. Against the real git server and
// API server, read through the live cache as `gitcanary run` reads them: each of the three moves a pass
// again, and nothing is missed.
import { loadAll } from 'js-yaml';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { waitUntil } from '../../harness/owned-process.js';
import { RawKube, type Unstructured } from '../support/raw-kube.js';
import {
  canary,
  clusterIpSpec,
  releaseCleanup,
  service,
  setup,
  weights,
} from '../support/release-fixture.js';

afterEach(releaseCleanup);
const kube = new RawKube(inject('controlPlane'));
afterAll(() => kube.close());

describe('a poll where nothing moved', () => {
  it('is the last pass again until a step falls due, the cluster changes or git does', async () => {
    const s = await setup(
      (ns) => ({
        'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
        'apps/podinfo/canary.yaml': canary(ns),
      }),
      { liveCache: true },
    );
    await s.reconcile(0);
    await s.human.commitAndPush(
      { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')) },
      'release green',
    );
    for (const minute of [1, 2]) await s.reconcile(minute);
    const older = loadAll(await s.human.show('apps/podinfo/podinfo.gitcanary.yaml')) as Unstructured[];
    await s.reconcile(3);
    expect(await weights(s.ns)).toEqual([80, 20]);
    // Planned afresh, confirmed by an apply that found nothing to do, then reused: the pass is quiet.
    await s.reconcile(3.1);
    const quiet = await s.reconcile(3.2);

    const again = [await s.reconcile(3.3), await s.reconcile(3.99)];
    expect(again).toEqual([quiet, quiet]);
    expect(again[0]).toBe(quiet);
    expect(quiet.changes.unchanged.length).toBeGreaterThan(0);

    // The step falls due one interval after the last: the next poll steps.
    const due = await s.reconcile(4);
    expect(due).not.toBe(quiet);
    expect(due.commits).toHaveLength(1);
    expect(await weights(s.ns)).toEqual([70, 30]);

    // Quiet again, then another field manager puts an older route back: the watch sees it, and the next
    // poll restores the committed step.
    await s.reconcile(4.1);
    const quietAgain = await s.reconcile(4.2);
    expect(await s.reconcile(4.3)).toBe(quietAgain);
    const changes = s.cluster.liveChanges();
    const staleRoute = older.find((o) => o.kind === 'HTTPRoute');
    if (!staleRoute) throw new Error('no HTTPRoute in the generated file');
    await kube.apply(staleRoute, { fieldManager: 'kustomize-controller', force: true });
    await waitUntil(
      'the watch to bring the revert',
      () => Promise.resolve(s.cluster.liveChanges() !== changes),
      { timeoutMs: 10_000 },
    );
    const restored = await s.reconcile(4.4);
    expect(restored.changes.restored.map((r) => r.object)).toEqual([`HTTPRoute/${s.ns}/podinfo`]);
    expect(await weights(s.ns)).toEqual([70, 30]);

    // A commit to the branch, even one that touches no Canary, is a new head: the pass runs on it.
    for (const minute of [4.5, 4.6, 4.7]) await s.reconcile(minute);
    const settled = await s.reconcile(4.8);
    expect(await s.reconcile(4.85)).toBe(settled);
    await s.human.commitAndPush({ 'README.md': 'podinfo\n' }, 'a readme');
    const moved = await s.reconcile(4.9);
    expect(moved).not.toBe(settled);
    expect(moved.head).toBe((await s.human.git('rev-parse', 'HEAD')).trim());
  });
});

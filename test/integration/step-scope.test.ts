// A pass after a pass looks only at the Canaries something moved for (src/reconcile/pass-memo.ts): a step
// of one Canary among several reads the live objects of that one, a change the watch brings for another
// Canary's object still reaches that Canary, and a person's commit to one app plans that app's Canary. Against the real git
// server and API server, through the live cache, as `gitcanary run` reads them.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitUntil } from '../../harness/owned-process.js';
import type { ObjectRef } from '../../src/kube/object-ref.js';
import {
  canary,
  clusterIpSpec,
  objects,
  releaseCleanup,
  service,
  setup,
  weights,
} from '../support/release-fixture.js';

afterEach(releaseCleanup);

const others = ['alpha', 'beta', 'gamma'];

describe('a pass on the repository of the last pass', () => {
  it('looks only at the Canary that is due, or whose objects moved', async () => {
    const s = await setup(
      (ns) => {
        const files: Record<string, string> = {
          'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
          'apps/podinfo/canary.yaml': canary(ns),
        };
        for (const app of others) {
          files[`apps/${app}/service.yaml`] = service(ns, clusterIpSpec('blue')).replaceAll('podinfo', app);
          files[`apps/${app}/canary.yaml`] = canary(ns).replaceAll('podinfo', app);
        }
        return files;
      },
      { liveCache: true },
    );
    await s.reconcile(0);
    await s.human.commitAndPush(
      { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')) },
      'release green',
    );
    for (const minute of [1, 2, 2.1, 2.2]) await s.reconcile(minute);
    expect(await weights(s.ns)).toEqual([90, 10]);

    const peek = vi.spyOn(s.cluster, 'peek');
    const peeked = () => new Set(peek.mock.calls.map(([ref]: [ObjectRef]) => ref.name));
    const step = await s.reconcile(3);
    expect(step.commits).toHaveLength(1);
    expect(await weights(s.ns)).toEqual([80, 20]);
    // Only podinfo fell due: the others' plans stand without a look at their objects.
    expect(peeked()).toEqual(new Set(['podinfo-primary', 'podinfo-canary', 'podinfo']));
    // Every Canary is still in the pass's outcomes.
    expect(step.canaries.map((c) => c.canary).sort()).toEqual(
      [...others, 'podinfo'].map((name) => `${s.ns}/${name}`).sort(),
    );

    // The next pass starts from our own commit and the objects our apply wrote: podinfo's again, alone.
    peek.mockClear();
    await s.reconcile(3.1);
    expect([...peeked()].every((name) => name.startsWith('podinfo'))).toBe(true);

    // Someone deletes beta's canary Service: the watch names it, and beta's plan is made again.
    await s.reconcile(3.2);
    const changes = s.cluster.liveChanges();
    await objects.delete({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'beta-canary', namespace: s.ns },
    });
    await waitUntil(
      'the watch to bring the deletion',
      () => Promise.resolve(s.cluster.liveChanges() !== changes),
      {
        timeoutMs: 10_000,
      },
    );
    peek.mockClear();
    const repaired = await s.reconcile(3.3);
    expect(repaired.changes.created).toEqual([`Service/${s.ns}/beta-canary`]);
    expect([...peeked()].some((name) => name.startsWith('alpha') || name.startsWith('gamma'))).toBe(false);

    // A person releases gamma: the commit is diffed, gamma alone joined and planned again.
    for (const minute of [3.4, 3.5]) await s.reconcile(minute);
    await s.human.commitAndPush(
      { 'apps/gamma/service.yaml': service(s.ns, clusterIpSpec('green')).replaceAll('podinfo', 'gamma') },
      'release gamma',
    );
    peek.mockClear();
    const released = await s.reconcile(3.6);
    expect(released.canaries.find((c) => c.canary === `${s.ns}/gamma`)?.phase).toBe('Progressing');
    const apps = () => new Set([...peeked()].map((name) => name.replace(/-(primary|canary)$/, '')));
    expect(apps()).toEqual(new Set(['gamma']));

    // Right after our push of gamma's step, a person releases alpha: diffed from our commit, alpha is
    // planned, and gamma (planned afresh last pass), and no other.
    await s.human.commitAndPush(
      { 'apps/alpha/service.yaml': service(s.ns, clusterIpSpec('green')).replaceAll('podinfo', 'alpha') },
      'release alpha',
    );
    peek.mockClear();
    const alpha = await s.reconcile(3.7);
    expect(alpha.canaries.find((c) => c.canary === `${s.ns}/alpha`)?.phase).toBe('Progressing');
    expect(apps()).toEqual(new Set(['alpha', 'gamma']));
  });
});

// Default mode with a stale applier beside gitcanary, against the real git server and API server: a second
// field manager applies an older committed revision of the generated route, gitcanary puts the committed step
// back at its next pass, and records in git who had reverted it, so that `gitcanary status` (git alone) names
// that manager.
import { loadAll } from 'js-yaml';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { formatStatus } from '../../src/cli/commands/inspect.js';
import { readStatus } from '../../src/reconcile/read-status.js';
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

const generated = 'apps/podinfo/podinfo.gitcanary.yaml';

describe('a step reverted by another field manager applying an older revision', () => {
  it('is restored at the next pass, committed with the manager that reverted it at the one after, and named by gitcanary status', async () => {
    const s = await setup((ns) => ({
      'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
      'apps/podinfo/canary.yaml': canary(ns),
    }));
    await s.reconcile(0);
    await s.human.commitAndPush(
      { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')) },
      'release green',
    );
    for (const minute of [1, 2]) await s.reconcile(minute);
    const older = loadAll(await s.human.show(generated)) as Unstructured[];
    await s.reconcile(3);
    expect(await weights(s.ns)).toEqual([80, 20]);
    // A GitOps tool that synced before its git refresh: the route of the revision before, forced through.
    const staleRoute = older.find((o) => o.kind === 'HTTPRoute');
    if (!staleRoute) throw new Error('no HTTPRoute in the generated file');
    const applied = await kube.apply(staleRoute, { fieldManager: 'kustomize-controller', force: true });
    expect(applied.status).toBe(200);
    expect(await weights(s.ns)).toEqual([90, 10]);
    const before = formatStatus(await readStatus(s.repo, '', 'default'));

    const pass = await s.reconcile(3.5);
    const recorded = await s.reconcile(3.75);
    const after = await s.reconcile(3.9);
    const status = formatStatus(await readStatus(s.repo, '', 'default'));

    expect(await weights(s.ns)).toEqual([80, 20]);
    expect(pass.changes.restored).toEqual([
      { canary: `${s.ns}/podinfo`, object: `HTTPRoute/${s.ns}/podinfo`, managers: ['kustomize-controller'] },
    ]);
    // Put back in one pass (git first: its commit was made before the apply found the revert), recorded in
    // the next, with the time it was put back.
    expect(pass.commits).toEqual([]);
    expect(recorded.commits).toHaveLength(1);
    expect(recorded.changes.restored).toEqual([]);
    const restoration =
      'restored HTTPRoute podinfo: reverted by kustomize-controller at 2026-11-26T10:03:30.000Z';
    expect((await s.human.log())[0]).toBe(`podinfo: ${restoration}`);
    expect(before).not.toContain('restored');
    expect(status).toContain(restoration);
    // Said once: the next pass finds the cluster at the committed step and has nothing to record.
    expect(after.commits).toEqual([]);
    expect(after.changes.restored).toEqual([]);
  });
});

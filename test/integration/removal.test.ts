// A Canary deleted from git, against the real git server and API server: its traffic goes back to the
// primary (committed), and its objects are deleted when its generated file goes too or with revertOnDeletion;
// a Canary whose file is merely broken is left alone.
import { afterEach, describe, expect, it } from 'vitest';
import {
  canary,
  clusterIpSpec,
  read,
  releaseCleanup,
  selectors,
  service,
  setup,
  weights,
} from '../support/release-fixture.js';

afterEach(releaseCleanup);

/** podinfo initialized on blue, green merged, and stepped to weight 20. */
async function midRelease(canaryYaml: (ns: string) => string = canary) {
  const s = await setup((ns) => ({
    'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
    'apps/podinfo/canary.yaml': canaryYaml(ns),
  }));
  await s.reconcile(0);
  await s.human.commitAndPush(
    { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')) },
    'release green',
  );
  for (const minute of [1, 2, 3]) await s.reconcile(minute);
  expect(await weights(s.ns)).toEqual([80, 20]);
  return s;
}

describe('a Canary deleted from git', () => {
  it('while its generated file remains: all traffic to the primary, committed once', async () => {
    const s = await midRelease();
    await s.human.deleteAndPush(['apps/podinfo/canary.yaml'], 'drop the canary');

    const removed = await s.reconcile(4);
    const after = await s.reconcile(5);

    expect((await s.human.log())[0]).toBe('podinfo: canary removed, traffic to primary');
    expect(removed.canaries).toEqual([
      expect.objectContaining({ canary: `${s.ns}/podinfo`, waiting: 'canary removed from git' }),
    ]);
    expect(await weights(s.ns)).toEqual([100, 0]);
    expect(await selectors(s.ns)).toEqual(['podinfo-blue', 'podinfo-blue']);
    expect(after.commits).toEqual([]);
  });

  it('and its generated file after it: the objects it generated are deleted, the route first', async () => {
    const s = await midRelease();
    await s.human.deleteAndPush(['apps/podinfo/canary.yaml'], 'drop the canary');
    await s.reconcile(4);
    await s.human.deleteAndPush(['apps/podinfo/podinfo.gitcanary.yaml'], 'drop the generated file');

    const pass = await s.reconcile(5);

    expect(pass.changes.deleted).toEqual([
      `HTTPRoute/${s.ns}/podinfo`,
      `Service/${s.ns}/podinfo-canary`,
      `Service/${s.ns}/podinfo-primary`,
    ]);
    expect(await read(s.ns, 'HTTPRoute', 'podinfo')).toBeUndefined();
    expect(await read(s.ns, 'Service', 'podinfo-primary')).toBeUndefined();
  });

  it('with revertOnDeletion: its generated file and objects are deleted at once', async () => {
    const s = await midRelease((ns) =>
      canary(ns).replace('  provider: gatewayapi', '  provider: gatewayapi\n  revertOnDeletion: true'),
    );
    await s.human.deleteAndPush(['apps/podinfo/canary.yaml'], 'drop the canary');

    const pass = await s.reconcile(4);

    expect((await s.human.log())[0]).toBe(
      'podinfo: canary removed, the objects it generated deleted (revertOnDeletion)',
    );
    await expect(s.human.show('apps/podinfo/podinfo.gitcanary.yaml')).rejects.toThrow();
    expect(pass.changes.deleted).toHaveLength(3);
    expect(await read(s.ns, 'Service', 'podinfo-canary')).toBeUndefined();
  });

  it('is not taken for deleted when its file is only broken', async () => {
    const s = await midRelease();
    await s.human.commitAndPush(
      { 'apps/podinfo/canary.yaml': 'kind: Canary\nmetadata: [unclosed\n' },
      'break the canary',
    );

    const pass = await s.reconcile(4);

    expect(pass.commits).toEqual([]);
    expect(pass.changes.deleted).toEqual([]);
    expect(await weights(s.ns)).toEqual([80, 20]);
  });
});

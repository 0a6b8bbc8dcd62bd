// Nothing is recorded that did not happen, against the real API server: when the cluster refuses the objects
// of a step (here the new revision makes the target headless, and a Service's cluster IP cannot change once
// set), git says the Canary is stalled, once, and no weight step, promotion or "promoted" is committed while
// the objects are not live.
import { afterEach, describe, expect, it } from 'vitest';
import {
  canary,
  clusterIpSpec,
  releaseCleanup,
  service,
  setup,
  weights,
} from '../support/release-fixture.js';

afterEach(releaseCleanup);

describe('when the cluster refuses what git says', () => {
  it('commits "stalled" once and no step, promotion or success until the objects are live', async () => {
    const s = await setup((ns) => ({
      'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
      'apps/podinfo/canary.yaml': canary(ns),
    }));
    await s.reconcile(0);
    await s.human.commitAndPush(
      { 'apps/podinfo/service.yaml': service(s.ns, `  clusterIP: None\n${clusterIpSpec('green')}`) },
      'release green, headless',
    );

    const started = await s.reconcile(1);
    const passes = [];
    for (const minute of [2, 3, 4, 5, 6, 7]) passes.push(await s.reconcile(minute));

    expect(started.changes.failed).toEqual([`Service/${s.ns}/podinfo-canary`]);
    const subjects = (await s.human.log()).slice(0, 3).map((line) => line.replace(/[0-9a-f]{12}/gu, 'REV'));
    expect(subjects).toEqual([
      'podinfo: stalled, the cluster refuses the objects of this step',
      'podinfo: new revision REV, analysis started',
      'release green, headless',
    ]);
    expect(passes.slice(1).flatMap((pass) => pass.commits)).toEqual([]);
    expect(passes.at(-1)?.canaries[0]).toMatchObject({ phase: 'Progressing', weight: 0 });
    expect(passes.at(-1)?.canaries[0]?.error).toMatch(/podinfo-canary.*(immutable|may not change)/u);
    // The API server refused it (422): a person must act, not a retry.
    expect(started.canaries[0]).toMatchObject({ condition: 'Stalled', reason: 'ApplyFailed' });
    expect(passes.at(-1)?.canaries[0]).toMatchObject({ condition: 'Stalled', reason: 'ApplyFailed' });
    expect(await weights(s.ns)).toEqual([100, 0]);
    expect(await s.human.message()).toMatch(/Canary-Phase: Progressing\n/u);
  });
});

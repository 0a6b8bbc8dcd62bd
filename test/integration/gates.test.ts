import { afterEach, describe, expect, it } from 'vitest';
import { annotateCanary } from '../../src/reconcile/annotate-canary.js';
import { annotations } from '../../src/core/gates.js';
import {
  canary,
  clusterIpSpec,
  releaseCleanup,
  selectors,
  service,
  setup,
  weights,
} from '../support/release-fixture.js';

afterEach(releaseCleanup);

const withApproval = (ns: string) =>
  canary(ns).replace(
    'metadata:\n  name: podinfo\n',
    `metadata:\n  name: podinfo\n  # promotion needs a reviewed approval\n  annotations:\n    ${annotations.requireApproval}: "true"\n`,
  );

describe('gates in git', () => {
  it('promotes only once an approval of this revision is merged into the Canary', async () => {
    const s = await setup((ns) => ({
      'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
      'apps/podinfo/canary.yaml': withApproval(ns),
    }));
    await s.reconcile(0);
    await s.human.commitAndPush(
      { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')) },
      'release green',
    );
    for (const minute of [1, 2, 3, 4]) await s.reconcile(minute);

    const waiting = await s.reconcile(5);
    expect(waiting.canaries[0]).toMatchObject({ phase: 'WaitingPromotion', weight: 30 });
    expect((await s.reconcile(6)).canaries[0]?.phase).toBe('WaitingPromotion');

    const approval = await annotateCanary({
      repo: s.repo,
      root: '',
      defaultNamespace: 'default',
      canary: `${s.ns}/podinfo`,
      change: (_, state) => ({
        key: annotations.approve,
        value: state?.revision,
        subject: `approve promotion of ${state?.revision}`,
      }),
      author: { name: 'A Reviewer', email: 'reviewer@example.com' },
      clock: () => s.clock.now,
    });
    const promoted = await s.reconcile(6.2);

    expect(approval.commit).toBeDefined();
    expect(promoted.canaries[0]).toMatchObject({ phase: 'Succeeded' });
    expect(await selectors(s.ns)).toEqual(['podinfo-green', 'podinfo-green']);
    expect(await weights(s.ns)).toEqual([100, 0]);
    const canaryFile = await s.human.show('apps/podinfo/canary.yaml');
    expect(canaryFile).toContain('# promotion needs a reviewed approval');
    expect(canaryFile).toMatch(/gitcanary\.dev\/approve: \w{12}/);
    const subjects = await s.human.log('%s|%an');
    expect(subjects.slice(0, 5).map((line) => line.replace(/[0-9a-f]{12}/g, 'REV'))).toEqual([
      'podinfo: promoted REV|gitcanary',
      'podinfo: weight 30 → 0, finalising|gitcanary',
      'podinfo: promoting REV|gitcanary',
      'podinfo: approve promotion of REV|A Reviewer',
      'podinfo: analysis passed, still waiting for promotion approval|gitcanary',
    ]);
  });

  it('rolls back at once when an abort of the revision is merged', async () => {
    const s = await setup((ns) => ({
      'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
      'apps/podinfo/canary.yaml': canary(ns),
    }));
    await s.reconcile(0);
    await s.human.commitAndPush(
      { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')) },
      'release green',
    );
    await s.reconcile(1);
    await s.reconcile(2);
    expect(await weights(s.ns)).toEqual([90, 10]);

    await annotateCanary({
      repo: s.repo,
      root: '',
      defaultNamespace: s.ns,
      canary: 'podinfo',
      change: (_, state) => ({ key: annotations.abort, value: state?.revision, subject: 'abort' }),
      author: { name: 'A Person', email: 'person@example.com' },
      clock: () => s.clock.now,
    });
    const aborted = await s.reconcile(2.1);

    expect(aborted.canaries[0]).toMatchObject({ phase: 'Failed', weight: 0 });
    expect(await weights(s.ns)).toEqual([100, 0]);
    expect(await selectors(s.ns)).toEqual(['podinfo-blue', 'podinfo-green']);
    expect((await s.human.log())[0]).toMatch(/^podinfo: rolled back \w{12}, weight 10 → 0$/);
  });
});

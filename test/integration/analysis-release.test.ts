import { afterEach, describe, expect, inject, it } from 'vitest';
import { AddressPolicy } from '../../src/analysis/address-policy.js';
import { runAnalysis } from '../../src/analysis/run-analysis.js';
import type { AnalysisRequest } from '../../src/reconcile/context.js';
import { CanaryTraffic } from '../../harness/canary-traffic.js';
import {
  canary,
  clusterIpSpec,
  releaseCleanup,
  service,
  setup,
  weights,
} from '../support/release-fixture.js';

const prometheus = inject('prometheus');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const withMetrics = (ns: string) =>
  canary(ns).replace(
    '    stepWeight: 10\n',
    `    stepWeight: 10
    metrics:
      - name: request-success-rate
        interval: 1m
        thresholdRange: { min: 99 }
      - name: request-duration
        interval: 1m
        thresholdRange: { max: 500 }
`,
  );

const analyze = ({ resolved, needs, state, revision }: AnalysisRequest) =>
  runAnalysis({
    ...resolved,
    needs,
    phase: state.phase,
    revision,
    metricsServer: prometheus.url,
    addressPolicy: new AddressPolicy(),
  });

let traffic: CanaryTraffic | undefined;
afterEach(async () => {
  await traffic?.stop();
  await releaseCleanup();
});

/** Initialized on blue with the canary's traffic flowing, then green merged (not yet reconciled). */
async function releasedWithTraffic() {
  const s = await setup(
    (ns) => ({
      'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
      'apps/podinfo/canary.yaml': withMetrics(ns),
    }),
    { analyze },
  );
  const flowing = await CanaryTraffic.start(prometheus, { namespace: s.ns, app: 'podinfo-green' });
  traffic = flowing;
  await s.reconcile(0);
  await s.human.commitAndPush(
    { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')) },
    'release green',
  );
  return { ...s, traffic: flowing };
}

describe('a release judged by real metrics', () => {
  it('does not judge the canary at weight 0, where Prometheus has no series of it yet', async () => {
    const s = await setup(
      (ns) => ({
        'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
        'apps/podinfo/canary.yaml': withMetrics(ns),
      }),
      { analyze },
    );
    await s.reconcile(0);
    await s.human.commitAndPush(
      { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')) },
      'release green',
    );
    await s.reconcile(1);

    // No canary pod has served a request: Prometheus has no series of podinfo-green at all.
    const first = await s.reconcile(2);
    traffic = await CanaryTraffic.start(prometheus, { namespace: s.ns, app: 'podinfo-green' });
    const second = await s.reconcile(3);

    expect(first.canaries[0]).toMatchObject({ phase: 'Progressing', weight: 10 });
    expect(second.canaries[0]).toMatchObject({ phase: 'Progressing', weight: 20 });
    expect(await s.human.message(1)).not.toMatch(/Analysis:/);
    expect(await s.human.message()).toMatch(/Analysis: request-success-rate=100 min=99 pass/);
  });

  it('promotes a healthy canary, with every check result in the commit trailers', async () => {
    const s = await releasedWithTraffic();

    for (const minute of [1, 2, 3, 4, 5]) await s.reconcile(minute);

    expect((await s.reconcile(5.1)).canaries[0]).toMatchObject({ phase: 'Succeeded' });
    const step = await s.human.message(3);
    expect(step).toMatch(
      /Analysis: request-success-rate=100 min=99 pass\nAnalysis: request-duration=\d+ max=500 pass/,
    );
  });

  it('rolls back when the error rate rises at step 2, and the git log tells the story', async () => {
    const s = await releasedWithTraffic();
    await s.reconcile(1);
    await s.reconcile(2);
    expect(await weights(s.ns)).toEqual([90, 10]);

    s.traffic.errorsPerTick = 200; // 200 errors beside 20 successes every 100 ms
    await sleep(4_000);
    const first = await s.reconcile(3);
    const second = await s.reconcile(4);

    expect(first.canaries[0]).toMatchObject({ phase: 'Progressing', weight: 10 });
    expect(second.canaries[0]).toMatchObject({ phase: 'Failed', weight: 0 });
    expect(await weights(s.ns)).toEqual([100, 0]);
    const subjects = (await s.human.log()).slice(0, 4).map((line) => line.replace(/[0-9a-f]{12}/g, 'REV'));
    expect(subjects).toEqual([
      'podinfo: rolled back REV, weight 10 → 0',
      'podinfo: check failed (1 of 2)',
      'podinfo: weight 0 → 10',
      'podinfo: new revision REV, analysis started',
    ]);
    const rollback = await s.human.message();
    expect(rollback).toMatch(/Canary-Phase: Failed\n/);
    expect(rollback).toMatch(/Analysis: request-success-rate=\d+(\.\d+)? min=99 fail/);
  });
});

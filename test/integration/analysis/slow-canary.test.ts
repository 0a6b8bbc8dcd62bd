// One Canary's hooks that never answer must not hold the pass that every other Canary's step waits on: the
// reconciler plans Canaries concurrently, but commits after the slowest. Each Canary's analysis has a
// deadline; past it, its unanswered hooks fail and the pass goes on.
import { afterEach, describe, expect, it } from 'vitest';
import { AddressPolicy } from '../../../src/analysis/address-policy.js';
import { runAnalysis } from '../../../src/analysis/run-analysis.js';
import type { AnalysisRequest } from '../../../src/reconcile/context.js';
import { releaseCleanup, service, setup, clusterIpSpec } from '../../support/release-fixture.js';
import { startReceiver, type Receiver } from './fixtures.js';

const canaryOf = (ns: string, name: string, webhooks = '') => `apiVersion: gitcanary.dev/v1alpha1
kind: Canary
metadata: { name: ${name}, namespace: ${ns} }
spec:
  targetRef: { apiVersion: v1, kind: Service, name: ${name} }
  provider: kubernetes
  service: { port: 9898 }
  analysis:
    interval: 1m
    threshold: 2
    iterations: 3
${webhooks}`;

const serviceOf = (ns: string, name: string, color: string) =>
  service(ns, clusterIpSpec(color)).replace('name: podinfo\n', `name: ${name}\n`);

let hooks: Receiver | undefined;
afterEach(async () => {
  await hooks?.close();
  await releaseCleanup();
});

describe("a Canary's analysis deadline", () => {
  it("lets the other Canaries step while one Canary's hook hangs", async () => {
    hooks = await startReceiver(() => undefined); // never answers
    const hang = `    webhooks:\n      - { name: smoke-test, type: pre-rollout, url: '${hooks.url}/hang', timeout: 60s }\n`;
    const deadlineMs = 1_000;
    const analyze = ({ resolved, needs, state, revision }: AnalysisRequest) =>
      runAnalysis({
        ...resolved,
        needs,
        phase: state.phase,
        revision,
        addressPolicy: new AddressPolicy({ allowCidrs: ['127.0.0.1/32'] }),
        deadlineMs,
      });
    const s = await setup(
      (ns) => ({
        'apps/slow/service.yaml': serviceOf(ns, 'slow', 'blue'),
        'apps/slow/canary.yaml': canaryOf(ns, 'slow', hang),
        'apps/fast/service.yaml': serviceOf(ns, 'fast', 'blue'),
        'apps/fast/canary.yaml': canaryOf(ns, 'fast'),
      }),
      { analyze },
    );
    await s.reconcile(0);
    await s.human.commitAndPush(
      {
        'apps/slow/service.yaml': serviceOf(s.ns, 'slow', 'green'),
        'apps/fast/service.yaml': serviceOf(s.ns, 'fast', 'green'),
      },
      'release green',
    );
    await s.reconcile(0.5);

    const started = performance.now();
    const summary = await s.reconcile(1.5);
    const elapsed = performance.now() - started;

    // The hook's own timeout is 60 s; the pass ends soon after the 1 s deadline instead.
    expect(elapsed).toBeLessThan(deadlineMs + 5_000);
    expect(summary.canaries.map((c) => [c.canary, c.phase])).toEqual([
      [`${s.ns}/fast`, 'Progressing'],
      [`${s.ns}/slow`, 'Progressing'],
    ]);
    const subjects = (await s.human.log()).slice(0, 2).sort();
    expect(subjects).toEqual(['fast: iteration 0 → 1', 'slow: check failed (1 of 2)']);
    expect(hooks.requests.map((r) => r.path)).toEqual(['/hang']);
  });
});

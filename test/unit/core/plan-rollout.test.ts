import { describe, expect, it } from 'vitest';
import type { CheckResult, KubeObject } from '../../../src/core/model.js';
import { planRollout, type CanaryPlan } from '../../../src/core/plan-rollout.js';
import { revisionOf } from '../../../src/core/revision.js';
import { aCanary, anAnalysis, aService, aTarget, minutes, Rollout, specOf, weightOf } from './builders.js';

describe('planRollout', () => {
  it('initializes primary, canary and a route sending everything to primary', () => {
    const rollout = new Rollout();

    const plan = rollout.reconcile(minutes(0));

    expect(plan.state).toMatchObject({
      phase: 'Initialized',
      canaryWeight: 0,
      revision: revisionOf(aTarget('blue').object),
    });
    expect(plan.path).toBe('apps/podinfo/podinfo.gitcanary.yaml');
    expect(plan.desired.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Service/podinfo-primary',
      'Service/podinfo-canary',
      'HTTPRoute/podinfo',
    ]);
    expect(specOf(plan, 'podinfo-primary')).toMatchObject({ selector: { app: 'podinfo-blue' } });
    expect([weightOf(plan, 'podinfo-primary'), weightOf(plan, 'podinfo-canary')]).toEqual([100, 0]);
    expect(plan.commitMessage).toMatch(
      /^podinfo: initialized at \w{12}\n\nCanary: test\/podinfo\nCanary-Phase: Initialized\n/,
    );
  });

  it('writes nothing when nothing changed', () => {
    const rollout = new Rollout();
    rollout.reconcile(minutes(0));

    const plan = rollout.reconcile(minutes(5));

    expect(plan.content).toBeUndefined();
    expect(plan.commitMessage).toBeUndefined();
    expect(plan.events).toEqual([]);
  });

  it('walks a release through every phase, one commit per transition', () => {
    const rollout = new Rollout();
    rollout.reconcile(minutes(0));
    const green = aTarget('green');
    const steps: [number, string | undefined, string, number][] = [];
    const record = (at: number, plan: CanaryPlan) =>
      steps.push([at, plan.commitMessage?.split('\n')[0], plan.state.phase, plan.state.canaryWeight]);

    record(1, rollout.reconcile(minutes(1), { target: green }));
    for (const at of [1.5, 2, 2.5, 3, 4, 5]) {
      let plan = rollout.reconcile(minutes(at));
      record(at, plan);
      while (plan.continueImmediately) record(at, (plan = rollout.reconcile(minutes(at))));
    }

    const rev = revisionOf(green.object);
    expect(steps).toEqual([
      [1, `podinfo: new revision ${rev}, analysis started`, 'Progressing', 0],
      [1.5, undefined, 'Progressing', 0],
      [2, 'podinfo: weight 0 → 10', 'Progressing', 10],
      [2.5, undefined, 'Progressing', 10],
      [3, 'podinfo: weight 10 → 20', 'Progressing', 20],
      [4, 'podinfo: weight 20 → 30', 'Progressing', 30],
      [5, `podinfo: promoting ${rev}`, 'Promoting', 30],
      [5, 'podinfo: weight 30 → 0, finalising', 'Finalising', 0],
      [5, `podinfo: promoted ${rev}`, 'Succeeded', 0],
    ]);
    expect(rollout.input.previous?.file.primary.spec).toMatchObject({ selector: { app: 'podinfo-green' } });
    expect(rollout.input.previous?.file.state.lastPromotedRevision).toBe(rev);
  });

  it('keeps the promoted spec on primary and the new one on canary while progressing', () => {
    const rollout = new Rollout();
    rollout.reconcile(minutes(0));

    const plan = rollout.reconcile(minutes(1), { target: aTarget('green') });

    expect(specOf(plan, 'podinfo-primary')).toMatchObject({ selector: { app: 'podinfo-blue' } });
    expect(specOf(plan, 'podinfo-canary')).toMatchObject({ selector: { app: 'podinfo-green' } });
  });

  it.each([
    [
      'stepWeights',
      { stepWeights: [5, 50], maxWeight: undefined, stepWeight: undefined },
      ['weight 0 → 5', 'weight 5 → 50', 'promoting'],
    ],
    [
      'blue/green iterations (the last step gives the canary all traffic, as in Flagger)',
      { iterations: 2, maxWeight: undefined, stepWeight: undefined },
      ['iteration 0 → 1', 'iteration 1 → 2', 'iteration 2 → 3, all traffic to canary'],
    ],
  ])('steps by %s', (_, analysis, expected) => {
    const rollout = new Rollout(aCanary({ analysis: anAnalysis(analysis) }));
    rollout.reconcile(minutes(0));
    rollout.reconcile(minutes(1), { target: aTarget('green') });

    const titles = [2, 3, 4].map((at) => rollout.reconcile(minutes(at)).commitMessage?.split('\n')[0]);

    expect(titles.map((t) => t?.replace(/^podinfo: /, '').replace(/ \w{12}$/, ''))).toEqual(expected);
  });

  it('never steps twice within one interval, however often it runs', () => {
    const rollout = new Rollout();
    rollout.reconcile(minutes(0));
    rollout.reconcile(minutes(1), { target: aTarget('green') });
    rollout.reconcile(minutes(2));

    const again = [2.1, 2.5, 2.99].map((at) => rollout.reconcile(minutes(at)));

    expect(again.map((p) => p.content)).toEqual([undefined, undefined, undefined]);
    expect(again[0]?.waiting).toBe(`next analysis at ${minutes(3).toISOString()}`);
  });

  it('restarts the analysis when a new revision arrives mid-run', () => {
    const rollout = new Rollout();
    rollout.reconcile(minutes(0));
    rollout.reconcile(minutes(1), { target: aTarget('green') });
    rollout.reconcile(minutes(2));

    const plan = rollout.reconcile(minutes(2.5), { target: aTarget('red') });

    expect(plan.state).toMatchObject({
      phase: 'Progressing',
      canaryWeight: 0,
      revision: revisionOf(aTarget('red').object),
    });
    expect(plan.commitMessage).toMatch(/analysis restarted \(was \w{12}\)/);
    expect(specOf(plan, 'podinfo-canary')).toMatchObject({ selector: { app: 'podinfo-red' } });
  });

  it('treats a revert to the promoted spec as an instant rollback, not a release', () => {
    const rollout = new Rollout();
    rollout.reconcile(minutes(0));
    rollout.reconcile(minutes(1), { target: aTarget('green') });
    rollout.reconcile(minutes(2));

    const plan = rollout.reconcile(minutes(2.5), { target: aTarget('blue') });

    expect(plan.state).toMatchObject({
      phase: 'Initialized',
      canaryWeight: 0,
      revision: revisionOf(aTarget('blue').object),
    });
    expect(weightOf(plan, 'podinfo-canary')).toBe(0);
    expect(specOf(plan, 'podinfo-canary')).toMatchObject({ selector: { app: 'podinfo-blue' } });
    expect(plan.commitMessage).toMatch(/^podinfo: reverted to promoted \w{12}, \w{12} abandoned/);
  });

  it('promotes at once with skipAnalysis', () => {
    const rollout = new Rollout(aCanary({ skipAnalysis: true }));
    rollout.reconcile(minutes(0));

    const plan = rollout.reconcile(minutes(1), { target: aTarget('green') });

    expect(plan.state.phase).toBe('Succeeded');
    expect(specOf(plan, 'podinfo-primary')).toMatchObject({ selector: { app: 'podinfo-green' } });
  });

  it('does nothing at all while suspended', () => {
    const rollout = new Rollout();
    rollout.reconcile(minutes(0));

    const plan = rollout.reconcile(minutes(1), {
      target: aTarget('green'),
      canary: aCanary({ suspend: true }),
    });

    expect(plan).toMatchObject({ desired: [], waiting: 'suspended' });
    expect(plan.content).toBeUndefined();
  });

  it('counts failed checks and rolls back at the threshold', () => {
    const rollout = new Rollout();
    rollout.reconcile(minutes(0));
    rollout.reconcile(minutes(1), { target: aTarget('green') });
    rollout.reconcile(minutes(2));
    const failing: CheckResult[] = [{ name: 'request-success-rate', value: 80, min: 99, passed: false }];

    const first = rollout.reconcile(minutes(3), { analysis: { checks: failing, gates: {} } });
    const second = rollout.reconcile(minutes(4), { analysis: { checks: failing, gates: {} } });

    expect(first.state).toMatchObject({ phase: 'Progressing', failedChecks: 1, canaryWeight: 10 });
    expect(second.state).toMatchObject({ phase: 'Failed', failedChecks: 2, canaryWeight: 0 });
    expect(second.commitMessage).toContain('Analysis: request-success-rate=80 min=99 fail');
    expect(weightOf(second, 'podinfo-canary')).toBe(0);
  });

  it('in commit-only mode judges each step over a full interval from when the cluster was seen holding it', () => {
    const rollout = new Rollout(aCanary(), aTarget('blue'));
    rollout.input.applies = false;
    rollout.reconcile(minutes(0));
    rollout.reconcile(minutes(1), { target: aTarget('green') });
    const committed = rollout.input.live;

    const stale = rollout.reconcile(minutes(2), { live: {} });
    const seen = rollout.reconcile(minutes(2.5), { live: committed });
    const early = rollout.reconcile(minutes(3.4));
    const stepped = rollout.reconcile(minutes(3.5));
    const notApplied = rollout.reconcile(minutes(5), { live: committed });

    expect(stale.waiting).toBe('waiting for the cluster to match the committed objects');
    expect(stale.content).toBeUndefined();
    expect(seen.commitMessage?.split('\n')[0]).toBe('podinfo: weight 0 live in the cluster');
    expect(seen.state.liveSince).toBe(minutes(2.5).toISOString());
    expect(early.waiting).toBe(`next analysis at ${minutes(3.5).toISOString()}`);
    expect(stepped.state).toMatchObject({ canaryWeight: 10 });
    expect(stepped.state).not.toHaveProperty('liveSince');
    expect(notApplied.waiting).toBe('waiting for the cluster to match the committed objects');
  });

  it('in commit-only mode keeps the time a step went live across a failed check, which changes nothing live', () => {
    const rollout = new Rollout(aCanary(), aTarget('blue'));
    rollout.input.applies = false;
    rollout.reconcile(minutes(0));
    rollout.reconcile(minutes(1), { target: aTarget('green') });
    rollout.reconcile(minutes(1.5));
    rollout.reconcile(minutes(2.5));
    rollout.reconcile(minutes(2.6));
    const failed = {
      checks: [{ name: 'request-success-rate', value: 90, min: 99, passed: false }],
      gates: {},
    };

    const plan = rollout.reconcile(minutes(3.6), { analysis: failed });

    expect(plan.commitMessage?.split('\n')[0]).toBe('podinfo: check failed (1 of 2)');
    expect(plan.state.liveSince).toBe(minutes(2.6).toISOString());
  });

  it('refuses to take over a primary Service that gitcanary did not create', () => {
    const foreign: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'podinfo-primary', namespace: 'test' },
    };

    const result = planRollout({
      now: minutes(0),
      canary: aCanary(),
      target: aTarget(),
      analysis: { checks: [], gates: {} },
      live: { primary: foreign },
      applies: true,
    });

    expect(result).toMatchObject({
      kind: 'error',
      code: 'ForeignObject',
      message: expect.stringContaining(
        'Service/test/podinfo-primary exists and is not managed by gitcanary',
      ) as unknown,
    });
  });

  describe('externalIPs', () => {
    const withIps = () => aTarget('green', { externalIPs: ['203.0.113.7'] });

    it('refuses a release whose target carries externalIPs, and writes nothing', () => {
      const rollout = new Rollout();
      rollout.reconcile(minutes(0));

      const result = planRollout({ ...rollout.input, now: minutes(1), target: withIps() });

      expect(result).toMatchObject({
        kind: 'error',
        code: 'ExternalIPsRefused',
        message: expect.stringMatching(
          /^apps\/podinfo\/service\.yaml: spec\.externalIPs of podinfo.*--allow-external-ips/,
        ) as unknown,
      });
    });

    it('never applies a primary that carries them in the committed file: the hand edit is undone', () => {
      const rollout = new Rollout();
      rollout.reconcile(minutes(0));
      const previous = rollout.input.previous;
      if (!previous) throw new Error('nothing committed');
      const edited = structuredClone(previous);
      (edited.file.primary.spec as Record<string, unknown>).externalIPs = ['203.0.113.7'];
      edited.content = `${previous.content}# and a hand edit\n`;

      const result = planRollout({ ...rollout.input, now: minutes(1), previous: edited });

      if (result.kind !== 'plan') throw new Error(`not planned: ${JSON.stringify(result)}`);
      expect(result.commitMessage?.split('\n')[0]).toBe('podinfo: hand edit of podinfo-primary undone');
      const primary = result.desired.find((o) => o.metadata.name === 'podinfo-primary');
      expect(primary?.spec).not.toHaveProperty('externalIPs');
    });

    it('copies them when allowed', () => {
      const rollout = new Rollout();
      rollout.reconcile(minutes(0));

      const plan = rollout.reconcile(minutes(1), { target: withIps(), allowExternalIPs: true });

      expect(specOf(plan, 'podinfo-canary')).toMatchObject({ externalIPs: ['203.0.113.7'] });
    });
  });

  it('builds no route for the kubernetes provider', () => {
    const rollout = new Rollout(
      aCanary({
        provider: 'kubernetes',
        service: aService(),
      }),
    );

    const plan = rollout.reconcile(minutes(0));

    expect(plan.desired.map((o) => o.kind)).toEqual(['Service', 'Service']);
  });

  it('reports check results in the trailers of the step that ran them, not of the steps after', () => {
    const rollout = new Rollout();
    rollout.reconcile(minutes(0));
    rollout.reconcile(minutes(1), { target: aTarget('green') });
    const checks: CheckResult[] = [{ name: 'request-success-rate', value: 99.91666, min: 99, passed: true }];
    for (const at of [2, 3, 4]) rollout.reconcile(minutes(at), { analysis: { checks, gates: {} } });

    const promoting = rollout.reconcile(minutes(5), { analysis: { checks, gates: {} } });
    const finalising = rollout.reconcile(minutes(5), { analysis: { checks: [], gates: {} } });

    expect(promoting.commitMessage).toContain('Analysis: request-success-rate=99.917 min=99 pass');
    expect(finalising.commitMessage).not.toContain('Analysis:');
    expect(finalising.state.lastChecks).toEqual(checks);
  });
});

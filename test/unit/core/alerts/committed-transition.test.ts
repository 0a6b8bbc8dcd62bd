import { describe, expect, it } from 'vitest';
import {
  parseTransition,
  severityOf,
  type TransitionKind,
} from '../../../../src/core/alerts/committed-transition.js';
import type { CheckResult } from '../../../../src/core/model.js';
import type { CanaryPlan } from '../../../../src/core/plan-rollout.js';
import { aCanary, anAnalysis, aTarget, minutes, Rollout } from '../builders.js';

/** The kind each commit of a real rollout is read back as: the titles come from rollout-transitions.ts. */
function kinds(plans: CanaryPlan[]): [string, TransitionKind | undefined][] {
  return plans
    .filter((p) => p.commitMessage)
    .map((p, i) => {
      const t = parseTransition({
        oid: `${i}`.padStart(40, '0'),
        message: p.commitMessage ?? '',
        timestamp: 0,
      });
      return [p.commitMessage?.split('\n')[0]?.replace(/\w{12}/g, 'REV') ?? '', t?.kind];
    });
}

function release(rollout: Rollout, from: number, to: number): CanaryPlan[] {
  const plans: CanaryPlan[] = [];
  for (let at = from; at <= to; at += 1) {
    let plan = rollout.reconcile(minutes(at));
    plans.push(plan);
    while (plan.continueImmediately) plans.push((plan = rollout.reconcile(minutes(at))));
  }
  return plans;
}

describe('parseTransition', () => {
  it('reads every commit of a promoted release as the step it was', () => {
    const rollout = new Rollout();
    const plans = [
      rollout.reconcile(minutes(0)),
      rollout.reconcile(minutes(1), { target: aTarget('green') }),
    ];
    plans.push(...release(rollout, 2, 5));

    expect(kinds(plans)).toEqual([
      ['podinfo: initialized at REV', 'initialized'],
      ['podinfo: new revision REV, analysis started', 'new-revision'],
      ['podinfo: weight 0 → 10', 'step'],
      ['podinfo: weight 10 → 20', 'step'],
      ['podinfo: weight 20 → 30', 'step'],
      ['podinfo: promoting REV', 'promoting'],
      ['podinfo: weight 30 → 0, finalising', 'finalising'],
      ['podinfo: promoted REV', 'promoted'],
    ]);
  });

  it('tells failed checks, rollbacks and reverts apart', () => {
    const rollout = new Rollout();
    rollout.reconcile(minutes(0));
    rollout.reconcile(minutes(1), { target: aTarget('green') });
    const failing: CheckResult[] = [{ name: 'request-success-rate', value: 80, min: 99, passed: false }];
    const failed = [2, 3].map((at) =>
      rollout.reconcile(minutes(at), { analysis: { checks: failing, gates: {} } }),
    );
    const reverted = rollout.reconcile(minutes(4), {
      target: aTarget('blue'),
      analysis: { checks: [], gates: {} },
    });

    expect(kinds([...failed, reverted])).toEqual([
      ['podinfo: check failed (1 of 2)', 'check-failed'],
      ['podinfo: rolled back REV, weight 0 → 0', 'rolled-back'],
      ['podinfo: reverted to promoted REV, REV abandoned', 'reverted'],
    ]);
    const rollback = parseTransition({
      oid: 'a'.repeat(40),
      message: failed[1]?.commitMessage ?? '',
      timestamp: 1,
    });
    expect(rollback?.checks).toEqual([{ name: 'request-success-rate', value: '80', passed: false }]);
  });

  it('reads the gates a person must open as waiting', () => {
    const rollout = new Rollout(aCanary({ analysis: anAnalysis({ maxWeight: 10, stepWeight: 10 }) }));
    rollout.reconcile(minutes(0));
    const closed = { checks: [], gates: { 'confirm-rollout': false, 'confirm-promotion': false } };
    const waiting = rollout.reconcile(minutes(1), { target: aTarget('green'), analysis: closed });
    const confirmed = rollout.reconcile(minutes(2), { analysis: { checks: [], gates: {} } });
    const steps = release(rollout, 3, 5);

    expect(kinds([waiting, confirmed, ...steps])).toEqual([
      ['podinfo: new revision REV, waiting for confirm-rollout', 'waiting-confirmation'],
      ['podinfo: rollout of REV confirmed, analysis started', 'step'],
      ['podinfo: weight 0 → 10', 'step'],
      ['podinfo: promoting REV', 'promoting'],
      ['podinfo: weight 10 → 0, finalising', 'finalising'],
      ['podinfo: promoted REV', 'promoted'],
    ]);
  });

  it('reads promotion approval waits, the first as a warning and the repeats as steps', () => {
    const rollout = new Rollout(aCanary({ analysis: anAnalysis({ maxWeight: 10, stepWeight: 10 }) }));
    rollout.reconcile(minutes(0));
    rollout.reconcile(minutes(1), { target: aTarget('green') });
    rollout.input.analysis = { checks: [], gates: { 'confirm-promotion': false } };

    const plans = release(rollout, 2, 4);

    expect(kinds(plans)).toEqual([
      ['podinfo: weight 0 → 10', 'step'],
      ['podinfo: waiting for promotion approval of REV', 'waiting-promotion'],
      ['podinfo: analysis passed, still waiting for promotion approval', 'step'],
    ]);
  });

  it('ignores commits without the trailers, such as a person merging a release', () => {
    expect(
      parseTransition({ oid: 'b'.repeat(40), message: 'release podinfo green\n', timestamp: 0 }),
    ).toBeUndefined();
    expect(
      parseTransition({
        oid: 'b'.repeat(40),
        message: 'x\n\nCanary: a/b\nCanary-Phase: Progressing\n',
        timestamp: 0,
      }),
    ).toBeUndefined();
  });
});

describe('severityOf', () => {
  it.each([
    ['rolled-back', 'error'],
    ['waiting-promotion', 'warn'],
    ['waiting-confirmation', 'warn'],
    ['new-revision', 'info'],
    ['step', 'info'],
    ['check-failed', 'info'],
    ['promoted', 'info'],
    ['initialized', undefined],
    ['updated', undefined],
  ] as const)('alerts %s as %s', (kind, severity) => {
    expect(severityOf(kind)).toBe(severity);
  });
});

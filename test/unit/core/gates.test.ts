import { describe, expect, it } from 'vitest';
import type { AnalysisReport } from '../../../src/core/analysis-report.js';
import { annotations } from '../../../src/core/gates.js';
import type { CanarySpec } from '../../../src/core/model.js';
import { analysisNeeds } from '../../../src/core/plan-rollout.js';
import { revisionOf } from '../../../src/core/revision.js';
import { aCanary, aTarget, minutes, Rollout, specOf, weightOf } from './builders.js';

const green = revisionOf(aTarget('green').object);
const report = (overrides: Partial<AnalysisReport> = {}): { analysis: AnalysisReport } => ({
  analysis: { checks: [], gates: {}, ...overrides },
});
const annotated = (values: Record<string, string>): CanarySpec => aCanary({ annotations: values });

/** A canary released to green at minute 1, stepped to `maxWeight` (30) by minute 4. */
function atMaxWeight(canary: CanarySpec = aCanary()): Rollout {
  const rollout = new Rollout(canary);
  rollout.reconcile(minutes(0));
  rollout.reconcile(minutes(1), { target: aTarget('green') });
  for (const at of [2, 3, 4]) rollout.reconcile(minutes(at), report());
  expect(rollout.input.previous?.file.state.canaryWeight).toBe(30);
  return rollout;
}

describe('confirm-rollout', () => {
  it('holds a new revision in Waiting while closed and starts the analysis once open', () => {
    const rollout = new Rollout();
    rollout.reconcile(minutes(0));

    const waiting = rollout.reconcile(minutes(1), {
      target: aTarget('green'),
      ...report({ gates: { 'confirm-rollout': false } }),
    });
    const stillWaiting = rollout.reconcile(minutes(2), report({ gates: { 'confirm-rollout': false } }));
    const started = rollout.reconcile(minutes(3), report({ gates: { 'confirm-rollout': true } }));

    expect(waiting.state).toMatchObject({ phase: 'Waiting', revision: green, canaryWeight: 0 });
    expect(waiting.commitMessage).toMatch(/waiting for confirm-rollout/);
    expect(stillWaiting.content).toBeUndefined();
    expect(stillWaiting.waiting).toBe('confirm-rollout is closed');
    expect(started.state.phase).toBe('Progressing');
    expect(started.commitMessage).toMatch(/^podinfo: rollout of \w{12} confirmed, analysis started/);
  });
});

describe('confirm-traffic-increase', () => {
  it('keeps the weight while closed, without counting a failure', () => {
    const rollout = new Rollout();
    rollout.reconcile(minutes(0));
    rollout.reconcile(minutes(1), { target: aTarget('green') });

    const held = rollout.reconcile(minutes(2), report({ gates: { 'confirm-traffic-increase': false } }));
    const stepped = rollout.reconcile(minutes(2.5), report({ gates: { 'confirm-traffic-increase': true } }));

    expect(held.waiting).toBe('confirm-traffic-increase is closed');
    expect(held.content).toBeUndefined();
    expect(stepped.state).toMatchObject({ canaryWeight: 10, failedChecks: 0 });
  });
});

describe('confirm-promotion', () => {
  it('waits for a merged approval of this revision when approval is required, then promotes without waiting an interval', () => {
    const rollout = atMaxWeight(annotated({ [annotations.requireApproval]: 'true' }));

    const waiting = rollout.reconcile(minutes(5), report());
    const notThisOne = rollout.reconcile(minutes(5.2), {
      canary: annotated({ [annotations.requireApproval]: 'true', [annotations.approve]: 'some-other-rev' }),
    });
    const approved = rollout.reconcile(minutes(5.5), {
      canary: annotated({ [annotations.requireApproval]: 'true', [annotations.approve]: green }),
    });

    expect(waiting.state.phase).toBe('WaitingPromotion');
    expect(weightOf(waiting, 'podinfo-canary')).toBe(30);
    expect(notThisOne.content).toBeUndefined();
    expect(approved.state.phase).toBe('Promoting');
    expect(specOf(approved, 'podinfo-primary')).toMatchObject({ selector: { app: 'podinfo-green' } });
  });

  it('keeps analysing while a confirm-promotion webhook says no, and rolls back on failures there', () => {
    const rollout = atMaxWeight();
    const failing = { checks: [{ name: 'request-success-rate', value: 50, min: 99, passed: false }] };

    const waiting = rollout.reconcile(minutes(5), report({ gates: { 'confirm-promotion': false } }));
    const failed1 = rollout.reconcile(
      minutes(6),
      report({ ...failing, gates: { 'confirm-promotion': false } }),
    );
    const failed2 = rollout.reconcile(
      minutes(7),
      report({ ...failing, gates: { 'confirm-promotion': false } }),
    );

    expect(waiting.state.phase).toBe('WaitingPromotion');
    expect(failed1.state).toMatchObject({ phase: 'WaitingPromotion', failedChecks: 1 });
    expect(failed2.state).toMatchObject({ phase: 'Failed', canaryWeight: 0, failedChecks: 2 });
  });

  it('promotes at the next interval once the webhook opens', () => {
    const rollout = atMaxWeight();
    rollout.reconcile(minutes(5), report({ gates: { 'confirm-promotion': false } }));

    const promoted = rollout.reconcile(minutes(6), report({ gates: { 'confirm-promotion': true } }));

    expect(promoted.state.phase).toBe('Promoting');
  });
});

describe('rollback', () => {
  it.each([
    [
      'the abort annotation names the revision',
      { canary: annotated({ [annotations.abort]: green }) },
      /aborted/,
    ],
    ['a rollback webhook answered yes', report({ rollbackRequested: true }), /rollback webhook/],
  ])('happens when %s', (_, changes, message) => {
    const rollout = new Rollout();
    rollout.reconcile(minutes(0));
    rollout.reconcile(minutes(1), { target: aTarget('green') });
    rollout.reconcile(minutes(2), report());

    const failed = rollout.reconcile(minutes(2.5), changes);

    expect(failed.state).toMatchObject({ phase: 'Failed', canaryWeight: 0 });
    expect(failed.state.message).toMatch(message);
    expect(failed.commitMessage).toMatch(/^podinfo: rolled back \w{12}, weight 10 → 0/);
  });

  it('commits the target back to the promoted spec with gitcanary.dev/revert-on-failure', () => {
    const canary = annotated({ [annotations.revertOnFailure]: 'true' });
    const rollout = new Rollout(canary);
    const targetFile =
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: podinfo # web team\nspec:\n  selector:\n    app: podinfo-green\n';
    rollout.reconcile(minutes(0));
    rollout.reconcile(minutes(1), { target: aTarget('green') });

    const failed = rollout.reconcile(minutes(1.5), { targetFile, ...report({ rollbackRequested: true }) });

    expect(failed.otherChanges).toHaveLength(1);
    expect(failed.otherChanges[0]?.path).toBe('apps/podinfo/service.yaml');
    expect(failed.otherChanges[0]?.content).toContain('name: podinfo # web team');
    expect(failed.otherChanges[0]?.content).toContain('app: podinfo-blue');
    expect(failed.commitMessage).toContain('The target podinfo is reverted to the promoted spec.');
  });

  it('gives up on a commit-only rollout that the cluster never catches up with, past progressDeadlineSeconds', () => {
    const rollout = new Rollout(aCanary({ progressDeadlineSeconds: 300 }));
    rollout.input.applies = false;
    rollout.reconcile(minutes(0));
    rollout.reconcile(minutes(1), { target: aTarget('green') });

    const waiting = rollout.reconcile(minutes(4), { live: {} });
    const failed = rollout.reconcile(minutes(6.5), { live: {} });

    expect(waiting.waiting).toBe('waiting for the cluster to match the committed objects');
    expect(failed.state.phase).toBe('Failed');
    expect(failed.state.message).toMatch(/within 300s/);
  });
});

describe('paused', () => {
  it('holds the analysis', () => {
    const rollout = new Rollout();
    rollout.reconcile(minutes(0));
    rollout.reconcile(minutes(1), { target: aTarget('green') });

    const held = rollout.reconcile(minutes(3), { canary: annotated({ [annotations.paused]: 'true' }) });

    expect(held.waiting).toBe('paused by gitcanary.dev/paused');
    expect(held.content).toBeUndefined();
  });
});

describe('analysisNeeds', () => {
  const rollout = new Rollout();
  rollout.reconcile(minutes(0));
  const initialized = rollout.input.previous?.file.state;
  rollout.reconcile(minutes(1), { target: aTarget('green') });
  const progressing = rollout.input.previous?.file.state;

  it.each([
    ['nothing before the first reconcile', undefined, green, 1, { webhooks: [], metrics: false }],
    [
      'confirm-rollout for a new revision',
      initialized,
      green,
      1,
      { webhooks: ['confirm-rollout'], metrics: false },
    ],
    [
      'nothing for a revert to the promoted revision',
      progressing,
      revisionOf(aTarget('blue').object),
      1.5,
      { webhooks: [], metrics: false },
    ],
    ['nothing before the interval is due', progressing, green, 1.5, { webhooks: [], metrics: false }],
    [
      'pre-rollout, rollback and confirm-traffic-increase but no metrics at the first due step (weight 0 is not judged)',
      progressing,
      green,
      2,
      { webhooks: ['pre-rollout', 'rollback', 'confirm-traffic-increase'], metrics: false },
    ],
  ])('asks for %s', (_, state, revision, at, expected) => {
    expect(analysisNeeds(aCanary(), state, revision, minutes(at))).toEqual(expected);
  });

  it('asks for confirm-promotion instead of confirm-traffic-increase at the maximum weight', () => {
    const state = atMaxWeight().input.previous?.file.state;

    expect(analysisNeeds(aCanary(), state, green, minutes(5)).webhooks).toEqual([
      'rollout',
      'rollback',
      'confirm-promotion',
    ]);
  });
});

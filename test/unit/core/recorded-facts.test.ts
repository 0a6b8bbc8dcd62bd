// Nothing is recorded that did not happen: a step waits for the cluster to hold the one before it, a cluster
// that refuses the objects is said once in git (stalled) instead of a march to "promoted", and a hand edit of
// the generated Services is undone from the target, or refused, never applied.
import { describe, expect, it } from 'vitest';
import { planRollout } from '../../../src/core/plan-rollout.js';
import { aTarget, expectPlan, minutes, Rollout } from './builders.js';

const title = (message: string | undefined) => message?.split('\n')[0];

/** Initialized on blue, green merged and its run started (weight 0); each reconcile "applied" its objects. */
function started(): Rollout {
  const rollout = new Rollout();
  rollout.reconcile(minutes(0));
  rollout.reconcile(minutes(1), { target: aTarget('green') });
  return rollout;
}

describe('what git records', () => {
  it('in apply mode, holds the next step while the cluster does not hold the last one', () => {
    const rollout = started();

    const plan = rollout.reconcile(minutes(2), { live: {} });

    expect(plan.content).toBeUndefined();
    expect(plan.waiting).toBe('waiting for the cluster to match the committed objects');
  });

  it('says once in git that the cluster refuses the objects, and holds there rather than marching on', () => {
    const rollout = started();
    const refused = 'Service/test/podinfo-canary: services "podinfo-canary" is forbidden';

    const stalled = rollout.reconcile(minutes(2), { live: {}, applyError: refused });
    const again = rollout.reconcile(minutes(3), { live: {}, applyError: refused });
    const later = rollout.reconcile(minutes(10), { live: {}, applyError: `${refused} (again)` });

    expect(title(stalled.commitMessage)).toBe(
      'podinfo: stalled, the cluster refuses the objects of this step',
    );
    expect(stalled.state).toMatchObject({ phase: 'Progressing', canaryWeight: 0 });
    expect(stalled.state.message).toContain(refused);
    expect([again.content, later.content]).toEqual([undefined, undefined]);
    expect(later.waiting).toContain('(again)');
    expect(later.state.phase).toBe('Progressing');
  });

  it('goes on once the cluster holds the step again', () => {
    const rollout = started();
    const live = rollout.input.live;
    rollout.reconcile(minutes(2), { live: {}, applyError: 'forbidden' });

    const plan = rollout.reconcile(minutes(3), { live, applyError: undefined });

    expect(title(plan.commitMessage)).toBe('podinfo: weight 0 → 10');
  });
});

describe('a step another field manager reverted, and gitcanary put back (default mode)', () => {
  const restored = {
    objects: ['HTTPRoute/podinfo'],
    managers: ['kustomize-controller'],
    at: '2026-11-26T10:01:30.000Z',
  };

  it('is committed in the state, naming the manager, with no Event of its own (the Restored one says it)', () => {
    const rollout = started();

    const plan = rollout.reconcile(minutes(1.5), { restored });

    expect(title(plan.commitMessage)).toBe(
      'podinfo: restored HTTPRoute podinfo: reverted by kustomize-controller at 2026-11-26T10:01:30.000Z',
    );
    expect(plan.state).toMatchObject({ phase: 'Progressing', canaryWeight: 0, restored });
    expect(plan.events).toEqual([]);
  });

  it('stays in the state through later steps, until the next restoration replaces it', () => {
    const rollout = started();
    rollout.reconcile(minutes(1.5), { restored });

    const step = rollout.reconcile(minutes(2), { restored: undefined });

    expect(title(step.commitMessage)).toBe('podinfo: weight 0 → 10');
    expect(step.state.restored).toEqual(restored);
  });
});

describe('a hand edit of the generated file', () => {
  /** The committed generated file, with the primary's selector changed by a person in git. */
  function editedByHand(rollout: Rollout, app: string) {
    const previous = rollout.input.previous;
    if (!previous) throw new Error('nothing committed');
    const content = previous.content.replace(/app: podinfo-blue/u, `app: ${app}`);
    const primary = {
      ...previous.file.primary,
      spec: { ...(previous.file.primary.spec as object), selector: { app } },
    };
    return { content, file: { ...previous.file, primary } };
  }

  it('is undone from the target while the target still holds the promoted spec', () => {
    const rollout = new Rollout();
    rollout.reconcile(minutes(0));
    rollout.reconcile(minutes(1), { target: aTarget('green') });
    rollout.reconcile(minutes(2));

    const plan = rollout.reconcile(minutes(2.5), {
      target: aTarget('blue'),
      previous: editedByHand(rollout, 'evil'),
    });

    expect(title(plan.commitMessage)).toContain('podinfo: reverted to promoted');
    expect(plan.desired[0]?.spec).toMatchObject({ selector: { app: 'podinfo-blue' } });
  });

  it('is undone when nothing else moves, and said so', () => {
    const rollout = new Rollout();
    rollout.reconcile(minutes(0));
    rollout.reconcile(minutes(1), { target: aTarget('green') });
    const previous = rollout.input.previous;
    if (!previous) throw new Error('nothing committed');
    const canary = {
      ...previous.file.canary,
      spec: { ...(previous.file.canary.spec as object), selector: { app: 'evil' } },
    };
    const edited = {
      content: previous.content.replace('app: podinfo-green', 'app: evil'),
      file: { ...previous.file, canary },
    };

    const plan = expectPlan(planRollout({ ...rollout.input, now: minutes(1.5), previous: edited }));

    expect(title(plan.commitMessage)).toBe('podinfo: hand edit of podinfo-canary undone');
    expect(plan.desired[1]?.spec).toMatchObject({ selector: { app: 'podinfo-green' } });
    expect(plan.events).toMatchObject([
      { reason: 'Synced', message: 'podinfo: hand edit of podinfo-canary undone' },
    ]);
  });

  it('is refused, with nothing applied, when the target no longer holds the spec to put back', () => {
    const rollout = new Rollout();
    rollout.reconcile(minutes(0));
    rollout.reconcile(minutes(1), { target: aTarget('green') });
    rollout.reconcile(minutes(2));

    const result = planRollout({
      ...rollout.input,
      now: minutes(2.5),
      previous: editedByHand(rollout, 'evil'),
    });

    expect(result).toMatchObject({ kind: 'error', code: 'HandEdited' });
    expect(result.kind === 'error' ? result.message : '').toMatch(/podinfo-primary edited by hand in git/u);
  });
});

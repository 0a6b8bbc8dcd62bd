// The apply stage: after the commit, each plan's objects are applied where they differ from the live ones,
// and its deletions made. A reused plan was found unchanged already; the others are applied concurrently,
// each one's objects in order, and the change set keeps plan order. An apply that finds nothing to do
// confirms the plan to the cache, which may then reuse it (a plan at rest that the cluster holds was
// confirmed while planning: plan-canary.ts, confirmHeld).
import { canaryLabel, isManagedByUs } from '../core/generated-objects.js';
import type { KubeObject } from '../core/model.js';
import type { CanaryPlan } from '../core/plan-rollout.js';
import { describeRef, refOf } from '../kube/cluster.js';
import { failedCondition } from '../core/outcome-class.js';
import { isRefusal, kubeErrorFact } from '../kube/errors.js';
import { concurrency, type Pass, type ReconcileContext } from './context.js';
import { mapConcurrently } from './map-concurrently.js';
import { addChanges, emptyChangeSet, oneLine, type ChangeSet } from './outcomes.js';
import { liveDiffs } from './live-diff.js';
import { keepVersionsOnly } from './plan-canary.js';

export async function applyPass(ctx: ReconcileContext, pass: Pass, changes: ChangeSet): Promise<void> {
  const reused = pass.plans.map((plan) => ctx.cache.unchangedNames(plan.canary, plan));
  const applied = await mapConcurrently(
    pass.plans.filter((_, i) => !reused[i]),
    concurrency,
    (plan) => applyPlan(ctx, pass, plan),
  );
  let next = 0;
  for (const names of reused) {
    if (names) changes.unchanged.push(...names);
    else addChanges(changes, applied[next++] ?? emptyChangeSet());
  }
}

async function applyPlan(ctx: ReconcileContext, pass: Pass, plan: CanaryPlan): Promise<ChangeSet> {
  const { logger } = ctx.options;
  const own = emptyChangeSet();
  const restoredObjects: string[] = [];
  let refusal: string | undefined;
  const failed = (name: string, err: unknown, what: string) => {
    own.failed.push(name);
    // Only the API server's refusal of the objects stalls the Canary in git; a timeout, a 5xx or a
    // closed connection is an outage: the step waits for the cluster, readiness says so, git says nothing.
    if (isRefusal(err)) refusal ??= oneLine((err as Error).message);
    logger.error({ canary: plan.canary, object: name, err }, `${what} failed; the next reconcile retries`);
  };
  for (const diff of liveDiffs(plan.desired, pass.live.get(plan.canary) ?? {})) {
    const { object } = diff;
    const name = describeRef(refOf(object));
    if (diff.action === 'unchanged') {
      own.unchanged.push(name);
      continue;
    }
    try {
      // Nothing new was committed for it, so the live object drifted from the committed step.
      if (diff.action === 'update' && plan.content === undefined) {
        const managers = await ctx.options.cluster.restore(object);
        own.restored.push({ canary: plan.canary, object: name, managers });
        restoredObjects.push(`${object.kind}/${object.metadata.name}`);
        logger.warn(
          { canary: plan.canary, object: name, managers },
          'restored an object another field manager changed away from the committed step',
        );
      } else await ctx.options.cluster.apply(object);
      (diff.action === 'create' ? own.created : own.configured).push(name);
      logger.info({ canary: plan.canary, object: name, action: diff.action }, 'applied');
    } catch (err) {
      // Replaced, not changed: an outcome is shared by the passes that reuse its plan.
      const outcome = pass.outcomes.get(plan.canary);
      if (outcome) {
        const failure = { error: (err as Error).message, ...failedCondition(kubeErrorFact(err)) };
        pass.outcomes.set(plan.canary, { ...outcome, ...failure });
      }
      failed(name, err, 'apply');
    }
  }
  for (const object of plan.deletions ?? []) {
    const name = describeRef(refOf(object));
    try {
      if (await deleteOwn(ctx, object)) {
        own.deleted.push(name);
        logger.info({ canary: plan.canary, object: name }, 'deleted');
      }
    } catch (err) {
      failed(name, err, 'delete');
    }
  }
  await record(ctx, pass, plan, own, restoredObjects, refusal);
  return own;
}

/** Deletes what gitcanary generated for this Canary, and only that; true when it was there. */
async function deleteOwn(ctx: ReconcileContext, object: KubeObject): Promise<boolean> {
  const { cluster } = ctx.options;
  const live = await cluster.get(refOf(object));
  const ours =
    live &&
    isManagedByUs(live) &&
    live.metadata.labels?.[canaryLabel] === object.metadata.labels?.[canaryLabel];
  if (!ours) return false;
  await cluster.delete(refOf(object));
  return true;
}

/** What the next plan of this Canary must know of its apply: restorations, refusals, and rest. */
async function record(
  ctx: ReconcileContext,
  pass: Pass,
  plan: CanaryPlan,
  own: ChangeSet,
  restoredObjects: string[],
  refusal: string | undefined,
): Promise<void> {
  const resolved = pass.resolved.get(plan.canary);
  if (own.restored.length > 0) {
    ctx.restorations.set(plan.canary, {
      objects: restoredObjects,
      managers: [...new Set(own.restored.flatMap((r) => r.managers))].sort(),
      at: ctx.options.clock().toISOString(),
    });
    if (resolved && ctx.options.restored) await ctx.options.restored(resolved, own.restored);
  }
  if (refusal) ctx.applyErrors.set(plan.canary, refusal);
  else ctx.applyErrors.delete(plan.canary);
  if (own.unchanged.length !== plan.desired.length) return;
  // Only a Canary at rest for good (its plan kept for reuse) lets the whole of its live objects go.
  const rest = ctx.cache.confirm(plan.canary, plan, own.unchanged);
  if (rest?.forgetLive && resolved) keepVersionsOnly(ctx, resolved.canary);
}

// The plan stage of a pass: the manifest errors as outcomes, the Canaries of this shard planned (from the
// cache when their last plan holds, concurrently otherwise), and the removals of Canaries gone from git.
// After a pass on the same repository, only the Canaries something moved for are looked at (pass-memo.ts).
import { formatManifestError } from '../core/manifests/manifest-error.js';
import type { CanaryPlan, LiveObjects, PlanResult } from '../core/plan-rollout.js';
import { failedCondition } from '../core/outcome-class.js';
import { EventLoopTurns } from '../runtime/event-loop-turns.js';
import { concurrency, type Pass, type ReconcileContext } from './context.js';
import type { LoadedCommit } from './manifest-loader.js';
import { mapConcurrently } from './map-concurrently.js';
import { outcomeOf, type CanaryOutcome } from './outcomes.js';
import { shardView, sinceLastPass, type Keyed, type ShardView } from './pass-memo.js';
import { planCanary, reusedPlan } from './plan-canary.js';
import { planRemovals } from './plan-removals.js';

export async function planPass(
  ctx: ReconcileContext,
  loaded: LoadedCommit,
  /** The commit loaded before this one, when the pass loaded a new one. */
  before: LoadedCommit | undefined,
  analyzing: boolean,
): Promise<Pass> {
  const { logger, shard, namespaces, cluster } = ctx.options;
  const { oids, assembled } = loaded;
  const now = ctx.options.clock().getTime();
  const outcomes = new Map<string, CanaryOutcome>();
  const errors: string[] = [];
  for (const error of assembled.errors) {
    const message = formatManifestError(error);
    logger.warn({ canary: error.canary, file: error.file }, message);
    const failed = failedCondition({ source: 'manifest', code: error.code });
    if (error.canary) outcomes.set(error.canary, { canary: error.canary, error: message, ...failed });
    else errors.push(message);
  }

  if (ctx.view?.assembled !== assembled) ctx.view = shardView(assembled, shard, namespaces);
  const view = ctx.view;
  // A preview plans without analysis: what it plans is no memo for a pass that analyzes.
  const memo = analyzing ? ctx.lastPass : undefined;
  ctx.lastPass = undefined;
  // Taken by every pass that analyzes, so that the next one counts from what this one saw.
  const live = analyzing ? cluster.takeLiveChanges() : 'all';
  const since =
    memo &&
    sinceLastPass(memo, loaded, view, {
      live,
      due: ctx.cache.dueBy(now),
      applied: [...ctx.applyErrors.keys(), ...ctx.restorations.keys()],
    });

  // Each loop over the Canaries runs in slices of the event loop: thousands of them when one falls due.
  const turns = new EventLoopTurns();
  const results = new Map<string, PlanResult>();
  const liveObjects = new Map<string, LiveObjects>();
  const planning: Keyed[] = [];
  for (const { key, resolved } of view.mine) {
    while (turns.spent()) await turns.next();
    // A plan kept from the last pass is one the cache confirmed: never applied, so its live objects are
    // not needed (and not held: the live cache keeps only their versions).
    const held = since && !since.keys.has(key) && memo?.results.get(key);
    const hit = held ? { result: held, live: undefined } : reusedPlan(ctx, resolved, oids, now);
    if (!hit) {
      planning.push({ key, resolved });
      continue;
    }
    results.set(key, hit.result);
    if (hit.live) liveObjects.set(key, hit.live);
  }
  // Canaries whose last plan does not hold are planned concurrently.
  const fresh = await mapConcurrently(planning, concurrency, ({ resolved }) =>
    planCanary(ctx, resolved, oids, analyzing),
  );
  for (const [i, { key }] of planning.entries()) {
    const planned = fresh[i];
    if (!planned) throw new Error('unreachable: one result per Canary planned');
    results.set(key, planned.result);
    if (planned.live) liveObjects.set(key, planned.live);
  }
  const plans = await outcomesOf(ctx, view, results, outcomes, turns);

  if (before) {
    ctx.cache.keepOnly(new Set(view.resolved.keys()));
    // A restoration of a Canary gone from git (or from this shard) has nowhere to be recorded.
    for (const key of ctx.restorations.keys()) if (!view.resolved.has(key)) ctx.restorations.delete(key);
  }
  while (turns.spent()) await turns.next();
  // The orphaned files are those of the last pass while our commits wrote only files that Canaries claim.
  const sameOrphans =
    !before &&
    memo?.view === view &&
    since?.paths.every((path) => view.owners.has(path)) &&
    isIdle(memo.orphans.plans);
  // Otherwise the orphans are searched for from those of the last pass, where it planned on this commit or
  // one this was loaded from by its changes (`since`).
  const orphans = sameOrphans
    ? memo.orphans
    : await planRemovals(
        ctx,
        loaded,
        view.owners,
        view.present,
        before,
        memo && since
          ? { unclaimed: memo.orphans.unclaimed, owners: memo.view.owners, changed: since.paths }
          : undefined,
      );
  const removals = orphans.plans;
  for (const removal of removals) outcomes.set(removal.canary, outcomeOf(removal));
  // A clash found after the first Canary was planned leaves both out.
  const kept = plans.filter((p) => !outcomes.get(p.canary)?.error);
  if (analyzing) {
    // The Canaries planned afresh are planned again by the next pass; the others kept their plans.
    const unsettled = new Set(planning.map(({ key }) => key));
    ctx.lastPass = { head: loaded.head, view, results, written: [], unsettled, orphans };
  }
  return {
    plans: [...kept, ...removals],
    resolved: view.resolved,
    live: liveObjects,
    outcomes,
    errors,
    reusedOnly: fresh.length === 0 && view.clashes.length === 0 && isIdle(removals),
  };
}

/** Each Canary's outcome, in repository order, and its plan when it has one. */
async function outcomesOf(
  ctx: ReconcileContext,
  view: ShardView,
  results: ReadonlyMap<string, PlanResult>,
  outcomes: Map<string, CanaryOutcome>,
  turns: EventLoopTurns,
): Promise<CanaryPlan[]> {
  const plans: CanaryPlan[] = [];
  for (const { key, resolved } of view.ofShard) {
    while (turns.spent()) await turns.next();
    const result: PlanResult = results.get(key) ?? {
      kind: 'error',
      canary: key,
      code: 'NotWatched',
      message: `namespace ${resolved.canary.namespace} is not watched`,
    };
    let outcome = ctx.outcomes.get(result);
    if (!outcome) {
      outcome = outcomeOf(result);
      ctx.outcomes.set(result, outcome);
    }
    outcomes.set(key, outcome);
    if (result.kind === 'plan') plans.push(result);
    else ctx.options.logger.error({ canary: key, code: result.code }, result.message);
  }
  const clashed = failedCondition({ source: 'generated-path', code: 'GeneratedPathClash' });
  for (const { keys, message } of view.clashes) {
    for (const key of keys) outcomes.set(key, { canary: key, error: message, ...clashed });
  }
  return plans;
}

/** Removals that write nothing and delete nothing. */
function isIdle(removals: readonly CanaryPlan[]): boolean {
  return removals.every((r) => r.content === undefined && !r.deletions?.length && !r.remove);
}

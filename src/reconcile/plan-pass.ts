// The plan stage of a pass: the manifest errors as outcomes, the Canaries of this shard planned (from the
// cache when their last plan holds, concurrently otherwise), and the removals of Canaries gone from git.
import { generatedPath } from '../core/generated-file.js';
import type { ResolvedCanary } from '../core/manifests/assemble.js';
import { formatManifestError } from '../core/manifests/manifest-error.js';
import { canaryKey, type CanaryPlan, type LiveObjects, type PlanResult } from '../core/plan-rollout.js';
import { failedCondition } from '../core/outcome-class.js';
import { inShard } from '../core/shards.js';
import { EventLoopTurns } from '../runtime/event-loop-turns.js';
import { concurrency, type Pass, type ReconcileContext } from './context.js';
import type { LoadedCommit } from './manifest-loader.js';
import { mapConcurrently } from './map-concurrently.js';
import { outcomeOf, type CanaryOutcome } from './outcomes.js';
import { planCanary, reusedPlan } from './plan-canary.js';
import { planRemovals } from './plan-removals.js';

/** Two Canaries whose generated files would be one: both are errors, neither is planned. */
interface Clash {
  keys: [string, string];
  message: string;
}

export async function planPass(
  ctx: ReconcileContext,
  loaded: LoadedCommit,
  /** The commit loaded before this one, when the pass loaded a new one. */
  before: LoadedCommit | undefined,
  analyzing: boolean,
): Promise<Pass> {
  const { logger, shard } = ctx.options;
  const { oids, assembled } = loaded;
  const outcomes = new Map<string, CanaryOutcome>();
  const errors: string[] = [];
  for (const error of assembled.errors) {
    const message = formatManifestError(error);
    logger.warn({ canary: error.canary, file: error.file }, message);
    const failed = failedCondition({ source: 'manifest', code: error.code });
    if (error.canary) outcomes.set(error.canary, { canary: error.canary, error: message, ...failed });
    else errors.push(message);
  }

  // Each loop over the Canaries runs in slices of the event loop: thousands of them when one falls due.
  const turns = new EventLoopTurns();
  const { ofShard, clashes, paths } = claim(assembled.canaries, shard);
  const { namespaces } = ctx.options;
  const watched = (r: ResolvedCanary) => !namespaces || namespaces.includes(r.canary.namespace);
  const mine = ofShard.filter(watched);
  // Canaries whose last plan still holds are answered from memory; the others are planned concurrently.
  const reused: ReturnType<typeof reusedPlan>[] = [];
  for (const resolved of mine) {
    while (turns.spent()) await turns.next();
    reused.push(reusedPlan(ctx, resolved, oids));
  }
  const fresh = await mapConcurrently(
    mine.filter((_, i) => !reused[i]),
    concurrency,
    (resolved) => planCanary(ctx, resolved, oids, analyzing),
  );
  const live = new Map<string, LiveObjects>();
  const results = new Map<string, PlanResult>();
  let next = 0;
  for (const [i, resolved] of mine.entries()) {
    while (turns.spent()) await turns.next();
    const planned = reused[i] ?? fresh[next++];
    if (!planned) throw new Error('unreachable: one result per Canary of the shard');
    if (planned.live) live.set(canaryKey(resolved.canary), planned.live);
    results.set(canaryKey(resolved.canary), planned.result);
  }
  // Repository order: each Canary's outcome, and its plan when it has one.
  const plans: CanaryPlan[] = [];
  for (const { canary } of ofShard) {
    while (turns.spent()) await turns.next();
    const key = canaryKey(canary);
    const result: PlanResult = results.get(key) ?? {
      kind: 'error',
      canary: key,
      code: 'NotWatched',
      message: `namespace ${canary.namespace} is not watched`,
    };
    outcomes.set(key, outcomeOf(result));
    if (result.kind === 'plan') plans.push(result);
    else logger.error({ canary: key, code: result.code }, result.message);
  }
  const clashed = failedCondition({ source: 'generated-path', code: 'GeneratedPathClash' });
  for (const { keys, message } of clashes) {
    for (const key of keys) outcomes.set(key, { canary: key, error: message, ...clashed });
  }
  const resolved = new Map(mine.map((r) => [canaryKey(r.canary), r]));
  if (before) {
    ctx.cache.keepOnly(new Set(resolved.keys()));
    // A restoration of a Canary gone from git (or from this shard) has nowhere to be recorded.
    for (const key of ctx.restorations.keys()) if (!resolved.has(key)) ctx.restorations.delete(key);
  }
  while (turns.spent()) await turns.next();
  const present = new Set(assembled.canaries.map(({ canary }) => canaryKey(canary)));
  const removals = await planRemovals(ctx, loaded, paths, present, before);
  for (const removal of removals) outcomes.set(removal.canary, outcomeOf(removal));
  // A clash found after the first Canary was planned leaves both out.
  const kept = plans.filter((p) => !outcomes.get(p.canary)?.error);
  const idleRemovals = removals.every((r) => r.content === undefined && !r.deletions?.length && !r.remove);
  return {
    plans: [...kept, ...removals],
    resolved,
    live,
    outcomes,
    errors,
    reusedOnly: fresh.length === 0 && clashes.length === 0 && idleRemovals,
  };
}

/**
 * The Canaries this shard plans, in repository order, and the generated path each Canary claims. A path
 * claimed twice is a clash; a Canary of another shard claims its path (no orphan here) and nothing else.
 */
function claim(
  canaries: readonly ResolvedCanary[],
  shard: string | undefined,
): { ofShard: ResolvedCanary[]; clashes: Clash[]; paths: Set<string> } {
  const owners = new Map<string, string>();
  const ofShard: ResolvedCanary[] = [];
  const clashes: Clash[] = [];
  for (const resolved of canaries) {
    const key = canaryKey(resolved.canary);
    const path = generatedPath(resolved.canary);
    const owner = owners.get(path);
    if (owner) {
      const message = `${path}: generated file of both ${owner} and ${key}; give the Canaries distinct names`;
      clashes.push({ keys: [key, owner], message });
      continue;
    }
    owners.set(path, key);
    if (inShard(shard, resolved.canary.shard)) ofShard.push(resolved);
  }
  return { ofShard, clashes, paths: new Set(owners.keys()) };
}

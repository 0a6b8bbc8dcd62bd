// Canaries deleted from git. One whose generated file remains has its traffic sent to the primary (or, with
// revertOnDeletion, its file and objects deleted); one whose generated file went too has its objects
// deleted, read from the file of the commit before (apply mode only: in commit-only mode the GitOps tool
// prunes). A Canary whose file is broken is not deleted: nothing is done for a generated file while any
// error names its Canary or the file its Canary was in.
import { isGeneratedPath, parseOrphanedFile } from '../core/generated-file.js';
import type { CanaryPlan } from '../core/plan-rollout.js';
import { planRemoval } from '../core/removal.js';
import { inShard } from '../core/shards.js';
import { EventLoopTurns } from '../runtime/event-loop-turns.js';
import type { ReconcileContext } from './context.js';
import type { LoadedCommit } from './manifest-loader.js';

export async function planRemovals(
  ctx: ReconcileContext,
  loaded: LoadedCommit,
  /** The generated files the repository's Canaries claim. */
  claimed: { has(path: string): boolean },
  /** Every Canary in the repository, whatever its shard: a generated file of one of them is no orphan. */
  canaries: ReadonlySet<string>,
  /** The commit loaded before, when this pass loaded a new one. */
  before: LoadedCommit | undefined,
): Promise<CanaryPlan[]> {
  const { namespaces, shard, applies, clock } = ctx.options;
  const broken = new Set(loaded.assembled.errors.flatMap((e) => [e.file, ...(e.canary ? [e.canary] : [])]));
  const actionable = (text: string) => {
    const parsed = parseOrphanedFile(text);
    if (!parsed) return undefined;
    const { name, namespace, source } = parsed.owner;
    const key = `${namespace}/${name}`;
    if (canaries.has(key) || broken.has(key) || broken.has(source.file)) return undefined;
    if (!inShard(shard, parsed.owner.shard)) return undefined;
    return !namespaces || namespaces.includes(namespace) ? parsed : undefined;
  };
  const plans: CanaryPlan[] = [];
  const now = clock();
  const turns = new EventLoopTurns();
  for (const [path, oid] of loaded.oids) {
    // Most paths are manifests, passed over in a few instructions: only a generated one costs a check of the clock.
    if (!isGeneratedPath(path)) continue;
    while (turns.spent()) await turns.next();
    if (claimed.has(path)) continue;
    const text = await ctx.loader.boundedText(oid);
    const plan = text !== undefined && actionable(text) && planRemoval(path, text, now);
    if (plan) plans.push(plan);
  }
  if (!before || !applies) return plans;
  for (const [path, oid] of before.oids) {
    if (!isGeneratedPath(path) || loaded.oids.has(path)) continue;
    // The file went in the same commit as its Canary (or after it): delete what it listed.
    const text = await ctx.loader.boundedText(oid, { keep: false });
    const parsed = text !== undefined && actionable(text);
    if (!parsed) continue;
    const { owner, file } = parsed;
    plans.push({
      kind: 'plan',
      canary: `${owner.namespace}/${owner.name}`,
      path,
      otherChanges: [],
      state: file.state,
      desired: [],
      deletions: [...file.routes, file.canary, file.primary],
      events: [],
      continueImmediately: false,
      waiting: 'canary and its generated file removed from git',
    });
  }
  return plans;
}

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
import { compareText } from '../core/manifests/manifest-error.js';
import type { ReconcileContext } from './context.js';
import type { LoadedCommit } from './manifest-loader.js';
import type { Removals } from './pass-memo.js';

/** What a pass on an earlier commit found, from which the orphans of a later one are found (see below). */
export interface OrphanSearch {
  /** The generated paths of that commit no Canary claimed, by path. */
  unclaimed: readonly string[];
  /** The generated path each Canary claimed then. */
  owners: ReadonlyMap<string, string>;
  /** Every path that changed since that commit. */
  changed: readonly string[];
}

/**
 * The removals of Canaries gone from git, in the order of their generated paths. With `since`, only the
 * paths that can have become or stayed orphans are looked at: those unclaimed before, those that changed,
 * and those whose Canary no longer claims them. Every other generated path is claimed now as it was then,
 * so a changed poll in a repository of 5,000 Canaries does not pass over its 21,669 paths.
 */
export async function planRemovals(
  ctx: ReconcileContext,
  loaded: LoadedCommit,
  /** The generated files the repository's Canaries claim. */
  claimed: ReadonlyMap<string, string>,
  /** Every Canary in the repository, whatever its shard: a generated file of one of them is no orphan. */
  canaries: ReadonlySet<string>,
  /** The commit loaded before, when this pass loaded a new one. */
  before: LoadedCommit | undefined,
  since?: OrphanSearch,
): Promise<Removals> {
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
  const unclaimed = since ? unclaimedSince(since, loaded, claimed) : await unclaimedIn(loaded, claimed);
  const plans: CanaryPlan[] = [];
  const now = clock();
  for (const path of unclaimed) {
    const oid = loaded.oids.get(path);
    const text = oid === undefined ? undefined : await ctx.loader.boundedText(oid);
    const plan = text !== undefined && actionable(text) && planRemoval(path, text, now);
    if (plan) plans.push(plan);
  }
  if (!before || !applies) return { plans, unclaimed };
  // Paths of the commit before that this one lacks: when it was diffed from that one, among those that changed.
  const candidates = loaded.from?.head === before.head ? loaded.from.changed : before.oids.keys();
  for (const path of candidates) {
    const oid = before.oids.get(path);
    if (oid === undefined || !isGeneratedPath(path) || loaded.oids.has(path)) continue;
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
  return { plans, unclaimed };
}

/** The generated paths of `loaded` no Canary claims, by path: a pass over every path. */
async function unclaimedIn(loaded: LoadedCommit, claimed: ReadonlyMap<string, string>): Promise<string[]> {
  const unclaimed: string[] = [];
  const turns = new EventLoopTurns();
  let n = 0;
  for (const path of loaded.oids.keys()) {
    // Most paths are manifests, passed over in a few instructions; the clock is read once in 1,024 paths.
    if ((n += 1) % 1024 === 0) while (turns.spent()) await turns.next();
    if (isGeneratedPath(path) && !claimed.has(path)) unclaimed.push(path);
  }
  return unclaimed.sort(compareText);
}

/**
 * The generated paths of `loaded` no Canary claims, from those of an earlier commit: a path unclaimed now
 * was unclaimed then, or changed since, or was claimed then by a Canary that claims it no more.
 */
function unclaimedSince(
  since: OrphanSearch,
  loaded: LoadedCommit,
  claimed: ReadonlyMap<string, string>,
): string[] {
  const candidates = new Set([...since.unclaimed, ...since.changed]);
  if (since.owners !== claimed) {
    for (const [path, owner] of since.owners) if (claimed.get(path) !== owner) candidates.add(path);
  }
  return [...candidates]
    .filter((path) => isGeneratedPath(path) && loaded.oids.has(path) && !claimed.has(path))
    .sort(compareText);
}

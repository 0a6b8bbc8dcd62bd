// What one pass leaves for the next, so that a pass plans only the Canaries something moved for: a step of
// one Canary among 5,000 plans one, not 5,000. Between two passes on commits loaded one from the other by
// the paths that changed (the same commit, our own commit's `advance`, a person's commit diffed), a Canary
// whose last plan was reused from the plan cache reuses it again unless one of its inputs moved: its
// resolved Canary (joined again), its generated file (a changed path), its live objects (the live cache's
// journal), the clock (its hold ended: the due-time heap), or what its last apply left (a refusal, a
// restoration). Those are the only inputs core/at-rest.ts compares, so planning the
// others would reuse the same plan after comparing them one by one. Anything this cannot name (a new
// load, a live cache that lost its watch) plans every Canary, as the first pass does.
import { generatedPath } from '../core/generated-file.js';
import type { AssembledRepository, ResolvedCanary } from '../core/manifests/assemble.js';
import { LayeredMap } from '../core/layered-map.js';
import { liveRefs } from '../core/live-objects.js';
import type { CanarySpec } from '../core/model.js';
import { canaryKey, type CanaryPlan, type PlanResult } from '../core/plan-rollout.js';
import { inShard } from '../core/shards.js';
import { liveRefKey, type LiveChanges } from '../kube/change-journal.js';
import type { LoadedCommit } from './manifest-loader.js';

/** A Canary of the repository with its key, computed once per load. */
export interface Keyed {
  key: string;
  resolved: ResolvedCanary;
}

/** Two Canaries whose generated files would be one: both are errors, neither is planned. */
export interface Clash {
  keys: [string, string];
  message: string;
}

/** What a pass needs of the repository's Canaries that depends on nothing but the assembled repository. */
export interface ShardView {
  assembled: AssembledRepository;
  /** The Canaries this shard plans, in repository order. */
  ofShard: Keyed[];
  /** Of those, the ones in a watched namespace. */
  mine: Keyed[];
  resolved: Map<string, ResolvedCanary>;
  clashes: Clash[];
  /** The Canary owning each generated path, whatever its shard. */
  owners: Map<string, string>;
  /** Every Canary of the repository, whatever its shard. */
  present: Set<string>;
  /** The Canaries each live object belongs to (`liveRefKey`): built the first time a pass needs it. */
  refOwners?: ReadonlyMap<string, string[]>;
}

/** The removals of Canaries gone from git a pass planned (plan-removals.ts), and what its search found. */
export interface Removals {
  plans: CanaryPlan[];
  /** The generated paths no Canary claims, by path: what the next search starts from. */
  unclaimed: string[];
}

/** What a pass planned, for the next one on the same assembled repository. */
export interface PassMemo {
  /** The commit the pass planned on. */
  head: string;
  /** Its Canaries, as resolved then: one resolved again since is planned again. */
  view: ShardView;
  results: Map<string, PlanResult>;
  /** Paths our commits wrote since the pass, which moved `head` on to the commit pushed (`pushedOn`). */
  written: readonly string[];
  /** Canaries whose plan was not reused from the cache: the next pass plans them again. */
  unsettled: Set<string>;
  /** The removals it planned, and the generated paths no Canary claimed. */
  orphans: Removals;
}

/** What moved since the memo's pass: the Canaries to plan again, and the paths our commits wrote. */
export interface SinceLastPass {
  keys: Set<string>;
  paths: readonly string[];
}

/**
 * The Canaries this shard plans, in repository order, and the generated path each Canary claims. A path
 * claimed twice is a clash; a Canary of another shard claims its path (no orphan here) and nothing else.
 */
export function shardView(
  assembled: AssembledRepository,
  shard: string | undefined,
  namespaces: readonly string[] | undefined,
): ShardView {
  const owners = new Map<string, string>();
  const ofShard: Keyed[] = [];
  const clashes: Clash[] = [];
  const present = new Set<string>();
  for (const resolved of assembled.canaries) {
    const { key, path } = namesOf(resolved.canary);
    present.add(key);
    const owner = owners.get(path);
    if (owner) {
      const message = `${path}: generated file of both ${owner} and ${key}; give the Canaries distinct names`;
      clashes.push({ keys: [key, owner], message });
      continue;
    }
    owners.set(path, key);
    if (inShard(shard, resolved.canary.shard)) ofShard.push({ key, resolved });
  }
  const mine = ofShard.filter(
    ({ resolved }) => !namespaces || namespaces.includes(resolved.canary.namespace),
  );
  const resolved = new Map(mine.map(({ key, resolved: r }) => [key, r]));
  return { assembled, ofShard, mine, resolved, clashes, owners, present };
}

/**
 * The Canaries to plan again since `memo`'s pass, or undefined when that cannot be told and every Canary
 * is planned: a commit not loaded from the memo's by the paths that changed (a listing), or a live cache
 * that cannot name what moved.
 */
export function sinceLastPass(
  memo: PassMemo,
  loaded: LoadedCommit,
  view: ShardView,
  moved: {
    live: LiveChanges;
    due: readonly string[];
    /** Canaries whose last apply left something for their next plan (a refusal, a restoration). */
    applied: Iterable<string>;
  },
): SinceLastPass | undefined {
  if (moved.live === 'all') return undefined;
  let paths: readonly string[];
  if (memo.head === loaded.head) paths = memo.written;
  else if (loaded.from?.head === memo.head) paths = [...memo.written, ...loaded.from.changed];
  else return undefined;
  const keys = new Set([...memo.unsettled, ...moved.due, ...moved.applied]);
  // A load joins again only the Canaries a change concerns (core/manifests/assemble.ts): the others are
  // the same objects, and so are their plans' inputs.
  if (memo.view !== view) {
    for (const { key, resolved } of view.mine) if (memo.view.resolved.get(key) !== resolved) keys.add(key);
  }
  for (const path of paths) {
    const owner = view.owners.get(path);
    if (owner) keys.add(owner);
  }
  if (moved.live.size > 0) {
    view.refOwners ??= refOwnersSince(memo.view, view) ?? liveRefOwners(view.mine);
    for (const ref of moved.live) for (const key of view.refOwners.get(ref) ?? []) keys.add(key);
  }
  return { keys, paths };
}

/**
 * The memo of a pass whose commits were pushed and the loaded commit advanced by them (`advanced`): it
 * holds for the pushed commit, with the paths written, so that a person's commit on top of ours (diffed
 * from ours) still plans from it.
 */
export function pushedOn(memo: PassMemo | undefined, advanced: LoadedCommit): PassMemo | undefined {
  if (!memo || !advanced.from || advanced.from.head !== memo.head) return undefined;
  return { ...memo, head: advanced.head, written: [...memo.written, ...advanced.from.changed] };
}

/** A Canary's key, the generated path it claims and its live objects' keys. */
interface CanaryNames {
  key: string;
  path: string;
  refKeys?: string[];
}

/**
 * The names of each Canary object, made once: a load after a commit keeps every Canary its files did not
 * touch as the same object, so a pass on it (a view of 5,000 Canaries, their live objects' owners) builds
 * no string again for them.
 */
const names = new WeakMap<CanarySpec, CanaryNames>();

function namesOf(canary: CanarySpec): CanaryNames {
  let known = names.get(canary);
  if (!known) {
    known = { key: canaryKey(canary), path: generatedPath(canary) };
    names.set(canary, known);
  }
  return known;
}

/**
 * The owners of each live object in `view`, from those of the view before: only the Canaries resolved
 * again (or gone, or new) change theirs. Undefined when the view before has none.
 */
function refOwnersSince(previous: ShardView, view: ShardView): ReadonlyMap<string, string[]> | undefined {
  const before = previous.refOwners;
  if (!before) return undefined;
  // Only the live objects of those Canaries change owners: the others' are not copied (LayeredMap).
  const changes = new Map<string, string[] | undefined>();
  const move = (key: string, canary: CanarySpec, owns: boolean) => {
    for (const refKey of refKeysOf(canary)) {
      const owners = changes.has(refKey) ? changes.get(refKey) : before.get(refKey);
      const others = (owners ?? []).filter((owner) => owner !== key);
      const now = owns ? [...others, key] : others;
      changes.set(refKey, now.length > 0 ? now : undefined);
    }
  };
  for (const [key, resolved] of previous.resolved) {
    if (view.resolved.get(key) !== resolved) move(key, resolved.canary, false);
  }
  for (const [key, resolved] of view.resolved) {
    if (previous.resolved.get(key) !== resolved) move(key, resolved.canary, true);
  }
  return LayeredMap.of(before).with(changes);
}

function refKeysOf(canary: CanarySpec): string[] {
  const canaryNames = namesOf(canary);
  canaryNames.refKeys ??= liveRefs(canary).map(liveRefKey);
  return canaryNames.refKeys;
}

function liveRefOwners(mine: readonly Keyed[]): Map<string, string[]> {
  const owners = new Map<string, string[]>();
  for (const { key, resolved } of mine) {
    for (const refKey of refKeysOf(resolved.canary)) {
      const known = owners.get(refKey);
      if (known) known.push(key);
      else owners.set(refKey, [key]);
    }
  }
  return owners;
}

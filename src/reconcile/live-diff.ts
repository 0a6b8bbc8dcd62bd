// A plan's objects against the live ones it was planned with: shared by the apply stage, the preview, and
// planning, which confirms a plan at rest that the cluster already holds (plan-canary.ts).
import { diffObject, type ObjectDiff } from '../core/cluster-diff.js';
import { liveList } from '../core/live-objects.js';
import type { KubeObject } from '../core/model.js';
import type { LiveObjects } from '../core/plan-rollout.js';
import { describeRef, refOf } from '../kube/cluster.js';

/** Each of `desired` diffed with the live object of its kind and name, in order. */
export function liveDiffs(desired: readonly KubeObject[], live: LiveObjects): ObjectDiff[] {
  const byName = new Map(
    liveList(live)
      .filter((o): o is KubeObject => !!o)
      .map((o) => [`${o.kind}/${o.metadata.name}`, o]),
  );
  return desired.map((object) => diffObject(object, byName.get(`${object.kind}/${object.metadata.name}`)));
}

/** The names of `desired` when the cluster holds every one of them as it is; undefined when one differs. */
export function allUnchanged(desired: readonly KubeObject[], live: LiveObjects): string[] | undefined {
  const diffs = liveDiffs(desired, live);
  return diffs.every((diff) => diff.action === 'unchanged')
    ? diffs.map((diff) => describeRef(refOf(diff.object)))
    : undefined;
}

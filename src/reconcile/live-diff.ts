// A plan's objects against the live ones it was planned with: shared by the apply stage, the preview, and
// planning, which confirms a plan at rest that the cluster already holds (plan-canary.ts).
import { diffObject } from '../core/cluster-diff.js';
import { liveList } from '../core/live-objects.js';
import type { KubeObject } from '../core/model.js';
import type { LiveObjects } from '../core/plan-rollout.js';
import { describeRef, refOf } from '../kube/cluster.js';

export function liveByName(live: LiveObjects): Map<string, KubeObject> {
  return new Map(
    liveList(live)
      .filter((o): o is KubeObject => !!o)
      .map((o) => [`${o.kind}/${o.metadata.name}`, o]),
  );
}

/** The names of `desired` when the cluster holds every one of them as it is; undefined when one differs. */
export function allUnchanged(desired: readonly KubeObject[], live: LiveObjects): string[] | undefined {
  const byName = liveByName(live);
  const names: string[] = [];
  for (const object of desired) {
    const diff = diffObject(object, byName.get(`${object.kind}/${object.metadata.name}`));
    if (diff.action !== 'unchanged') return undefined;
    names.push(describeRef(refOf(object)));
  }
  return names;
}

// Remembers the plans of Canaries at rest, so that a reconcile that changed nothing for them reuses the
// plan instead of reading the generated file again, rendering it again and diffing the live objects: with
// thousands of Canaries that work is nearly all of an idle poll, and of a poll where one Canary moved.
//
// A plan is reused only when everything it was made from is unchanged: the Canary, its target and the
// Ingress it refers to (the same parsed objects, so the same blobs), the generated file's blob, and the resourceVersions of the live
// objects. And only when time alone cannot move it: its phase is at rest, the target's revision is the one
// in the state, and no analysis is needed, so `now` does not enter the decision. In apply mode a plan is
// reused only once an apply found the cluster already holding what it wants; from then on it is kept
// without its desired objects (the bulk of its memory): they are known to be in the cluster, and the
// change set names them.
import type { ResolvedCanary } from '../core/manifests/assemble.js';
import type { Phase } from '../core/model.js';
import type { CanaryPlan, LiveObjects, PlanResult } from '../core/plan-rollout.js';
import { liveList } from '../core/live-objects.js';

export interface PlanInputs {
  resolved: ResolvedCanary;
  generatedOid: string | undefined;
  live: LiveObjects;
}

interface Entry {
  resolved: ResolvedCanary;
  generatedOid: string | undefined;
  /** The resourceVersions of the live primary, canary and routes ('' when absent); not the objects, which the live cache may let go. */
  versions: string[];
  plan: CanaryPlan;
  /** The cluster was found to hold the plan's objects (always true in commit-only mode). */
  confirmed: boolean;
  /** `Kind/namespace/name` of the plan's objects, for the change set. */
  names?: string[];
}

// A new phase is not at rest until listed here, so it is never reused by mistake.
const restingPhases: ReadonlySet<Phase> = new Set<Phase>(['Initialized', 'Succeeded', 'Failed']);

export class QuietPlans {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly applies: boolean) {}

  /** The remembered plan when nothing it depends on has changed; undefined means plan again. */
  reuse(key: string, inputs: PlanInputs): CanaryPlan | undefined {
    const entry = this.entries.get(key);
    if (
      !entry?.confirmed ||
      entry.resolved.canary !== inputs.resolved.canary ||
      entry.resolved.target !== inputs.resolved.target ||
      entry.resolved.references?.ingress !== inputs.resolved.references?.ingress ||
      entry.generatedOid !== inputs.generatedOid ||
      !sameVersions(entry, inputs.live)
    ) {
      return undefined;
    }
    return entry.plan;
  }

  /**
   * Keeps `result` for reuse when it is quiet: no commit, nothing chained, at rest. `settled` is the
   * caller's word that the target's revision is the state's and no analysis was needed. True when kept.
   */
  remember(key: string, inputs: PlanInputs, result: PlanResult, settled: boolean): boolean {
    this.entries.delete(key);
    const quiet =
      result.kind === 'plan' &&
      settled &&
      result.content === undefined &&
      result.otherChanges.length === 0 &&
      !result.continueImmediately &&
      restingPhases.has(result.state.phase);
    if (!quiet) return false;
    const live = liveList(inputs.live);
    const versions: string[] = [];
    for (const object of live) {
      const version: unknown = object ? object.metadata.resourceVersion : '';
      // A live object without a version cannot be told apart from its next state: never reuse.
      if (typeof version !== 'string' || (object && version === '')) return false;
      versions.push(version);
    }
    this.entries.set(key, {
      resolved: inputs.resolved,
      generatedOid: inputs.generatedOid,
      versions,
      plan: this.applies ? result : { ...result, desired: [] },
      confirmed: !this.applies,
    });
    return true;
  }

  /**
   * An apply found every object of the plan unchanged: from now on it may be reused. True when `plan` is
   * the remembered one (a plan at rest); false for a plan that was not kept, which nothing changes.
   */
  confirm(key: string, plan: CanaryPlan, names: string[]): boolean {
    const entry = this.entries.get(key);
    if (entry?.plan !== plan) return false;
    entry.confirmed = true;
    entry.names = names;
    entry.plan = { ...plan, desired: [] };
    return true;
  }

  /** The names of a reused plan's objects, all unchanged; undefined when `plan` was made afresh. */
  unchangedNames(key: string, plan: CanaryPlan): string[] | undefined {
    const entry = this.entries.get(key);
    return entry?.plan === plan && entry.confirmed ? entry.names : undefined;
  }

  /** Forgets Canaries that are no longer in the repository. */
  keepOnly(keys: ReadonlySet<string>): void {
    for (const key of this.entries.keys()) if (!keys.has(key)) this.entries.delete(key);
  }
}

function sameVersions(entry: Entry, live: LiveObjects): boolean {
  const now = liveList(live);
  return (
    now.length === entry.versions.length &&
    now.every((object, i) => (object ? object.metadata.resourceVersion : '') === entry.versions[i])
  );
}

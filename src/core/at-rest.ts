// Whether a Canary's last plan may stand in for planning it again, decided in one place. A plan is a
// function of its inputs (the Canary, its target and references as parsed, its generated file's blob, the
// live objects' versions) and of `now`. So it can be reused while those inputs are the same objects and
// `now` has not reached the time its hold ends. Errors are reused the same way: an input a person must
// fix gives the same error until the input changes (Flux's Stalled), so it is not planned at every poll.
import { compactList } from './manifests/shared-empty.js';
import type { AnalysisNeeds } from './analysis-report.js';
import { liveList } from './live-objects.js';
import type { ResolvedCanary } from './manifests/assemble.js';
import type { LiveObjects, PlanResult } from './plan-rollout.js';

/** What a plan was made from, besides `now`. */
export interface PlanInputs {
  resolved: ResolvedCanary;
  generatedOid: string | undefined;
  live: LiveObjects;
}

/** The shell's facts about a fresh plan that the plan itself does not carry. */
export interface PlanContext {
  /** The target's revision, and whether it is the one in the state. */
  revisionSettled: boolean;
  /** What the plan asked the analysis for (webhooks are asked at every pass: their answers move). */
  needs: AnalysisNeeds;
  /** The last apply of this Canary failed: plan again, the failure is retried. */
  applyFailed: boolean;
  /** An apply put objects back, which this plan records: plan again once it is committed. */
  restored: boolean;
}

/** How long a plan holds while its inputs do not change. */
export interface Rest {
  /** Epoch ms at which time alone may move it; Infinity when only its inputs can. */
  until: number;
  /**
   * Its live objects may be held as versions only: nothing but a change of theirs can move it. Not for a
   * plan that time will move, which reads them whole when it is due.
   */
  forgetLive: boolean;
}

/** The inputs of a plan as remembered: the parsed objects by identity, the live objects by version. */
export interface InputsSeen {
  canary: object;
  target: object;
  ingress: object | undefined;
  generatedOid: string | undefined;
  versions: readonly string[];
}

/**
 * The rest of a fresh plan, or undefined when it must be made again at the next pass. `context` is
 * undefined for an error found before planning (a generated file that cannot be read back).
 */
export function restOf(result: PlanResult, context: PlanContext | undefined): Rest | undefined {
  if (result.kind === 'error') return { until: Infinity, forgetLive: false };
  if (!context) return undefined;
  const quiet =
    result.waiting !== undefined &&
    result.content === undefined &&
    result.otherChanges.length === 0 &&
    !result.continueImmediately &&
    context.revisionSettled &&
    !context.needs.metrics &&
    context.needs.webhooks.length === 0 &&
    !context.applyFailed &&
    !context.restored;
  if (!quiet) return undefined;
  const until = result.heldUntil ?? Infinity;
  return { until, forgetLive: until === Infinity };
}

/** The inputs to remember, or undefined when a live object has no version to tell its next state by. */
export function inputsSeen(inputs: PlanInputs): InputsSeen | undefined {
  const versions: string[] = [];
  for (const object of liveList(inputs.live)) {
    const version: unknown = object ? object.metadata.resourceVersion : '';
    if (typeof version !== 'string' || (object && version === '')) return undefined;
    versions.push(version);
  }
  return {
    canary: inputs.resolved.canary,
    target: inputs.resolved.target,
    ingress: inputs.resolved.references?.ingress,
    generatedOid: inputs.generatedOid,
    versions: compactList(versions),
  };
}

/** True when a plan made from `seen`, resting until `until`, still holds for `inputs` at `now`. */
export function stillHolds(seen: InputsSeen, until: number, inputs: PlanInputs, now: number): boolean {
  if (now >= until) return false;
  const live = liveList(inputs.live);
  return (
    seen.canary === inputs.resolved.canary &&
    seen.target === inputs.resolved.target &&
    seen.ingress === inputs.resolved.references?.ingress &&
    seen.generatedOid === inputs.generatedOid &&
    live.length === seen.versions.length &&
    live.every((object, i) => (object ? object.metadata.resourceVersion : '') === seen.versions[i])
  );
}

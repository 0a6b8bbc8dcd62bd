// Gates written in git: annotations on the Canary that a reviewed pull request sets, so approving,
// aborting or pausing a release is a commit like everything else.
import type { AnalysisReport } from './analysis-report.js';
import type { CanarySpec } from './model.js';

export const annotations = {
  /** `<revision>`: opens confirm-promotion for that revision. */
  approve: 'gitcanary.dev/approve',
  /** `"true"`: promotion waits for `approve` (or an open confirm-promotion webhook) — a human gate. */
  requireApproval: 'gitcanary.dev/require-approval',
  /** `<revision>`: rolls that revision back. */
  abort: 'gitcanary.dev/abort',
  /** `"true"`: holds the analysis where it is. */
  paused: 'gitcanary.dev/paused',
  /** `"true"`: on a rollback, also commit the target Service back to the promoted spec. */
  revertOnFailure: 'gitcanary.dev/revert-on-failure',
} as const;

const isTrue = (value: string | undefined) => value === 'true';

export function isPaused(canary: CanarySpec): boolean {
  return isTrue(canary.annotations[annotations.paused]);
}

export function isAborted(canary: CanarySpec, revision: string): boolean {
  return canary.annotations[annotations.abort] === revision;
}

export function revertsOnFailure(canary: CanarySpec): boolean {
  return isTrue(canary.annotations[annotations.revertOnFailure]);
}

export function isApproved(canary: CanarySpec, revision: string): boolean {
  return canary.annotations[annotations.approve] === revision;
}

/**
 * Promotion is open when the revision is approved in git, or else when no gate closes it: neither a
 * required approval nor a confirm-promotion webhook that answered no.
 */
export function promotionOpen(canary: CanarySpec, revision: string, report: AnalysisReport): boolean {
  if (isApproved(canary, revision)) return true;
  if (isTrue(canary.annotations[annotations.requireApproval])) return false;
  return report.gates['confirm-promotion'] !== false;
}

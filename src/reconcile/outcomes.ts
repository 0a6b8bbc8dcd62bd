// What a reconcile reports: each Canary's outcome, the change set of its applies, and the preview of what
// it would do. Shared by the stages of the pipeline and by its readers (CLI, daemon, metrics).
import type { ObjectDiff } from '../core/cluster-diff.js';
import { failedCondition, type Condition } from '../core/outcome-class.js';
import type { PlanResult } from '../core/plan-rollout.js';

export interface CanaryOutcome {
  canary: string;
  phase?: string;
  weight?: number;
  revision?: string;
  waiting?: string;
  error?: string;
  /** Ready, or why not: Retrying (the next pass may succeed) or Stalled (a person must act). */
  condition?: Condition;
  /** The code of the error (e.g. HandEdited, ApplyFailed), when not Ready. */
  reason?: string;
}

/** An object another field manager changed away from the committed step, and gitcanary put back. */
export interface Restored {
  canary: string;
  /** `Kind/namespace/name`. */
  object: string;
  /** Who had taken its fields, from the API server's conflict (empty if none was named). */
  managers: string[];
}

export interface ChangeSet {
  created: string[];
  configured: string[];
  unchanged: string[];
  deleted: string[];
  failed: string[];
  /** Of the configured ones, those another field manager had changed since gitcanary applied them. */
  restored: Restored[];
}

export function emptyChangeSet(): ChangeSet {
  return { created: [], configured: [], unchanged: [], deleted: [], failed: [], restored: [] };
}

/** Adds what `from` did to `into`, each list in order. */
export function addChanges(into: ChangeSet, from: ChangeSet): void {
  into.created.push(...from.created);
  into.configured.push(...from.configured);
  into.unchanged.push(...from.unchanged);
  into.deleted.push(...from.deleted);
  into.failed.push(...from.failed);
  into.restored.push(...from.restored);
}

/** True when an apply did nothing but find the cluster as it should be. */
export function onlyUnchanged(changes: ChangeSet): boolean {
  return (
    changes.created.length +
      changes.configured.length +
      changes.deleted.length +
      changes.failed.length +
      changes.restored.length ===
    0
  );
}

export interface ReconcileSummary {
  head: string;
  commits: string[];
  changes: ChangeSet;
  canaries: CanaryOutcome[];
  /** Manifest errors not tied to one Canary (e.g. a malformed file). */
  errors: string[];
}

export interface FilePreview {
  path: string;
  before: string;
  after: string;
}

export interface CanaryPreview {
  canary: string;
  commitMessage?: string;
  files: FilePreview[];
  /** Objects that a reconcile would create or change (none in commit-only mode). */
  cluster: ObjectDiff[];
}

export interface ReconcilePreview {
  head: string;
  canaries: CanaryPreview[];
  outcomes: CanaryOutcome[];
  errors: string[];
}

export function outcomeOf(result: PlanResult): CanaryOutcome {
  if (result.kind === 'error') {
    const failed = failedCondition({ source: 'plan', code: result.code });
    return { canary: result.canary, error: result.message, ...failed };
  }
  return {
    canary: result.canary,
    condition: 'Ready',
    phase: result.state.phase,
    weight: result.state.canaryWeight,
    revision: result.state.revision,
    ...(result.waiting ? { waiting: result.waiting } : {}),
  };
}

/** An error as one short line, fit for the state document and a commit. */
export function oneLine(text: string): string {
  const line = text.replace(/\s+/gu, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

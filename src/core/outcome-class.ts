// What an error means for a Canary, decided once from its typed code: retrying (the next pass may succeed
// on its own: a network fault, a 5xx, a conflict) or stalled (nothing changes until a person does: bad input,
// a refusal, an object owned by someone else). As Flux's Ready / Stalled conditions; /metrics, `status` and
// the Kubernetes Events show the condition, and `reason` keeps the code it came from.
import type { ManifestError } from './manifests/manifest-error.js';
import type { PlanError } from './plan-rollout.js';

export type OutcomeClass = 'retrying' | 'stalled';
export type Condition = 'Ready' | 'Retrying' | 'Stalled';
export const conditions = ['Ready', 'Retrying', 'Stalled'] as const satisfies readonly Condition[];

/** The codes of the git edge (src/git/errors.ts), kept here as data so that core imports no I/O module. */
export type GitErrorCode = 'GitConfig' | 'GitTransient' | 'PushConflict';

/**
 * An error as the edges typed it. `kube` is an API server's answer (or none, `status` undefined): the HTTP
 * status decides, as it does for isRefusal in src/kube/errors.ts.
 */
export type ErrorFact =
  /** Only ManifestInvalid is ever an error: a FieldIgnored warning never fails a Canary. */
  | { source: 'manifest'; code: ManifestError['code'] }
  | { source: 'plan'; code: PlanError['code'] }
  /** Two Canaries whose generated files would be the same path: one of them must be renamed. */
  | { source: 'generated-path'; code: 'GeneratedPathClash' }
  | { source: 'git'; code: GitErrorCode }
  | { source: 'kube'; code: string; status: number | undefined };

const planClasses: Record<PlanError['code'], OutcomeClass> = {
  // Objects of the same name that gitcanary did not generate: ownership, a person decides.
  ForeignObject: 'stalled',
  // The namespace is outside --namespaces: the configuration says so until it is changed.
  NotWatched: 'stalled',
  GeneratedFileInvalid: 'stalled',
  HandEdited: 'stalled',
  ExternalIPsRefused: 'stalled',
};

const gitClasses: Record<GitErrorCode, OutcomeClass> = {
  GitConfig: 'stalled',
  GitTransient: 'retrying',
  // Another writer moved the branch: the next pass plans on its commit.
  PushConflict: 'retrying',
};

export function classOf(fact: ErrorFact): OutcomeClass {
  switch (fact.source) {
    case 'manifest':
    case 'generated-path':
      return 'stalled';
    case 'plan':
      return planClasses[fact.code];
    case 'git':
      return gitClasses[fact.code];
    case 'kube':
      return kubeStatusClass(fact.status);
  }
}

/**
 * No answer, a timeout (408), throttling (429) or a 5xx is retried; any other 4xx is the API server refusing
 * what git says (forbidden, invalid, a quota, a conflict that a forced server-side apply still meets), which
 * no retry fixes. isRefusal (src/kube/errors.ts) is this, for recording the refusal in git.
 */
export function kubeStatusClass(status: number | undefined): OutcomeClass {
  if (status === undefined || status < 400 || status >= 500) return 'retrying';
  return status === 408 || status === 429 ? 'retrying' : 'stalled';
}

/** The condition and reason of an outcome that failed with `fact`. */
export function failedCondition(fact: ErrorFact): { condition: Condition; reason: string } {
  return { condition: classOf(fact) === 'stalled' ? 'Stalled' : 'Retrying', reason: fact.code };
}

/**
 * The condition of an outcome. One without a condition of its own is Ready when it has no error, else
 * Retrying: an error nobody classified is retried, as Flux retries an unknown failure.
 */
export function conditionOf(outcome: { condition?: Condition; error?: string }): Condition {
  return outcome.condition ?? (outcome.error === undefined ? 'Ready' : 'Retrying');
}

export interface Readiness {
  ready: number;
  retrying: number;
  stalled: number;
}

/** How many Canaries of a pass are in each condition. */
export function readiness(outcomes: Iterable<{ condition?: Condition; error?: string }>): Readiness {
  const counts: Readiness = { ready: 0, retrying: 0, stalled: 0 };
  for (const outcome of outcomes) {
    const condition = conditionOf(outcome);
    if (condition === 'Ready') counts.ready += 1;
    else if (condition === 'Retrying') counts.retrying += 1;
    else counts.stalled += 1;
  }
  return counts;
}

export interface ConditionChange {
  canary: string;
  condition: Condition;
  reason: string;
  message: string;
}

/**
 * The Canaries whose condition or reason changed since the last pass (`previous`, by Canary): what an Event
 * tells, once, not at every poll (an error whose wording changes from pass to pass is the same failure). A
 * Canary back to Ready is a change only after a failure; one seen for the first time only when it failed.
 */
export function conditionChanges(
  previous: ReadonlyMap<string, ConditionChange>,
  outcomes: Iterable<{ canary: string; condition?: Condition; reason?: string; error?: string }>,
): ConditionChange[] {
  const changes: ConditionChange[] = [];
  for (const outcome of outcomes) {
    const condition = conditionOf(outcome);
    const before = previous.get(outcome.canary);
    const change: ConditionChange =
      condition === 'Ready'
        ? {
            canary: outcome.canary,
            condition,
            reason: 'Recovered',
            message: `reconciled again after ${before?.reason ?? 'an error'}`,
          }
        : {
            canary: outcome.canary,
            condition,
            reason: outcome.reason ?? 'Unknown',
            message: outcome.error ?? '',
          };
    if (condition === 'Ready' ? before === undefined || before.condition === 'Ready' : sameAs(before, change))
      continue;
    changes.push(change);
  }
  return changes;
}

function sameAs(a: ConditionChange | undefined, b: ConditionChange): boolean {
  return a?.condition === b.condition && a.reason === b.reason;
}

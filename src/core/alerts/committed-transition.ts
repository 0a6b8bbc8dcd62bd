// A step of a release as git recorded it: the trailers of one gitcanary commit (`Canary`, `Canary-Phase`,
// `Canary-Weight`, `Canary-Revision`, `Analysis`) and what kind of step its subject says it was. Alerts,
// commit statuses and the timeline page read these, never a plan: what they tell happened.
import type { AlertSeverity } from './parse-alerts.js';

export type TransitionKind =
  | 'initialized'
  | 'new-revision'
  | 'waiting-confirmation'
  | 'step'
  | 'check-failed'
  | 'waiting-promotion'
  | 'promoting'
  | 'finalising'
  | 'promoted'
  | 'rolled-back'
  | 'reverted'
  | 'updated';

interface TransitionCheck {
  name: string;
  /** As written in the trailer: a number, or `none`. */
  value: string;
  passed: boolean;
}

export interface CommittedTransition {
  oid: string;
  /** `namespace/name`. */
  canary: string;
  phase: string;
  weight: number;
  revision: string;
  /** The commit's first line, e.g. `podinfo: weight 10 → 20`. */
  subject: string;
  /** Committer time, seconds since the epoch. */
  timestamp: number;
  kind: TransitionKind;
  checks: TransitionCheck[];
}

export interface TransitionCommitInput {
  oid: string;
  message: string;
  timestamp: number;
}

/** The transition a commit records, or undefined for any commit that is not one of gitcanary's steps. */
export function parseTransition(commit: TransitionCommitInput): CommittedTransition | undefined {
  const { message } = commit;
  const trailer = (key: string) => new RegExp(`^${key}: (.+)$`, 'm').exec(message)?.[1]?.trim();
  const canary = trailer('Canary');
  const phase = trailer('Canary-Phase');
  const weight = Number(trailer('Canary-Weight'));
  const revision = trailer('Canary-Revision');
  if (!canary || !phase || !revision || !Number.isFinite(weight)) return undefined;
  const subject = message.split('\n')[0] ?? '';
  const checks: TransitionCheck[] = [];
  for (const match of message.matchAll(/^Analysis: ([^=\n]+)=(\S+).* (pass|fail)$/gm)) {
    checks.push({ name: match[1] ?? '', value: match[2] ?? '', passed: match[3] === 'pass' });
  }
  return {
    oid: commit.oid,
    canary,
    phase,
    weight,
    revision,
    subject,
    timestamp: commit.timestamp,
    kind: kindOf(phase, subject),
    checks,
  };
}

// The phase says most; the subject (the titles of rollout-transitions.ts) tells apart the steps that share
// a phase. test/unit/core/alerts/committed-transition.test.ts runs each real transition through this.
function kindOf(phase: string, subject: string): TransitionKind {
  if (subject.endsWith(': generated objects updated')) return 'updated';
  switch (phase) {
    case 'Failed':
      return 'rolled-back';
    case 'Succeeded':
      return 'promoted';
    case 'Finalising':
      return 'finalising';
    case 'Promoting':
      return 'promoting';
    case 'WaitingPromotion':
      return subject.includes('still waiting') ? 'step' : 'waiting-promotion';
    case 'Waiting':
      return 'waiting-confirmation';
    case 'Progressing':
      if (subject.includes(': new revision ')) return 'new-revision';
      if (subject.includes(': check failed ')) return 'check-failed';
      return 'step';
    case 'Initialized':
      return subject.includes(': reverted to promoted ') ? 'reverted' : 'initialized';
    default:
      return 'updated';
  }
}

/**
 * How loud a transition is, as Flagger alerts: a rollback is an error, a release waiting for a person is a
 * warning, every other step is information. Initialization and file refreshes are not alerted at all.
 */
export function severityOf(kind: TransitionKind): AlertSeverity | undefined {
  switch (kind) {
    case 'rolled-back':
      return 'error';
    case 'waiting-confirmation':
    case 'waiting-promotion':
      return 'warn';
    case 'initialized':
    case 'updated':
      return undefined;
    default:
      return 'info';
  }
}

/** `podinfo: weight 10 → 20` → `weight 10 → 20`: the subject without the Canary's name. */
export function describeTransition(transition: CommittedTransition): string {
  const colon = transition.subject.indexOf(': ');
  return colon < 0 ? transition.subject : transition.subject.slice(colon + 2);
}

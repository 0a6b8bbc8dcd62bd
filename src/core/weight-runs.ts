// The latest runs of a Canary as points in time, read from the trailers of its commits (the data of
// `gitcanary status`'s timeline), for the timeline page's chart: one run per revision analysed, from its
// "new revision" commit to where it ended (promoted, rolled back, or still under way).
import {
  parseTransition,
  type CommittedTransition,
  type TransitionCommitInput,
} from './alerts/committed-transition.js';

interface WeightPoint {
  oid: string;
  /** Seconds since the epoch (committer time). */
  timestamp: number;
  weight: number;
  phase: string;
  subject: string;
  /** A check failed at this step (the trailers say so). */
  failed: boolean;
}

export interface WeightRun {
  revision: string;
  points: WeightPoint[];
  /** The phase of its last commit: Succeeded, Failed, or the phase it is in. */
  phase: string;
}

const starts = new Set(['new-revision', 'waiting-confirmation']);

/** `commits` newest first (as history gives them); the last `maxRuns` runs, oldest first. */
export function weightRuns(
  commits: readonly TransitionCommitInput[],
  canary: string,
  maxRuns = 3,
): WeightRun[] {
  const transitions: CommittedTransition[] = [];
  for (const commit of commits) {
    const t = parseTransition(commit);
    if (t?.canary === canary) transitions.push(t);
  }
  transitions.reverse();
  const runs: WeightRun[] = [];
  for (const t of transitions) {
    const point: WeightPoint = {
      oid: t.oid,
      timestamp: t.timestamp,
      weight: t.weight,
      phase: t.phase,
      subject: t.subject,
      failed: t.kind === 'check-failed' || t.kind === 'rolled-back',
    };
    const current = runs.at(-1);
    if (starts.has(t.kind) || !current || current.revision !== t.revision) {
      // A run seen only from its middle (older history not read) still counts from where it is seen,
      // but commits of a Canary at rest (initialized, reverted) start nothing.
      if (
        !starts.has(t.kind) &&
        (t.kind === 'initialized' || t.kind === 'reverted' || t.kind === 'updated')
      ) {
        continue;
      }
      runs.push({ revision: t.revision, points: [point], phase: t.phase });
    } else {
      current.points.push(point);
      current.phase = t.phase;
    }
  }
  return runs.slice(-maxRuns);
}

// What the shard-contention scenario checks in git afterwards, as a pure function of the run's history:
// no step committed twice for one Canary and revision, every due step committed exactly once, and every
// commit that some writer saw accepted (a shard's push, a person's push) still on the branch.
import { describeTransition, parseTransition } from '../src/core/alerts/committed-transition.js';

export interface HistoryCommit {
  oid: string;
  /** The whole commit message, trailers included. */
  message: string;
}

export interface ShardRunRecord {
  /** The commits the run added to the branch (`git log --reverse start..end`), oldest first. */
  history: readonly HistoryCommit[];
  /** The Canaries (`namespace/name`) due for a step in every round. */
  due: readonly string[];
  rounds: number;
  /** Every commit a shard process saw the server accept (the commits of its accepted pushes). */
  accepted: readonly string[];
  /** The commits a person pushed during the run. */
  human: readonly string[];
}

export interface ShardRunAudit {
  /** The step commits in the history, by oid. */
  stepOids: string[];
  expectedSteps: number;
  /** A step (Canary, revision, subject) committed more than once, or a Canary stepped more than due. */
  doubleSteps: string[];
  /** A due Canary with fewer steps than rounds. */
  lostSteps: string[];
  /** Commits some writer saw accepted that are not on the branch at the end. */
  lostCommits: string[];
  /** Commits of gitcanary that are not a step of a due Canary (a step of a Canary never released…). */
  unexpected: string[];
  /** Step commits on the branch that no shard process said it pushed (the harness lost track of one). */
  unreported: string[];
}

export function auditShardRun(run: ShardRunRecord): ShardRunAudit {
  const due = new Set(run.due);
  const onBranch = new Set(run.history.map((c) => c.oid));
  const accepted = new Set(run.accepted);
  const human = new Set(run.human);
  const stepsByCanary = new Map<string, Map<string, string[]>>();
  const stepOids: string[] = [];
  const unexpected: string[] = [];
  for (const commit of run.history) {
    if (human.has(commit.oid)) continue;
    const transition = parseTransition({ ...commit, timestamp: 0 });
    if (!transition || transition.kind !== 'step' || !due.has(transition.canary)) {
      unexpected.push(`${commit.oid.slice(0, 10)} ${commit.message.split('\n')[0] ?? ''}`);
      continue;
    }
    stepOids.push(commit.oid);
    const steps = stepsByCanary.get(transition.canary) ?? new Map<string, string[]>();
    const key = `${transition.canary}: ${describeTransition(transition)} (${transition.revision})`;
    steps.set(key, [...(steps.get(key) ?? []), commit.oid]);
    stepsByCanary.set(transition.canary, steps);
  }
  const doubleSteps: string[] = [];
  const lostSteps: string[] = [];
  for (const canary of run.due) {
    const steps = stepsByCanary.get(canary) ?? new Map<string, string[]>();
    for (const [key, oids] of steps) {
      if (oids.length > 1) doubleSteps.push(`${key}: committed ${oids.length} times`);
    }
    const distinct = steps.size;
    if (distinct > run.rounds) doubleSteps.push(`${canary}: ${distinct} steps in ${run.rounds} rounds`);
    if (distinct < run.rounds) lostSteps.push(`${canary}: ${distinct} steps in ${run.rounds} rounds`);
  }
  return {
    stepOids,
    expectedSteps: run.due.length * run.rounds,
    doubleSteps,
    lostSteps,
    lostCommits: [...accepted, ...human].filter((oid) => !onBranch.has(oid)),
    unexpected,
    unreported: stepOids.filter((oid) => !accepted.has(oid)),
  };
}

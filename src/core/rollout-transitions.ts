// The canary state machine: given the state in git, the target's revision, the gates and the analysis of
// this step, the one transition to make now, or the reason to make none. Pure; `now` is an input.
import type { AnalysisNeeds, AnalysisReport, WebhookType } from './analysis-report.js';
import type { GeneratedFile } from './generated-file.js';
import { isAborted, isApproved, isPaused, promotionOpen } from './gates.js';
import type { CanarySpec, CheckResult, Phase, RolloutState } from './model.js';
import type { RouteReadiness } from './routers/router.js';
import { nextWeight, promotionWeight, readyToPromote, strategyOf } from './weights.js';

interface Transition {
  state: RolloutState;
  primarySpec: unknown;
  canarySpec: unknown;
  title: string;
  /** Plan again at once after this is committed: promotion is a chain of transitions. */
  continueImmediately?: boolean;
  /** A rollback: the shell may also revert the target (gitcanary.dev/revert-on-failure). */
  rolledBack?: boolean;
}

interface Hold {
  waiting: string;
  /** Epoch ms at which time alone ends the hold; absent: only a change of the inputs can. */
  until?: number;
}

interface TransitionInput {
  now: Date;
  canary: CanarySpec;
  targetSpec: unknown;
  revision: string;
  previous: GeneratedFile | undefined;
  analysis: AnalysisReport;
  /** False only in commit-only mode while the live objects differ from the committed ones. */
  clusterMatches: boolean;
  /** Commit-only mode: a GitOps tool applies, so a step is timed from when it was seen live. */
  commitOnly: boolean;
  /** Apply mode: the API server refused the last apply of these objects, and why. */
  applyError?: string;
  /** What the route's controller says of the live route (its Accepted condition). */
  routeReadiness: RouteReadiness;
}

const activePhases: readonly Phase[] = [
  'Waiting',
  'Progressing',
  'WaitingPromotion',
  'Promoting',
  'Finalising',
];
const isActive = (phase: Phase) => activePhases.includes(phase);

/**
 * When the next analysis of a Progressing or WaitingPromotion canary is due: one interval after its last step,
 * and in commit-only mode one interval after the step was first seen live (`liveSince`), so every step is
 * judged over a full interval of the traffic it set, however late the GitOps tool applies it. Undefined while
 * a commit-only step has not been seen live yet.
 */
function nextAnalysisTime(canary: CanarySpec, state: RolloutState, commitOnly: boolean): number | undefined {
  if (commitOnly && !state.liveSince) return undefined;
  const since = Math.max(Date.parse(state.lastStepTime), state.liveSince ? Date.parse(state.liveSince) : 0);
  return since + canary.analysis.intervalSeconds * 1000;
}

/** True when the next analysis of a Progressing or WaitingPromotion canary is due at `now`. */
export function analysisDue(
  canary: CanarySpec,
  state: RolloutState | undefined,
  now: Date,
  commitOnly = false,
): boolean {
  if (!state || !timedPhases.includes(state.phase)) return false;
  const next = nextAnalysisTime(canary, state, commitOnly);
  return next !== undefined && now.getTime() >= next;
}

const timedPhases: readonly Phase[] = ['Progressing', 'WaitingPromotion'];

interface NeedsContext {
  /** What the route's controller says of the live route; a step whose route is not live is not judged. */
  routeReadiness?: RouteReadiness;
  commitOnly?: boolean;
}

/**
 * The first analysed step of a run: the canary has had no traffic yet (weight 0, no iteration, nothing
 * mirrored), so its metrics are empty and judging them would fail every run. As in Flagger, this step runs
 * only the pre-rollout hooks and moves to the first step; metrics count from the next one.
 */
function isFirstStep(state: RolloutState): boolean {
  return (
    state.phase === 'Progressing' && state.canaryWeight === 0 && state.iteration === 0 && !state.mirrored
  );
}

/** Which webhooks and checks the next transition depends on; the shell collects exactly these. */
export function analysisNeeds(
  canary: CanarySpec,
  state: RolloutState | undefined,
  revision: string,
  now: Date,
  context: NeedsContext = {},
): AnalysisNeeds {
  if (!state || canary.suspend || canary.skipAnalysis) return { webhooks: [], metrics: false };
  const newRelease = revision !== state.revision && revision !== state.lastPromotedRevision;
  if (newRelease || (state.phase === 'Waiting' && revision === state.revision)) {
    return { webhooks: ['confirm-rollout'], metrics: false };
  }
  if (
    revision !== state.revision ||
    isPaused(canary) ||
    !analysisDue(canary, state, now, context.commitOnly ?? false)
  ) {
    return { webhooks: [], metrics: false };
  }
  // A step whose route is not live yet is not judged: the checks would measure the previous step.
  if ((context.routeReadiness?.state ?? 'ready') !== 'ready')
    return { webhooks: ['rollback'], metrics: false };
  const firstStep = isFirstStep(state);
  const webhooks: WebhookType[] = firstStep ? ['pre-rollout', 'rollback'] : ['rollout', 'rollback'];
  const promoting =
    state.phase === 'WaitingPromotion' ||
    readyToPromote(canary.analysis, canary.provider, state.canaryWeight, state.iteration);
  webhooks.push(promoting ? 'confirm-promotion' : 'confirm-traffic-increase');
  return { webhooks, metrics: !firstStep };
}

export function decide(input: TransitionInput): Transition | Hold {
  const { canary, revision, previous, targetSpec } = input;
  const at = input.now.toISOString();
  if (!previous) {
    return {
      state: restingState('Initialized', revision, at, `initialized at ${revision}`),
      primarySpec: targetSpec,
      canarySpec: targetSpec,
      title: `${canary.name}: initialized at ${revision}`,
    };
  }
  const s = previous.state;
  if (revision !== s.revision) return newRevision(input, s, previous, at);
  if (input.applyError && !input.clusterMatches) {
    // The cluster refuses what git says: hold, and say so in git once, rather than march on to "promoted".
    // Once per stall: a refusal whose wording changes from pass to pass is still the same stall.
    const stalled = `stalled: the cluster refuses the objects of this step: ${input.applyError}`;
    if (s.message?.startsWith('stalled: ')) return { waiting: stalled };
    return {
      primarySpec: previous.primary.spec,
      canarySpec: previous.canary.spec,
      state: { ...s, message: stalled },
      title: `${canary.name}: stalled, the cluster refuses the objects of this step`,
    };
  }
  if (!isActive(s.phase)) return { waiting: `at rest (${s.phase})` };

  const specs = { primarySpec: previous.primary.spec, canarySpec: previous.canary.spec };
  const rollback = (reason: string, extra: Partial<RolloutState> = {}): Transition => ({
    ...specs,
    state: {
      ...withoutMirror(s),
      ...extra,
      phase: 'Failed',
      canaryWeight: 0,
      lastStepTime: at,
      message: `rolled back: ${reason}`,
    },
    title: `${canary.name}: rolled back ${s.revision}, weight ${s.canaryWeight} → 0`,
    rolledBack: true,
  });
  if (isAborted(canary, s.revision)) return rollback(`aborted by gitcanary.dev/abort`);
  if (input.analysis.rollbackRequested) return rollback('a rollback webhook asked for it');
  if (!input.clusterMatches) {
    const deadline = canary.progressDeadlineSeconds;
    const rollbackAt = deadline === undefined ? undefined : Date.parse(s.lastStepTime) + deadline * 1000;
    if (rollbackAt !== undefined && input.now.getTime() > rollbackAt) {
      return rollback(`the cluster did not match the committed objects within ${deadline}s`);
    }
    return {
      waiting: 'waiting for the cluster to match the committed objects',
      // Past the deadline, not at it.
      ...(rollbackAt === undefined ? {} : { until: rollbackAt + 1 }),
    };
  }
  if (input.commitOnly && !s.liveSince && timedPhases.includes(s.phase)) {
    // The GitOps tool has applied this step: the interval it is judged over starts now, and git says when.
    return {
      ...specs,
      state: { ...s, liveSince: at },
      title: `${canary.name}: weight ${s.canaryWeight} live in the cluster`,
    };
  }
  if (s.phase === 'Waiting') {
    if (input.analysis.gates['confirm-rollout'] === false) return { waiting: 'confirm-rollout is closed' };
    return {
      ...specs,
      state: { ...s, phase: 'Progressing', lastStepTime: at, message: `analysing ${revision}` },
      title: `${canary.name}: rollout of ${revision} confirmed, analysis started`,
    };
  }
  if (s.phase === 'Promoting' && s.canaryWeight > 0 && canary.analysis.stepWeightPromotion !== undefined) {
    return promotionStep(input, s, specs, at);
  }
  if (s.phase === 'Promoting') {
    return {
      ...specs,
      state: {
        ...s,
        phase: 'Finalising',
        canaryWeight: 0,
        lastStepTime: at,
        message: 'routing all traffic to primary',
      },
      title: `${canary.name}: weight ${s.canaryWeight} → 0, finalising`,
      continueImmediately: true,
    };
  }
  if (s.phase === 'Finalising') {
    return {
      ...specs,
      state: restingState('Succeeded', revision, at, `promoted ${revision}`),
      title: `${canary.name}: promoted ${revision}`,
    };
  }
  if (canary.skipAnalysis) return promotedWithoutAnalysis(canary.name, s, revision, previous.canary.spec, at);
  if (isPaused(canary)) return { waiting: 'paused by gitcanary.dev/paused' };
  // An approval merged in git need not wait for the next interval.
  const due = analysisDue(canary, s, input.now, input.commitOnly);
  if (s.phase === 'WaitingPromotion' && isApproved(canary, revision) && !due) {
    return promote(canary, s, previous, at, s.lastChecks);
  }
  if (!due) {
    const next = nextAnalysisTime(canary, s, input.commitOnly) ?? Date.parse(s.lastStepTime);
    return { waiting: `next analysis at ${new Date(next).toISOString()}`, until: next };
  }
  const readiness = input.routeReadiness;
  if (readiness.state === 'pending') return { waiting: readiness.reason };
  if (readiness.state === 'rejected') {
    // Said once in git (the message is part of the state), then held until the route is accepted.
    if (s.message === readiness.reason) return { waiting: readiness.reason };
    return {
      ...specs,
      state: { ...s, message: readiness.reason },
      title: `${canary.name}: held, ${readiness.reason}`,
    };
  }
  return analysisStep(input, s, previous, at, rollback);
}

function newRevision(
  input: TransitionInput,
  s: RolloutState,
  previous: GeneratedFile,
  at: string,
): Transition {
  const { canary, revision, targetSpec } = input;
  if (revision === s.lastPromotedRevision) {
    return {
      state: restingState('Initialized', revision, at, `reverted to ${revision}; ${s.revision} abandoned`),
      primarySpec: previous.primary.spec,
      canarySpec: targetSpec,
      title: `${canary.name}: reverted to promoted ${revision}, ${s.revision} abandoned`,
    };
  }
  if (canary.skipAnalysis) return promotedWithoutAnalysis(canary.name, s, revision, targetSpec, at);
  const restarted = isActive(s.phase);
  const waits = input.analysis.gates['confirm-rollout'] === false;
  const because = restarted ? `, analysis restarted (was ${s.revision})` : '';
  return {
    state: {
      ...restingState(waits ? 'Waiting' : 'Progressing', revision, at, ''),
      lastPromotedRevision: s.lastPromotedRevision,
      message: waits ? `waiting for confirm-rollout of ${revision}` : `analysing ${revision}`,
    },
    primarySpec: previous.primary.spec,
    canarySpec: targetSpec,
    title: waits
      ? `${canary.name}: new revision ${revision}, waiting for confirm-rollout${because}`
      : `${canary.name}: new revision ${revision}, analysis ${restarted ? `restarted (was ${s.revision})` : 'started'}`,
  };
}

function analysisStep(
  input: TransitionInput,
  s: RolloutState,
  previous: GeneratedFile,
  at: string,
  rollback: (reason: string, extra?: Partial<RolloutState>) => Transition,
): Transition | Hold {
  const { canary, analysis: report } = input;
  const { analysis } = canary;
  const checks = report.checks;
  const specs = { primarySpec: previous.primary.spec, canarySpec: previous.canary.spec };
  const failed = checks.filter((c) => !c.passed);
  if (failed.length > 0) {
    const failedChecks = s.failedChecks + 1;
    const reasons = failed.map(describeFailure).join(', ');
    if (failedChecks >= analysis.threshold) return rollback(reasons, { failedChecks, lastChecks: checks });
    return {
      ...specs,
      state: {
        ...s,
        failedChecks,
        lastStepTime: at,
        lastChecks: checks,
        message: `check failed: ${reasons}`,
      },
      title: `${canary.name}: check failed (${failedChecks} of ${analysis.threshold})`,
    };
  }
  const ready =
    s.phase === 'WaitingPromotion' || readyToPromote(analysis, canary.provider, s.canaryWeight, s.iteration);
  if (ready) {
    if (promotionOpen(canary, s.revision, report)) return promote(canary, s, previous, at, checks);
    if (s.phase === 'WaitingPromotion') {
      return {
        ...specs,
        state: {
          ...s,
          lastStepTime: at,
          lastChecks: checks,
          message: `waiting for promotion approval of ${s.revision}`,
        },
        title: `${canary.name}: analysis passed, still waiting for promotion approval`,
      };
    }
    return {
      ...specs,
      state: {
        ...s,
        phase: 'WaitingPromotion',
        lastStepTime: at,
        lastChecks: checks,
        message: `waiting for promotion approval of ${s.revision}`,
      },
      title: `${canary.name}: waiting for promotion approval of ${s.revision}`,
    };
  }
  if (report.gates['confirm-traffic-increase'] === false)
    return { waiting: 'confirm-traffic-increase is closed' };
  const next = advance(canary, s);
  return {
    ...specs,
    state: { ...s, ...next.state, lastStepTime: at, lastChecks: checks },
    title: `${canary.name}: ${next.title}`,
  };
}

/** One step forward of a run that is not ready to promote, by strategy (Flagger's runCanary, runBlueGreen, runAB). */
function advance(
  canary: CanarySpec,
  s: RolloutState,
): {
  state: Pick<RolloutState, 'canaryWeight' | 'iteration' | 'message'> & { mirrored?: boolean };
  title: string;
} {
  const { analysis } = canary;
  const iterate = (more: { canaryWeight?: number; mirrored?: boolean }, what: string) => {
    const iteration = s.iteration + 1;
    return {
      state: {
        canaryWeight: s.canaryWeight,
        iteration,
        ...more,
        message: `iteration ${iteration} of ${analysis.iterations}`,
      },
      title: `iteration ${s.iteration} → ${iteration}${what}`,
    };
  };
  switch (strategyOf(analysis, canary.provider)) {
    case 'ab':
      // Matched requests go to the canary from the first iteration on.
      return iterate({ canaryWeight: 100 }, s.canaryWeight === 100 ? '' : ', matched requests to canary');
    case 'blue-green': {
      if (s.iteration < (analysis.iterations ?? 0)) {
        const mirroring = analysis.mirror && !s.mirrored;
        return iterate(mirroring ? { mirrored: true } : {}, mirroring ? ', mirroring to canary' : '');
      }
      // The last blue/green step: all traffic to the canary for one more analysed interval.
      return iterate({ canaryWeight: 100, mirrored: false }, ', all traffic to canary');
    }
    case 'canary': {
      if (analysis.mirror && s.canaryWeight === 0 && !s.mirrored) {
        return {
          state: { canaryWeight: 0, iteration: s.iteration, mirrored: true, message: 'mirroring to canary' },
          title: 'mirroring traffic to canary, weight 0',
        };
      }
      const weight = nextWeight(analysis, s.canaryWeight);
      return {
        state: { canaryWeight: weight, iteration: s.iteration, mirrored: false, message: `weight ${weight}` },
        title: `weight ${s.canaryWeight} → ${weight}`,
      };
    }
  }
}

/** A gradual promotion (stepWeightPromotion): each interval hands weight back to the promoted primary. */
function promotionStep(
  input: TransitionInput,
  s: RolloutState,
  specs: { primarySpec: unknown; canarySpec: unknown },
  at: string,
): Transition | Hold {
  const { canary } = input;
  if (Date.parse(s.lastStepTime) + canary.analysis.intervalSeconds * 1000 > input.now.getTime()) {
    const next = new Date(Date.parse(s.lastStepTime) + canary.analysis.intervalSeconds * 1000);
    return { waiting: `next promotion step at ${next.toISOString()}`, until: next.getTime() };
  }
  const weight = promotionWeight(canary.analysis, s.canaryWeight);
  if (weight === 0) {
    return {
      ...specs,
      state: {
        ...s,
        phase: 'Finalising',
        canaryWeight: 0,
        lastStepTime: at,
        message: 'routing all traffic to primary',
      },
      title: `${canary.name}: weight ${s.canaryWeight} → 0, finalising`,
      continueImmediately: true,
    };
  }
  return {
    ...specs,
    state: {
      ...s,
      canaryWeight: weight,
      lastStepTime: at,
      message: `promoting: primary weight ${100 - weight}`,
    },
    title: `${canary.name}: promoting, weight ${s.canaryWeight} → ${weight}`,
  };
}

function promote(
  canary: CanarySpec,
  s: RolloutState,
  previous: GeneratedFile,
  at: string,
  checks: CheckResult[],
): Transition {
  // A gradual promotion hands weight back one interval at a time; otherwise finalising follows at once.
  const gradual = canary.analysis.stepWeightPromotion !== undefined && s.canaryWeight > 0;
  return {
    primarySpec: previous.canary.spec,
    canarySpec: previous.canary.spec,
    state: {
      ...withoutMirror(s),
      phase: 'Promoting',
      lastStepTime: at,
      lastChecks: checks,
      message: `promoting ${s.revision}`,
    },
    title: `${canary.name}: promoting ${s.revision}`,
    continueImmediately: !gradual,
  };
}

function promotedWithoutAnalysis(
  name: string,
  s: RolloutState,
  revision: string,
  spec: unknown,
  at: string,
): Transition {
  return {
    state: restingState('Succeeded', revision, at, `promoted ${revision} without analysis (skipAnalysis)`),
    primarySpec: spec,
    canarySpec: spec,
    title: `${name}: promoted ${revision} without analysis (was ${s.lastPromotedRevision})`,
  };
}

function describeFailure(check: CheckResult): string {
  const range = [
    check.min !== undefined ? `min ${check.min}` : '',
    check.max !== undefined ? `max ${check.max}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  if (check.reason) return `${check.name} (${check.reason})`;
  return `${check.name} ${check.value ?? 'none'}${range ? ` (${range})` : ''}`;
}

/** The state without the mirror flag: promotion and rollback stop mirroring. */
function withoutMirror(s: RolloutState): RolloutState {
  const copy = { ...s };
  delete copy.mirrored;
  return copy;
}

function restingState(phase: Phase, revision: string, at: string, message: string): RolloutState {
  return {
    phase,
    canaryWeight: 0,
    iteration: 0,
    failedChecks: 0,
    revision,
    lastPromotedRevision: revision,
    lastStepTime: at,
    lastChecks: [],
    ...(message ? { message } : {}),
  };
}

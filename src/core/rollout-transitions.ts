// The canary state machine: given the state in git, the target's revision, the gates and the analysis of
// this step, the one transition to make now, or the reason to make none. Pure; `now` is an input.
import type { AnalysisNeeds, AnalysisReport, WebhookType } from './analysis-report.js';
import type { GeneratedFile } from './generated-file.js';
import { isAborted, isApproved, isPaused, promotionOpen } from './gates.js';
import type { CanarySpec, CheckResult, Phase, RolloutState } from './model.js';
import { isBlueGreen, nextWeight, readyToPromote } from './weights.js';

export interface Transition {
  state: RolloutState;
  primarySpec: unknown;
  canarySpec: unknown;
  title: string;
  /** Plan again at once after this is committed: promotion is a chain of transitions. */
  continueImmediately?: boolean;
  /** A rollback: the shell may also revert the target (gitcanary.dev/revert-on-failure). */
  rolledBack?: boolean;
}

export interface Hold {
  waiting: string;
}

export interface TransitionInput {
  now: Date;
  canary: CanarySpec;
  targetSpec: unknown;
  revision: string;
  previous: GeneratedFile | undefined;
  analysis: AnalysisReport;
  /** False only in commit-only mode while the live objects differ from the committed ones. */
  clusterMatches: boolean;
}

const activePhases: readonly Phase[] = [
  'Waiting',
  'Progressing',
  'WaitingPromotion',
  'Promoting',
  'Finalising',
];
export const isActive = (phase: Phase) => activePhases.includes(phase);

/** True when the next analysis of a Progressing or WaitingPromotion canary is due at `now`. */
export function analysisDue(canary: CanarySpec, state: RolloutState | undefined, now: Date): boolean {
  if (!state || (state.phase !== 'Progressing' && state.phase !== 'WaitingPromotion')) return false;
  return now.getTime() >= Date.parse(state.lastStepTime) + canary.analysis.intervalSeconds * 1000;
}

/** Which webhooks and checks the next transition depends on; the shell collects exactly these. */
export function analysisNeeds(
  canary: CanarySpec,
  state: RolloutState | undefined,
  revision: string,
  now: Date,
): AnalysisNeeds {
  if (!state || canary.suspend || canary.skipAnalysis) return { webhooks: [], metrics: false };
  const newRelease = revision !== state.revision && revision !== state.lastPromotedRevision;
  if (newRelease || (state.phase === 'Waiting' && revision === state.revision)) {
    return { webhooks: ['confirm-rollout'], metrics: false };
  }
  if (revision !== state.revision || isPaused(canary) || !analysisDue(canary, state, now)) {
    return { webhooks: [], metrics: false };
  }
  const webhooks: WebhookType[] = [];
  const firstStep = state.canaryWeight === 0 && state.iteration === 0 && state.phase === 'Progressing';
  if (firstStep) webhooks.push('pre-rollout');
  webhooks.push('rollout', 'rollback');
  const promoting =
    state.phase === 'WaitingPromotion' ||
    readyToPromote(canary.analysis, state.canaryWeight, state.iteration);
  webhooks.push(promoting ? 'confirm-promotion' : 'confirm-traffic-increase');
  return { webhooks, metrics: true };
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
  if (!isActive(s.phase)) return { waiting: `at rest (${s.phase})` };

  const specs = { primarySpec: previous.primary.spec, canarySpec: previous.canary.spec };
  const rollback = (reason: string, extra: Partial<RolloutState> = {}): Transition => ({
    ...specs,
    state: {
      ...s,
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
    if (deadline !== undefined && input.now.getTime() > Date.parse(s.lastStepTime) + deadline * 1000) {
      return rollback(`the cluster did not match the committed objects within ${deadline}s`);
    }
    return { waiting: 'waiting for the cluster to match the committed objects' };
  }
  if (s.phase === 'Waiting') {
    if (input.analysis.gates['confirm-rollout'] === false) return { waiting: 'confirm-rollout is closed' };
    return {
      ...specs,
      state: { ...s, phase: 'Progressing', lastStepTime: at, message: `analysing ${revision}` },
      title: `${canary.name}: rollout of ${revision} confirmed, analysis started`,
    };
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
  if (s.phase === 'WaitingPromotion' && isApproved(canary, revision) && !analysisDue(canary, s, input.now)) {
    return promote(canary.name, s, previous, at, s.lastChecks);
  }
  if (!analysisDue(canary, s, input.now)) {
    const next = new Date(Date.parse(s.lastStepTime) + canary.analysis.intervalSeconds * 1000);
    return { waiting: `next analysis at ${next.toISOString()}` };
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
  const ready = s.phase === 'WaitingPromotion' || readyToPromote(analysis, s.canaryWeight, s.iteration);
  if (ready) {
    if (promotionOpen(canary, s.revision, report)) return promote(canary.name, s, previous, at, checks);
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
  if (isBlueGreen(analysis)) {
    const iteration = s.iteration + 1;
    return {
      ...specs,
      state: {
        ...s,
        iteration,
        lastStepTime: at,
        lastChecks: checks,
        message: `iteration ${iteration} of ${analysis.iterations}`,
      },
      title: `${canary.name}: iteration ${s.iteration} → ${iteration}`,
    };
  }
  const weight = nextWeight(analysis, s.canaryWeight);
  return {
    ...specs,
    state: { ...s, canaryWeight: weight, lastStepTime: at, lastChecks: checks, message: `weight ${weight}` },
    title: `${canary.name}: weight ${s.canaryWeight} → ${weight}`,
  };
}

function promote(
  name: string,
  s: RolloutState,
  previous: GeneratedFile,
  at: string,
  checks: CheckResult[],
): Transition {
  return {
    primarySpec: previous.canary.spec,
    canarySpec: previous.canary.spec,
    state: {
      ...s,
      phase: 'Promoting',
      lastStepTime: at,
      lastChecks: checks,
      message: `promoting ${s.revision}`,
    },
    title: `${name}: promoting ${s.revision}`,
    continueImmediately: true,
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

// The decision of one reconcile for one Canary, as a pure function: from the target in git, the state in
// the generated file, the live objects, the check results and `now`, it returns the new generated file,
// the commit message and the objects the cluster should hold. It performs no I/O and reads no clock.
import { diffObject } from './cluster-diff.js';
import {
  canaryServiceName,
  derivedService,
  isManagedByUs,
  primaryName,
  trafficRoute,
} from './generated-objects.js';
import { generatedPath, renderGeneratedFile, type GeneratedFile } from './generated-file.js';
import type { CanarySpec, CheckResult, KubeObject, Phase, RolloutState, ServiceManifest } from './model.js';
import { revisionOf } from './revision.js';
import { isBlueGreen, nextWeight, readyToPromote } from './weights.js';

export interface LiveObjects {
  primary?: KubeObject | undefined;
  canary?: KubeObject | undefined;
  route?: KubeObject | undefined;
}

export interface PlanInput {
  now: Date;
  canary: CanarySpec;
  target: ServiceManifest;
  /** The generated file as committed, parsed, and its text; both absent before the first reconcile. */
  previous?: { file: GeneratedFile; content: string } | undefined;
  /** Results of this step's checks, run by the shell when `analysisDue`; empty means no checks configured. */
  checks: CheckResult[];
  live: LiveObjects;
  /** False in commit-only mode (a GitOps tool applies): steps then wait for the cluster to catch up. */
  applies: boolean;
}

export interface PlanEvent {
  reason: Phase | 'Synced';
  message: string;
}

export interface CanaryPlan {
  kind: 'plan';
  canary: string;
  path: string;
  /** The new text of the generated file, when git needs a write. */
  content?: string;
  commitMessage?: string;
  state: RolloutState;
  /** What the cluster should hold after this step, in apply order. */
  desired: KubeObject[];
  events: PlanEvent[];
  /** Plan again at once after this step is committed (and applied): promotion is a chain of transitions. */
  continueImmediately: boolean;
  /** Why nothing moved, when nothing did. */
  waiting?: string;
}

export interface PlanError {
  kind: 'error';
  canary: string;
  code: 'ForeignObject';
  message: string;
}

export type PlanResult = CanaryPlan | PlanError;

export const canaryKey = (canary: CanarySpec) => `${canary.namespace}/${canary.name}`;

/** True when a Progressing canary's next analysis step is due at `now`. */
export function analysisDue(canary: CanarySpec, state: RolloutState | undefined, now: Date): boolean {
  if (!state || state.phase !== 'Progressing') return false;
  return now.getTime() >= Date.parse(state.lastStepTime) + canary.analysis.intervalSeconds * 1000;
}

interface Transition {
  state: RolloutState;
  primarySpec: unknown;
  canarySpec: unknown;
  title: string;
  continueImmediately?: boolean;
}

export function planRollout(input: PlanInput): PlanResult {
  const { canary } = input;
  const key = canaryKey(canary);
  const foreign = foreignObject(input);
  if (foreign) return { kind: 'error', canary: key, code: 'ForeignObject', message: foreign };

  const path = generatedPath(canary);
  const previous = input.previous?.file;
  if (canary.suspend && previous) {
    return {
      kind: 'plan',
      canary: key,
      path,
      state: previous.state,
      desired: [],
      events: [],
      continueImmediately: false,
      waiting: 'suspended',
    };
  }

  const outcome = decide(input, revisionOf(input.target.object));
  const transition: Transition | undefined = 'state' in outcome ? outcome : undefined;
  const state = transition?.state ?? previous?.state;
  const primarySpec = transition?.primarySpec ?? previous?.primary.spec;
  const canarySpec = transition?.canarySpec ?? previous?.canary.spec;
  if (!state) throw new Error('unreachable: a first reconcile always initializes');

  const file = generatedFile(input, state, primarySpec, canarySpec);
  const content = renderGeneratedFile(canary, file);
  const changed = content !== input.previous?.content;
  const title = transition?.title ?? `${canary.name}: generated objects updated`;
  return {
    kind: 'plan',
    canary: key,
    path,
    ...(changed ? { content, commitMessage: commitMessage(title, key, state) } : {}),
    state,
    desired: [file.primary, file.canary, ...(file.route ? [file.route] : [])],
    events: changed ? [{ reason: transition ? state.phase : 'Synced', message: title }] : [],
    continueImmediately: changed && (transition?.continueImmediately ?? false),
    ...('waiting' in outcome && !changed ? { waiting: outcome.waiting } : {}),
  };
}

/** The next transition of the state machine, or why there is none. */
function decide(input: PlanInput, revision: string): Transition | { waiting: string } {
  const { canary, now } = input;
  const target = input.target.object.spec;
  const previous = input.previous?.file;
  const at = now.toISOString();
  if (!previous) {
    return {
      state: restingState('Initialized', revision, at, `initialized at ${revision}`),
      primarySpec: target,
      canarySpec: target,
      title: `${canary.name}: initialized at ${revision}`,
    };
  }
  const s = previous.state;
  if (revision !== s.revision) {
    if (revision === s.lastPromotedRevision) {
      return {
        state: restingState('Initialized', revision, at, `reverted to ${revision}; ${s.revision} abandoned`),
        primarySpec: previous.primary.spec,
        canarySpec: target,
        title: `${canary.name}: reverted to promoted ${revision}, ${s.revision} abandoned`,
      };
    }
    if (canary.skipAnalysis) return promotedWithoutAnalysis(canary.name, s, revision, target, at);
    const restarted = isActive(s.phase);
    return {
      state: {
        ...restingState('Progressing', revision, at, ''),
        lastPromotedRevision: s.lastPromotedRevision,
        message: restarted
          ? `analysis restarted for ${revision} (was ${s.revision})`
          : `analysing ${revision}`,
      },
      primarySpec: previous.primary.spec,
      canarySpec: target,
      title: restarted
        ? `${canary.name}: new revision ${revision}, analysis restarted (was ${s.revision})`
        : `${canary.name}: new revision ${revision}, analysis started`,
    };
  }

  if (!isActive(s.phase)) return { waiting: `at rest (${s.phase})` };
  if (!input.applies && !clusterMatches(previous, input.live)) {
    return { waiting: 'waiting for the cluster to match the committed objects' };
  }
  if (s.phase === 'Promoting') {
    return {
      state: {
        ...s,
        phase: 'Finalising',
        canaryWeight: 0,
        lastStepTime: at,
        message: `routing all traffic to primary`,
      },
      primarySpec: previous.primary.spec,
      canarySpec: previous.canary.spec,
      title: `${canary.name}: weight ${s.canaryWeight} → 0, finalising`,
      continueImmediately: true,
    };
  }
  if (s.phase === 'Finalising') {
    return {
      state: { ...restingState('Succeeded', revision, at, `promoted ${revision}`) },
      primarySpec: previous.primary.spec,
      canarySpec: previous.canary.spec,
      title: `${canary.name}: promoted ${revision}`,
    };
  }
  if (canary.skipAnalysis) return promotedWithoutAnalysis(canary.name, s, revision, target, at);
  if (!analysisDue(canary, s, now)) {
    const next = new Date(Date.parse(s.lastStepTime) + canary.analysis.intervalSeconds * 1000);
    return { waiting: `next analysis at ${next.toISOString()}` };
  }
  return analysisStep(input, s, previous, at);
}

function analysisStep(input: PlanInput, s: RolloutState, previous: GeneratedFile, at: string): Transition {
  const { canary, checks } = input;
  const { analysis } = canary;
  const specs = { primarySpec: previous.primary.spec, canarySpec: previous.canary.spec };
  const failed = checks.filter((c) => !c.passed);
  if (failed.length > 0) {
    const failedChecks = s.failedChecks + 1;
    const reasons = failed.map((c) => `${c.name}${c.reason ? ` (${c.reason})` : ''}`).join(', ');
    if (failedChecks >= analysis.threshold) {
      return {
        ...specs,
        state: {
          ...s,
          phase: 'Failed',
          canaryWeight: 0,
          failedChecks,
          lastStepTime: at,
          lastChecks: checks,
          message: `rolled back: ${reasons}`,
        },
        title: `${canary.name}: rolled back ${s.revision}, weight ${s.canaryWeight} → 0`,
      };
    }
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
  if (readyToPromote(analysis, s.canaryWeight, s.iteration)) {
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
      title: `${canary.name}: promoting ${s.revision}`,
      continueImmediately: true,
    };
  }
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

function promotedWithoutAnalysis(
  name: string,
  s: RolloutState,
  revision: string,
  target: unknown,
  at: string,
): Transition {
  return {
    state: restingState('Succeeded', revision, at, `promoted ${revision} without analysis (skipAnalysis)`),
    primarySpec: target,
    canarySpec: target,
    title: `${name}: promoted ${revision} without analysis (was ${s.lastPromotedRevision})`,
  };
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

const isActive = (phase: Phase) =>
  phase === 'Progressing' ||
  phase === 'Promoting' ||
  phase === 'Finalising' ||
  phase === 'Waiting' ||
  phase === 'WaitingPromotion';

function generatedFile(
  input: PlanInput,
  state: RolloutState,
  primarySpec: unknown,
  canarySpec: unknown,
): GeneratedFile {
  const { canary } = input;
  const target = input.target.object;
  return {
    state,
    primary: derivedService(canary, target, primaryName(canary), primarySpec),
    canary: derivedService(canary, target, canaryServiceName(canary), canarySpec),
    ...(canary.provider === 'gatewayapi' ? { route: trafficRoute(canary, state.canaryWeight) } : {}),
  };
}

function clusterMatches(previous: GeneratedFile, live: LiveObjects): boolean {
  const pairs: [KubeObject | undefined, KubeObject | undefined][] = [
    [previous.primary, live.primary],
    [previous.canary, live.canary],
    [previous.route, live.route],
  ];
  return pairs.every(([want, have]) => !want || diffObject(want, have).action === 'unchanged');
}

/** A live object under one of our names that gitcanary did not create is never taken over. */
function foreignObject(input: PlanInput): string | undefined {
  const { canary, live } = input;
  for (const object of [
    live.primary,
    live.canary,
    canary.provider === 'gatewayapi' ? live.route : undefined,
  ]) {
    if (object && !isManagedByUs(object)) {
      const { kind, metadata } = object;
      return `${kind}/${metadata.namespace ?? canary.namespace}/${metadata.name} exists and is not managed by gitcanary; rename it or delete it`;
    }
  }
  return undefined;
}

function commitMessage(title: string, key: string, state: RolloutState): string {
  const trailers = [
    `Canary: ${key}`,
    `Canary-Phase: ${state.phase}`,
    `Canary-Weight: ${state.canaryWeight}`,
    `Canary-Revision: ${state.revision}`,
    ...state.lastChecks.map(
      (c) =>
        `Analysis: ${c.name}=${c.value ?? 'none'}${c.min !== undefined ? ` min=${c.min}` : ''}${c.max !== undefined ? ` max=${c.max}` : ''} ${c.passed ? 'pass' : 'fail'}`,
    ),
  ];
  return `${title}\n\n${trailers.join('\n')}\n`;
}

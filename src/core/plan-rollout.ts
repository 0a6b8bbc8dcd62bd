// The decision of one reconcile for one Canary, as a pure function: from the target in git, the state in
// the generated file, the live objects, the analysis report and `now`, it returns the new generated file,
// the commit message and the objects the cluster should hold. It performs no I/O and reads no clock.
import { canaryKey } from './manifests/canary-key.js';
import type { AnalysisNeeds, AnalysisReport } from './analysis-report.js';
import { diffObject } from './cluster-diff.js';
import { replaceSpec } from './edit-manifest.js';
import { canaryServiceName, derivedService, isManagedByUs, primaryName } from './generated-objects.js';
import { generatedPath, renderGeneratedFile, type GeneratedFile } from './generated-file.js';
import { listResource } from './kustomization-resources.js';
import { revertsOnFailure } from './gates.js';
import type {
  CanarySpec,
  CheckResult,
  KubeObject,
  Phase,
  Restoration,
  RolloutState,
  ServiceManifest,
} from './model.js';
import { revisionOf } from './revision.js';
import { findHandEdit, refusedHandEditMessage, specChecksum } from './hand-edits.js';
import { hasExternalIPs } from './service-spec.js';
import { analysisNeeds, decide } from './rollout-transitions.js';
import { routerOf } from './routers/router-registry.js';
import type { RouteReferences } from './routers/router.js';
import { trafficOf } from './traffic.js';

export { analysisDue, analysisNeeds } from './rollout-transitions.js';

export interface LiveObjects {
  primary?: KubeObject | undefined;
  canary?: KubeObject | undefined;
  /** The router's objects as found in the cluster, in the order of its routeRefs. */
  routes?: (KubeObject | undefined)[];
}

export interface PlanInput {
  now: Date;
  canary: CanarySpec;
  target: ServiceManifest;
  /** The text of the target's file, for a revert on failure (gitcanary.dev/revert-on-failure). */
  targetFile?: string | undefined;
  /** The kustomization file of the generated file's folder, when it has one and the file is not written yet. */
  kustomization?: { path: string; content: string } | undefined;
  /** The repository objects the router builds from besides the target (ResolvedCanary.references). */
  references?: RouteReferences | undefined;
  /** The generated file as committed, parsed, and its text; both absent before the first reconcile. */
  previous?: { file: GeneratedFile; content: string } | undefined;
  /** What the shell collected for `analysisNeeds`: check results and gates. */
  analysis: AnalysisReport;
  live: LiveObjects;
  /** False in commit-only mode (a GitOps tool applies): steps then wait for the cluster to catch up. */
  applies: boolean;
  /** Why the last apply of this Canary's objects failed (the API server's reason), while it keeps failing. */
  applyError?: string | undefined;
  /** Default mode: objects the last apply put back after another field manager reverted them, to record. */
  restored?: Restoration | undefined;
  /** Generated Services may carry `spec.externalIPs` (`--allow-external-ips`); refused by default. */
  allowExternalIPs?: boolean;
}

interface PlanEvent {
  reason: Phase | 'Synced';
  message: string;
}

interface FileChange {
  path: string;
  content: string;
}

export interface CanaryPlan {
  kind: 'plan';
  canary: string;
  path: string;
  /** The new text of the generated file, when git needs a write. */
  content?: string;
  commitMessage?: string;
  /**
   * Other files of the same commit: the target reverted after a failed release, when asked for; the folder's
   * kustomization listing the generated file, at its first write.
   */
  otherChanges: FileChange[];
  state: RolloutState;
  /** What the cluster should hold after this step, in apply order. */
  desired: KubeObject[];
  events: PlanEvent[];
  /** Plan again at once after this step is committed (and applied): promotion is a chain of transitions. */
  continueImmediately: boolean;
  /** Why nothing moved, when nothing did. */
  waiting?: string;
  /** With `waiting`: epoch ms at which time alone may move it; absent: only a change of its inputs can. */
  heldUntil?: number;
  /** Delete the generated file in this commit (a removed Canary with revertOnDeletion). */
  remove?: boolean;
  /** Objects to delete from the cluster after the commit, in this order (routes first). */
  deletions?: KubeObject[];
}

export interface PlanError {
  kind: 'error';
  canary: string;
  code: 'ForeignObject' | 'NotWatched' | 'GeneratedFileInvalid' | 'HandEdited' | 'ExternalIPsRefused';
  message: string;
}

export type PlanResult = CanaryPlan | PlanError;

/** What the shell must gather before `planRollout`, decided from what it already has. */
export interface PlanPrerequisites {
  /** The target's revision, as the state records it. */
  revision: string;
  /** The checks and webhooks the next transition depends on. */
  needs: AnalysisNeeds;
  /** The text of the target's file is needed (a revert on failure may edit it). */
  targetFile: boolean;
}

export function planPrerequisites(input: {
  now: Date;
  canary: CanarySpec;
  target: ServiceManifest;
  state: RolloutState | undefined;
  live: LiveObjects;
  applies: boolean;
}): PlanPrerequisites {
  const { canary, state, now } = input;
  const revision = revisionOf(input.target.object);
  const needs = analysisNeeds(canary, state, revision, now, {
    routeReadiness: routerOf(canary.provider).readiness(canary, input.live.routes ?? []),
    commitOnly: !input.applies,
  });
  return { revision, needs, targetFile: revertsOnFailure(canary) };
}

export { canaryKey } from './manifests/canary-key.js';

export function planRollout(input: PlanInput): PlanResult {
  const { canary } = input;
  const key = canaryKey(canary);
  const foreign = foreignObject(input);
  if (foreign) return { kind: 'error', canary: key, code: 'ForeignObject', message: foreign };

  const path = generatedPath(canary);
  const committed = input.previous?.file;
  const edit = committed ? findHandEdit(committed, input.target, canary) : ({ kind: 'none' } as const);
  if (edit.kind === 'refused') {
    return {
      kind: 'error',
      canary: key,
      code: 'HandEdited',
      message: refusedHandEditMessage(path, edit.edited),
    };
  }
  // The committed file with what a hand edit changed put back; applying the edit would release something
  // no analysis judged.
  const previous =
    committed && edit.kind === 'undone'
      ? {
          ...committed,
          primary: { ...committed.primary, spec: edit.primarySpec },
          canary: { ...committed.canary, spec: edit.canarySpec },
        }
      : committed;
  if (canary.suspend && previous) {
    return {
      kind: 'plan',
      canary: key,
      path,
      otherChanges: [],
      state: previous.state,
      desired: [],
      events: [],
      continueImmediately: false,
      waiting: 'suspended',
    };
  }

  const outcome = decide({
    now: input.now,
    canary,
    targetSpec: input.target.object.spec,
    revision: revisionOf(input.target.object),
    previous,
    analysis: input.analysis,
    // In both modes a step counts only once the cluster holds the one before it: git records what happened.
    clusterMatches: !previous || clusterMatches(previous, input.live),
    commitOnly: !input.applies,
    ...(input.applies && input.applyError ? { applyError: input.applyError } : {}),
    routeReadiness: routerOf(canary.provider).readiness(canary, input.live.routes ?? []),
  });
  const transition = 'state' in outcome ? outcome : undefined;
  const primarySpec = transition?.primarySpec ?? previous?.primary.spec;
  const canarySpec = transition?.canarySpec ?? previous?.canary.spec;
  const moved = withLiveSince(input, transition?.state ?? previous?.state, transition);
  if (!moved) throw new Error('unreachable: a first reconcile always initializes');
  // The checksum is written with every transition (a Canary at rest is not rewritten just to add it).
  const checked =
    transition || edit.kind === 'undone'
      ? { ...moved, checksum: specChecksum(primarySpec, canarySpec) }
      : moved;
  const state = withRestored(
    withRevertOnDeletion(checked, canary.revertOnDeletion),
    input.restored ?? previous?.state.restored,
  );

  const file = generatedFileFor(
    canary,
    input.target.object,
    state,
    primarySpec,
    canarySpec,
    input.references,
  );
  const escalation = input.allowExternalIPs ? undefined : externalIPsIn(input, file);
  if (escalation) return { kind: 'error', canary: key, code: 'ExternalIPsRefused', message: escalation };
  const content = renderGeneratedFile(canary, file);
  const changed = content !== input.previous?.content;
  const undone =
    edit.kind === 'undone' ? `${canary.name}: hand edit of ${edit.edited.join(' and ')} undone` : undefined;
  // A restoration alone is said by its own Event (Restored); the commit records it for `status`.
  const restoredOnly = !transition && !undone && input.restored !== undefined;
  const title =
    transition?.title ??
    undone ??
    (input.restored ? `${canary.name}: ${describeRestoration(input.restored)}` : undefined) ??
    `${canary.name}: generated objects updated`;
  const revert: FileChange[] =
    transition?.rolledBack && revertsOnFailure(canary) && input.targetFile !== undefined
      ? [
          {
            path: input.target.source.file,
            content: replaceSpec(input.targetFile, input.target.source.document, primarySpec),
          },
        ]
      : [];
  // The first write of the generated file lists it in its folder's kustomization, or the tools never apply it.
  const listed = !committed && changed ? listInKustomization(input.kustomization, path) : undefined;
  const otherChanges = [...revert, ...(listed?.change ? [listed.change] : [])];
  // Only a step that ran the analysis reports it; the state keeps the last results for later steps.
  const checksOfThisStep =
    transition && transition.state.lastChecks !== previous?.state.lastChecks ? state.lastChecks : [];
  const notes = [
    ...(revert.length > 0 ? [`The target ${input.target.name} is reverted to the promoted spec.`] : []),
    ...(listed?.note ? [listed.note] : []),
  ];
  const body = notes.map((note) => `\n\n${note}`).join('');
  return {
    kind: 'plan',
    canary: key,
    path,
    ...(changed ? { content, commitMessage: commitMessage(title + body, key, state, checksOfThisStep) } : {}),
    otherChanges,
    state,
    desired: [file.primary, file.canary, ...file.routes],
    events:
      changed && !restoredOnly
        ? [
            { reason: transition ? state.phase : 'Synced', message: title },
            ...(undone && transition ? [{ reason: 'Synced' as const, message: undone }] : []),
          ]
        : [],
    continueImmediately: changed && (transition?.continueImmediately ?? false),
    ...('waiting' in outcome && !changed
      ? { waiting: outcome.waiting, ...(outcome.until === undefined ? {} : { heldUntil: outcome.until }) }
      : {}),
  };
}

/** Everything the generated file holds for `state`: the state, both Services and the router's objects. */
export function generatedFileFor(
  canary: CanarySpec,
  target: KubeObject,
  state: RolloutState,
  primarySpec: unknown,
  canarySpec: unknown,
  references?: RouteReferences,
): GeneratedFile {
  const traffic = trafficOf(canary, state);
  return {
    state,
    primary: derivedService(canary, target, primaryName(canary), primarySpec, canary.service.primary),
    canary: derivedService(canary, target, canaryServiceName(canary), canarySpec, canary.service.canary),
    routes: routerOf(canary.provider).routes({
      canary,
      target,
      traffic,
      ...(references ? { references } : {}),
    }),
  };
}

/** The last restoration stays in the state until the next one replaces it. */
function withRestored(state: RolloutState, restored: Restoration | undefined): RolloutState {
  if (!restored || state.restored === restored) return state;
  return { ...state, restored };
}

/** `restored HTTPRoute podinfo: reverted by kustomize-controller at <time>`, for commits and `status`. */
export function describeRestoration(restored: Restoration): string {
  const objects = restored.objects.map((o) => o.replace('/', ' ')).join(', ');
  const by = restored.managers.length > 0 ? restored.managers.join(', ') : 'another field manager';
  return `restored ${objects}: reverted by ${by} at ${restored.at}`;
}

/** The state carries `revertOnDeletion` while the Canary asks for it: it is read once the Canary is gone. */
function withRevertOnDeletion(state: RolloutState, revert: boolean): RolloutState {
  if (revert) return state.revertOnDeletion ? state : { ...state, revertOnDeletion: true };
  if (!state.revertOnDeletion) return state;
  const copy = { ...state };
  delete copy.revertOnDeletion;
  return copy;
}

/**
 * A step that changes what the cluster should hold is not live yet: in commit-only mode its `liveSince` goes,
 * until the cluster is seen holding it. A transition that changes only the state (a failed check) keeps it.
 */
function withLiveSince(
  input: PlanInput,
  state: RolloutState | undefined,
  transition: { primarySpec: unknown; canarySpec: unknown } | undefined,
): RolloutState | undefined {
  const previous = input.previous?.file;
  if (input.applies || !state?.liveSince || !transition || !previous) return state;
  const { canary } = input;
  const target = input.target.object;
  const { references } = input;
  const before = generatedFileFor(
    canary,
    target,
    previous.state,
    previous.primary.spec,
    previous.canary.spec,
    references,
  );
  const after = generatedFileFor(
    canary,
    target,
    state,
    transition.primarySpec,
    transition.canarySpec,
    references,
  );
  const objects = (file: GeneratedFile) => JSON.stringify([file.primary, file.canary, ...file.routes]);
  if (objects(before) === objects(after)) return state;
  const copy = { ...state };
  delete copy.liveSince;
  return copy;
}

function clusterMatches(previous: GeneratedFile, live: LiveObjects): boolean {
  const pairs: [KubeObject | undefined, KubeObject | undefined][] = [
    [previous.primary, live.primary],
    [previous.canary, live.canary],
    ...previous.routes.map((route, i): [KubeObject, KubeObject | undefined] => [route, live.routes?.[i]]),
  ];
  return pairs.every(([want, have]) => !want || diffObject(want, have).action === 'unchanged');
}

/**
 * externalIPs route traffic for any address to the Service's pods, so whoever may write the repository could
 * capture another workload's traffic through a Service that gitcanary creates with its own rights. The
 * target as written is checked too, so the refusal comes when the release starts, not only when it would
 * reach the generated objects.
 */
function externalIPsIn(input: PlanInput, file: GeneratedFile): string | undefined {
  const carrying = [input.target.object, file.primary, file.canary].filter(hasExternalIPs);
  if (carrying.length === 0) return undefined;
  const names = carrying.map((o) => o.metadata.name).join(', ');
  return `${input.target.source.file}: spec.externalIPs of ${names} would be applied by gitcanary; it refuses to generate Services with externalIPs unless run with --allow-external-ips`;
}

/** A live object under one of our names that gitcanary did not create is never taken over. */
function foreignObject(input: PlanInput): string | undefined {
  const { canary, live } = input;
  for (const object of [live.primary, live.canary, ...(live.routes ?? [])]) {
    if (object && !isManagedByUs(object)) {
      const { kind, metadata } = object;
      return `${kind}/${metadata.namespace ?? canary.namespace}/${metadata.name} exists and is not managed by gitcanary; rename it or delete it`;
    }
  }
  return undefined;
}

function commitMessage(title: string, key: string, state: RolloutState, checks: CheckResult[]): string {
  const trailers = [
    `Canary: ${key}`,
    `Canary-Phase: ${state.phase}`,
    `Canary-Weight: ${state.canaryWeight}`,
    `Canary-Revision: ${state.revision}`,
    ...checks.map(
      (c) =>
        `Analysis: ${c.name}=${c.value === undefined ? 'none' : roundForMessage(c.value)}${c.min !== undefined ? ` min=${c.min}` : ''}${c.max !== undefined ? ` max=${c.max}` : ''} ${c.passed ? 'pass' : 'fail'}`,
    ),
  ];
  return `${title}\n\n${trailers.join('\n')}\n`;
}

/** Three decimals are plenty for a person reading `git log`; the state document keeps the full value. */
function roundForMessage(value: number): string {
  return Number.isFinite(value) ? String(Math.round(value * 1000) / 1000) : String(value);
}

/** The kustomization edit that lists the generated file, or why it could not be made. */
function listInKustomization(
  kustomization: PlanInput['kustomization'],
  path: string,
): { change?: FileChange; note?: string } | undefined {
  if (!kustomization) return undefined;
  const entry = path.slice(path.lastIndexOf('/') + 1);
  const result = listResource(kustomization.content, entry);
  if (result.kind === 'edited')
    return {
      change: { path: kustomization.path, content: result.content },
      note: `${entry} is added to the resources of ${kustomization.path}.`,
    };
  if (result.kind === 'unreadable')
    return {
      note: `${kustomization.path} is not edited (${result.reason}): list ${entry} in its resources.`,
    };
  return undefined;
}

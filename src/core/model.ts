// The plain data the pure core works on: manifests read from the repository, the rollout state kept in
// the generated file, and check results. Everything here is serialisable; nothing does I/O.

/** A Kubernetes object as plain JSON (the shape js-yaml and client-node both give). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** Where a manifest came from, for errors that name the file and the document. */
export interface SourceRef {
  /** Path in the repository, POSIX separators, no leading slash. */
  file: string;
  /** 0-based index of the document within a multi-document file. */
  document: number;
}

export interface ServiceManifest {
  source: SourceRef;
  namespace: string;
  name: string;
  object: KubeObject;
}

export type Provider = 'gatewayapi' | 'kubernetes';

export interface GatewayRef {
  name: string;
  namespace?: string;
  sectionName?: string;
}

export interface CanaryAnalysis {
  /** `analysis.interval` in seconds. */
  intervalSeconds: number;
  /** Failed checks before a rollback. */
  threshold: number;
  maxWeight?: number;
  stepWeight?: number;
  stepWeights?: number[];
  /** Blue/green: successful iterations before promotion (no traffic shifting). */
  iterations?: number;
  /** `analysis.metrics` as written; its meaning depends on `apiVersion` and is parsed by the analysis. */
  metrics?: unknown[];
  /** `analysis.webhooks` as written, parsed by the analysis. */
  webhooks?: unknown[];
  /** `analysis.alerts` as written, parsed by src/core/alerts/parse-alerts.ts. */
  alerts?: unknown[];
}

/** A Canary in any accepted apiVersion, normalized to one meaning. */
export interface CanarySpec {
  source: SourceRef;
  apiVersion: string;
  namespace: string;
  name: string;
  /** The target Service's name (`targetRef.name`); primary and canary Services are named after it. */
  targetName: string;
  provider: Provider;
  service: {
    port: number;
    /** The apex (`service.name`): names the route; defaults to the target's name. */
    apexName: string;
    gatewayRefs: GatewayRef[];
    hosts: string[];
  };
  analysis: CanaryAnalysis;
  skipAnalysis: boolean;
  suspend: boolean;
  /** `spec.progressDeadlineSeconds` when given (Flagger's default is 600). */
  progressDeadlineSeconds?: number;
  annotations: Record<string, string>;
}

/** Flagger's phases, in lifecycle order. */
export const phases = [
  'Initializing',
  'Initialized',
  'Waiting',
  'Progressing',
  'WaitingPromotion',
  'Promoting',
  'Finalising',
  'Succeeded',
  'Failed',
] as const;

export type Phase = (typeof phases)[number];

export interface CheckResult {
  name: string;
  /** The measured value, when there is one. */
  value?: number;
  min?: number;
  max?: number;
  passed: boolean;
  /** Why it failed (no data, unreachable provider, …). */
  reason?: string;
}

/** The rollout state, kept in the generated file as a `CanaryState` document. */
export interface RolloutState {
  phase: Phase;
  canaryWeight: number;
  iteration: number;
  failedChecks: number;
  /** The revision (hash of the target's spec) being analysed, or the promoted one when at rest. */
  revision: string;
  lastPromotedRevision: string;
  /** ISO-8601 time of the last step; the next analysis is due one interval after it. */
  lastStepTime: string;
  lastChecks: CheckResult[];
  message?: string;
}

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

/** The routers gitcanary has: what generates the objects that split traffic for a Canary. */
export type RouterName =
  | 'kubernetes'
  | 'gatewayapi'
  // The mesh routers: Istio VirtualService, SMI TrafficSplit (linkerd, osm, smi:*), Contour HTTPProxy.
  | 'istio'
  | 'smi'
  | 'contour'
  // The ingress routers: an NGINX canary Ingress, a Traefik TraefikService, Skipper Ingress backend weights.
  | 'nginx'
  | 'traefik'
  | 'skipper';

/** A parent of a Gateway API route: a Gateway, or a Service for GAMMA (mesh) routing. */
export interface GatewayRef {
  name: string;
  namespace?: string;
  group?: string;
  kind?: string;
  sectionName?: string;
  port?: number;
}

/** One side of a match as Flagger writes it (Istio's StringMatch): exactly one operator. */
export interface StringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
  /** Kept only so a router can refuse it: no router gitcanary has matches by suffix. */
  suffix?: string;
}

/** One entry of `service.match` or `analysis.match`: all its conditions must hold. */
export interface RequestMatch {
  uri?: StringMatch;
  method?: StringMatch;
  headers?: Record<string, StringMatch>;
  queryParams?: Record<string, StringMatch>;
  /** Istio's other match conditions, written into a VirtualService as they are (istio only). */
  istio?: IstioMatchConditions;
}

/** The conditions of an Istio HTTPMatchRequest that no other router has. */
export interface IstioMatchConditions {
  name?: string;
  authority?: StringMatch;
  scheme?: StringMatch;
  port?: number;
  sourceLabels?: Record<string, string>;
  sourceNamespace?: string;
  gateways?: string[];
  withoutHeaders?: Record<string, StringMatch>;
  ignoreUriCase?: boolean;
}

/** `service.retries` (Istio's HTTPRetry): Istio and Contour routes retry with it. */
interface RetryPolicy {
  attempts: number;
  perTryTimeout?: string;
  retryOn?: string;
}

export interface HeaderOperations {
  add?: Record<string, string>;
  set?: Record<string, string>;
  remove?: string[];
}

export interface CustomMetadata {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

interface MirrorTarget {
  backendRef: { name: string; namespace?: string; group?: string; kind?: string; port?: number };
  percent?: number;
}

/** `analysis.sessionAffinity`: a visitor who reached the canary is kept on it by a cookie. */
interface SessionAffinity {
  cookieName: string;
  primaryCookieName?: string;
  /** Seconds; Flagger's default is a day. */
  maxAge: number;
  domain?: string;
  path?: string;
  httpOnly?: boolean;
  secure?: boolean;
  partitioned?: boolean;
  sameSite?: string;
}

export interface CanaryAnalysis {
  /** `analysis.interval` in seconds. */
  intervalSeconds: number;
  /** Failed checks before a rollback. */
  threshold: number;
  maxWeight?: number;
  stepWeight?: number;
  stepWeights?: number[];
  /** Blue/green or A/B: successful iterations before promotion; wins over the weights, as in Flagger. */
  iterations?: number;
  /** Weight handed back to primary per promotion step; absent: all at once. */
  stepWeightPromotion?: number;
  /** A/B testing: requests matching any entry go to the canary (with `iterations`). */
  match: RequestMatch[];
  /** Mirror traffic to the canary (one step before shifting; blue/green: for the whole run). */
  mirror: boolean;
  /** Percent of requests mirrored; absent: all. */
  mirrorWeight?: number;
  sessionAffinity?: SessionAffinity;
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
  /** The label `gitcanary.dev/shard`: which `--shard` process reconciles it (absent: the unlabelled shard). */
  shard?: string;
  /** The router in effect: `spec.provider`, else the process's default provider. */
  provider: RouterName;
  /** The API version a router writes, when the provider names one (`gatewayapi:v1beta1`). */
  providerVersion?: string;
  /** `spec.metricsServer`: the Prometheus of this Canary's built-in metrics, over --metrics-server. */
  metricsServer?: string;
  /** `spec.ingressRef`: the Ingress in the repository that the nginx and skipper routers copy. */
  ingressRef?: { name: string };
  service: {
    /** The port the route sends to; absent: the target's first port. */
    port?: number;
    /** The apex (`service.name`): names the route; defaults to the target's name. */
    apexName: string;
    gatewayRefs: GatewayRef[];
    hosts: string[];
    match: RequestMatch[];
    timeout?: string;
    backendTimeout?: string;
    rewrite?: { uri?: string; authority?: string; type?: string };
    headers?: { request?: HeaderOperations; response?: HeaderOperations };
    mirror: MirrorTarget[];
    trafficDistribution?: string;
    /** Istio: the gateways of the VirtualService (none: the mesh). */
    gateways?: string[];
    /** Istio: the VirtualService is a delegate (no hosts, no gateways). */
    delegation?: boolean;
    /** Istio: a route bound to a gateway (or delegated) names service.port in its destinations, as Flagger. */
    portDiscovery?: boolean;
    retries?: RetryPolicy;
    /** Istio's CorsPolicy, as written (only the fields Flagger's schema has). */
    corsPolicy?: Record<string, unknown>;
    /** Istio's TrafficPolicy of both DestinationRules, as written (only the fields Flagger's schema has). */
    trafficPolicy?: Record<string, unknown>;
    apex: CustomMetadata;
    primary: CustomMetadata;
    canary: CustomMetadata;
    /** Label and annotation keys gitcanary never copies or sets (another manager owns them). */
    unmanaged: { labels: string[]; annotations: string[] };
    /** Label and annotation keys of the target never copied (`<prefix>/*` for a prefix): GitOps tools' marks. */
    notCopied: readonly string[];
  };
  analysis: CanaryAnalysis;
  skipAnalysis: boolean;
  suspend: boolean;
  /** `spec.progressDeadlineSeconds` when given (Flagger's default is 600). */
  progressDeadlineSeconds?: number;
  /** `spec.revertOnDeletion`: when the Canary is deleted from git, delete what gitcanary generated for it. */
  revertOnDeletion: boolean;
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
  /** Requests are mirrored to the canary at this step (Flagger's mirror step before any weight moves). */
  mirrored?: boolean;
  /** Commit-only mode: when the cluster was first seen holding this step; its interval counts from here. */
  liveSince?: string;
  /** Checksum of the primary and canary specs gitcanary wrote: a mismatch is a hand edit (hand-edits.ts). */
  checksum?: string;
  /** The Canary's `spec.revertOnDeletion`, kept here because it must be known once the Canary is gone. */
  revertOnDeletion?: boolean;
  /** When the Canary was found deleted from git (its traffic then went to the primary). */
  removed?: string;
  /** Default mode: the last time gitcanary put back objects another field manager had reverted. */
  restored?: Restoration;
  message?: string;
}

/**
 * Objects another field manager (a GitOps tool applying a stale revision) changed away from the committed
 * step, and gitcanary put back: kept in the state so that `status`, reading git alone, can say who did it.
 */
export interface Restoration {
  /** `Kind/name` of each object put back (in the Canary's namespace). */
  objects: string[];
  /** The field managers that had taken their fields, as the API server named them; empty if it named none. */
  managers: string[];
  /** When gitcanary put them back (ISO-8601). */
  at: string;
}

// What every router is: a pure function from a Canary and the traffic of one step to the objects that split
// that traffic, plus the checks of what it can express and of whether its live objects were accepted. The
// planner drives whichever router the Canary names and knows nothing of its objects (DESIGN §7).
import type { CanarySpec, KubeObject, RouterName } from '../model.js';
import type { FieldIssue } from '../manifests/field-issue.js';

/** How traffic is split at one step of a run. */
export interface Traffic {
  /** The canary's percent of the requests the route splits (with A/B matches: of the matched ones). */
  weight: number;
  /** Requests are mirrored to the canary (responses dropped). */
  mirrored: boolean;
  /** Session affinity cookies of this step, `name=value` (analysis.sessionAffinity). */
  cookies?: SessionCookies;
}

export interface SessionCookies {
  /** Set on responses of the canary; a request carrying it stays on the canary. */
  canary?: string;
  /** Set on responses of the primary; a request carrying it stays on the primary. */
  primary?: string;
  /** The cookie of a finished run, expired on the next response. */
  expired?: string;
}

/**
 * Objects of the repository, other than the target, that a router builds from: the Ingress named by
 * `spec.ingressRef` (nginx and skipper copy it). Read from git, never written; resolved by assemble.ts.
 */
export interface RouteReferences {
  ingress?: KubeObject;
}

export interface RouteInput {
  canary: CanarySpec;
  /** The target Service as written (the route's port defaults to its first port). */
  target: KubeObject;
  traffic: Traffic;
  /** What the Canary refers to besides its target; absent for routers that read nothing else. */
  references?: RouteReferences;
}

/** A route object's identity, to read it back from the cluster. */
export interface RouteRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

/** Whether the live route objects carry the committed step; `pending` and `rejected` hold the step. */
export type RouteReadiness =
  { state: 'ready' } | { state: 'pending'; reason: string } | { state: 'rejected'; reason: string };

export interface Router {
  readonly name: RouterName;
  /** False for a router that cannot give the canary a share of the traffic (blue/green only). */
  readonly shiftsTraffic: boolean;
  /** What the Canary asks of this router that it cannot express: errors, with the field. */
  check(canary: CanarySpec, analysisField: string): FieldIssue[];
  /** The objects that route `traffic`, beside the primary and canary Services (none for kubernetes). */
  routes(input: RouteInput): KubeObject[];
  /** The identities of what `routes` returns, in the same order. */
  routeRefs(canary: CanarySpec): RouteRef[];
  /** Reads the live route objects' status (what their controller says of them). */
  readiness(canary: CanarySpec, live: readonly (KubeObject | undefined)[]): RouteReadiness;
  /** Whether `object` is one this router generates (a generated file read without its Canary). */
  owns(object: KubeObject): boolean;
  /**
   * `route` with all traffic sent to the primary: what a Canary deleted from git leaves behind, when only
   * its generated file remains and the Canary's spec is gone.
   */
  toPrimary(route: KubeObject, services: { primary: string; canary: string }): KubeObject;
  /**
   * Annotation keys (prefixes) that only this router sets on what it generates and that come and go with the
   * step (NGINX's canary-by-header): a live one the step no longer wants is drift, so the apply removes it.
   */
  readonly ownedAnnotations?: readonly string[];
}

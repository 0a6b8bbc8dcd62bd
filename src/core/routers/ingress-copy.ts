// What the nginx and skipper routers share: both make a `<ingress>-canary` Ingress from the Ingress the
// Canary's `ingressRef` names (read from the repository, checked by manifests/ingress-ref.ts), as Flagger's
// routers do, and differ only in how its paths and annotations split the traffic.
import type { CanarySpec, KubeObject } from '../model.js';
import type { FieldIssue } from '../manifests/field-issue.js';
import { generatedLabels } from '../generated-objects.js';
import { metadataOf } from '../generated-metadata.js';
import { isRecord } from '../manifests/is-record.js';
import type { RouteInput, RouteReadiness, RouteRef } from './router.js';

type Json = Record<string, unknown>;

export const INGRESS_API_VERSION = 'networking.k8s.io/v1';

/** Describes how the target was applied, not the Ingress; never copied (Flagger drops it too). */
const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';

function canaryIngressName(canary: CanarySpec): string {
  return `${canary.ingressRef?.name ?? canary.service.apexName}-canary`;
}

export function canaryIngressRef(canary: CanarySpec): RouteRef {
  return {
    apiVersion: INGRESS_API_VERSION,
    kind: 'Ingress',
    namespace: canary.namespace,
    name: canaryIngressName(canary),
  };
}

/** The routers that copy an Ingress cannot work without one. */
export function checkIngressRef(canary: CanarySpec, provider: string): FieldIssue[] {
  return canary.ingressRef
    ? []
    : [
        {
          field: 'spec.ingressRef',
          message: `required with provider ${provider}: the Ingress (in the repository) that the canary Ingress is made from`,
        },
      ];
}

/** The Ingress the Canary refers to, which assemble.ts resolved (a router is never called without it). */
export function referencedIngress(input: RouteInput): KubeObject {
  const ingress = input.references?.ingress;
  if (!ingress) throw new Error(`unreachable: no ingressRef Ingress for Canary ${input.canary.name}`);
  return ingress;
}

/**
 * The canary Ingress: the referenced one's spec with each rule's paths passed through `paths`, its labels and
 * annotations (but those `dropped` says are the router's own, and kubectl's last-applied note), ours, and
 * `annotations` last, so the router's always win.
 */
export function canaryIngress(
  canary: CanarySpec,
  ingress: KubeObject,
  paths: (paths: Json[]) => Json[],
  dropped: (key: string) => boolean,
  annotations: Record<string, string>,
): KubeObject {
  const copied = Object.fromEntries(
    Object.entries(ingress.metadata.annotations ?? {}).filter(
      ([key]) => key !== lastApplied && !dropped(key),
    ),
  );
  const metadata = metadataOf(
    canary,
    canaryIngressName(canary),
    generatedLabels(canary),
    { labels: {}, annotations: {} },
    { labels: ingress.metadata.labels ?? {}, annotations: copied },
  );
  const spec = structuredClone(isRecord(ingress.spec) ? ingress.spec : {});
  if (Array.isArray(spec.rules)) {
    spec.rules = (spec.rules as unknown[]).map((rule) => {
      if (!isRecord(rule) || !isRecord(rule.http) || !Array.isArray(rule.http.paths)) return rule;
      return { ...rule, http: { ...rule.http, paths: paths(rule.http.paths as Json[]) } };
    });
  }
  return {
    apiVersion: INGRESS_API_VERSION,
    kind: 'Ingress',
    metadata: { ...metadata, annotations: { ...metadata.annotations, ...annotations } },
    spec,
  };
}

/** The name of the Service a path's backend sends to, if it sends to a Service. */
export function backendServiceName(path: Json): string | undefined {
  const backend = isRecord(path.backend) ? path.backend : {};
  const service = isRecord(backend.service) ? backend.service : {};
  return typeof service.name === 'string' ? service.name : undefined;
}

/** The path sending to `name` instead, everything else (port, path, pathType) as written. */
export function withBackendService(path: Json, name: string): Json {
  const backend = path.backend as Json;
  return { ...path, backend: { ...backend, service: { ...(backend.service as Json), name } } };
}

/**
 * An Ingress has no status that says whether its controller took it; the step waits only until the canary
 * Ingress exists (as the Gateway API router waits for its route).
 */
export function ingressReadiness(
  canary: CanarySpec,
  live: readonly (KubeObject | undefined)[],
): RouteReadiness {
  return live[0]
    ? { state: 'ready' }
    : { state: 'pending', reason: `Ingress ${canaryIngressName(canary)} is not in the cluster yet` };
}

// The SMI router (providers linkerd, osm, smi, smi:v1alpha1|v1alpha2|v1alpha3): one TrafficSplit named after
// the apex that splits the requests for the apex (or the first of service.hosts) between `<target>-canary` and
// `<target>-primary`, in the version the provider names, as Flagger's SMI routers write it: the canary backend
// first, and in v1alpha1 the weights as quantities ("90", as Kubernetes writes a whole number). A TrafficSplit
// routes by weight only: an A/B match or a mirror is warned of and ignored.
import type { CanarySpec, KubeObject } from '../model.js';
import { canaryServiceName, generatedLabels, primaryName } from '../generated-objects.js';
import { metadataOf } from '../generated-metadata.js';
import type { RouteInput, RouteReadiness, RouteRef, Router } from './router.js';

const GROUP = 'split.smi-spec.io';
const DEFAULT_VERSION = 'v1alpha1';

export const smiRouter: Router = {
  name: 'smi',
  shiftsTraffic: true,
  // A/B matches and mirroring, which a TrafficSplit cannot express, are warned of and left out when the
  // Canary is read (the field tree lists no SMI reader for them): nothing is left to refuse.
  check: () => [],
  routes: (input) => [trafficSplit(input)],
  routeRefs: (canary) => [routeRef(canary)],
  readiness,
  owns: (object) => object.kind === 'TrafficSplit' && object.apiVersion.startsWith(`${GROUP}/`),
  toPrimary,
};

/** The canary backend to weight 0, the primary to 100, in the type the file has (v1alpha1: strings). */
function toPrimary(route: KubeObject, services: { primary: string; canary: string }): KubeObject {
  const spec = structuredClone(route.spec ?? {}) as { backends?: { service?: string; weight?: unknown }[] };
  for (const backend of spec.backends ?? []) {
    const weight =
      backend.service === services.primary ? 100 : backend.service === services.canary ? 0 : undefined;
    if (weight !== undefined) backend.weight = typeof backend.weight === 'string' ? String(weight) : weight;
  }
  return { ...route, spec };
}

function apiVersion(canary: CanarySpec): string {
  return `${GROUP}/${canary.providerVersion ?? DEFAULT_VERSION}`;
}

function routeRef(canary: CanarySpec): RouteRef {
  return {
    apiVersion: apiVersion(canary),
    kind: 'TrafficSplit',
    namespace: canary.namespace,
    name: canary.service.apexName,
  };
}

function trafficSplit({ canary, traffic }: RouteInput): KubeObject {
  const version = canary.providerVersion ?? DEFAULT_VERSION;
  // v1alpha1 backends weigh a resource.Quantity, which Kubernetes writes as a string.
  const weight = (w: number) => (version === 'v1alpha1' ? String(w) : w);
  return {
    apiVersion: apiVersion(canary),
    kind: 'TrafficSplit',
    metadata: metadataOf(canary, canary.service.apexName, generatedLabels(canary), canary.service.apex),
    spec: {
      service: canary.service.hosts[0] ?? canary.service.apexName,
      backends: [
        { service: canaryServiceName(canary), weight: weight(traffic.weight) },
        { service: primaryName(canary), weight: weight(100 - traffic.weight) },
      ],
    },
  };
}

/** A TrafficSplit has no status: it counts once it is in the cluster. */
function readiness(canary: CanarySpec, live: readonly (KubeObject | undefined)[]): RouteReadiness {
  return live[0]
    ? { state: 'ready' }
    : { state: 'pending', reason: `TrafficSplit ${canary.service.apexName} is not in the cluster yet` };
}

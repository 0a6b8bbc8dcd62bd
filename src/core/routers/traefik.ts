// The traefik router: a TraefikService named after the apex whose weighted round robin splits requests between
// `<target>-primary` and `<target>-canary`, as Flagger's TraefikRouter writes it (the canary is listed only
// while it has a weight). The person's IngressRoute sends to it by `kind: TraefikService`; gitcanary never
// writes the IngressRoute.
import type { CanarySpec, KubeObject } from '../model.js';
import { canaryServiceName, generatedLabels, primaryName } from '../generated-objects.js';
import { metadataOf } from '../generated-metadata.js';
import type { RouteInput, RouteReadiness, RouteRef, Router } from './router.js';
import { servicePort } from './service-port.js';

const API_VERSION = 'traefik.io/v1alpha1';

export const traefikRouter: Router = {
  name: 'traefik',
  shiftsTraffic: true,
  check: () => [],
  routes: (input) => [traefikService(input)],
  routeRefs: (canary) => [routeRef(canary)],
  readiness,
  owns: (object) => object.kind === 'TraefikService' && object.apiVersion.startsWith('traefik.io/'),
  toPrimary,
};

/** The weighted round robin to the primary alone, as at weight 0 (the canary is listed only with a weight). */
function toPrimary(route: KubeObject, services: { primary: string; canary: string }): KubeObject {
  const spec = structuredClone(route.spec ?? {}) as { weighted?: { services?: Record<string, unknown>[] } };
  const weighted = spec.weighted;
  if (weighted?.services) {
    weighted.services = weighted.services
      .filter((service) => service.name !== services.canary)
      .map((service) => (service.name === services.primary ? { ...service, weight: 100 } : service));
  }
  return { ...route, spec };
}

function routeRef(canary: CanarySpec): RouteRef {
  return {
    apiVersion: API_VERSION,
    kind: 'TraefikService',
    namespace: canary.namespace,
    name: canary.service.apexName,
  };
}

function traefikService({ canary, target, traffic }: RouteInput): KubeObject {
  const port = servicePort(canary, target);
  const service = (name: string, weight: number) => ({
    name,
    namespace: canary.namespace,
    port,
    weight,
  });
  const services = [service(primaryName(canary), 100 - traffic.weight)];
  if (traffic.weight > 0) services.push(service(canaryServiceName(canary), traffic.weight));
  return {
    apiVersion: API_VERSION,
    kind: 'TraefikService',
    metadata: metadataOf(canary, canary.service.apexName, generatedLabels(canary), canary.service.apex),
    spec: { weighted: { services } },
  };
}

/** A TraefikService has no status: the step waits only until it exists. */
function readiness(canary: CanarySpec, live: readonly (KubeObject | undefined)[]): RouteReadiness {
  return live[0]
    ? { state: 'ready' }
    : { state: 'pending', reason: `TraefikService ${canary.service.apexName} is not in the cluster yet` };
}

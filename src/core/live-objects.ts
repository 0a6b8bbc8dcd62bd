// Which live objects a Canary's plan reads, and the one way to go between them as a list (for reading and
// comparing) and as named parts (for planning): its primary and canary Services, then its router's objects.
import { canaryServiceName, primaryName } from './generated-objects.js';
import type { CanarySpec, KubeObject } from './model.js';
import type { LiveObjects } from './plan-rollout.js';
import { routerOf } from './routers/router-registry.js';
import type { RouteRef } from './routers/router.js';

export function liveRefs(canary: CanarySpec): RouteRef[] {
  const service = (name: string): RouteRef => ({
    apiVersion: 'v1',
    kind: 'Service',
    namespace: canary.namespace,
    name,
  });
  return [
    service(primaryName(canary)),
    service(canaryServiceName(canary)),
    ...routerOf(canary.provider).routeRefs(canary),
  ];
}

/** The objects read for `liveRefs`, in its order, as the planner's LiveObjects. */
export function liveObjectsOf(objects: readonly (KubeObject | undefined)[]): LiveObjects {
  const [primary, canary, ...routes] = objects;
  return { primary, canary, routes };
}

/** LiveObjects back into the order of `liveRefs`. */
export function liveList(live: LiveObjects): (KubeObject | undefined)[] {
  return [live.primary, live.canary, ...(live.routes ?? [])];
}

// The skipper router: a `<ingress>-canary` Ingress made from the Canary's `ingressRef` Ingress, each path that
// sends to `<target>-primary` followed by a copy that sends to `<target>-canary`, and Skipper's
// `zalando.org/backend-weights` splitting them, as Flagger's SkipperRouter makes it. Its `Weight(100)`
// predicate puts the canary Ingress's routes before the person's Ingress's; at weight 0 `False()` turns them
// off, and the person's Ingress (which sends to the primary) takes the traffic again.
import type { CanarySpec, KubeObject } from '../model.js';
import { canaryServiceName, primaryName } from '../generated-objects.js';
import {
  backendServiceName,
  canaryIngress,
  canaryIngressRef,
  checkIngressRef,
  ingressReadiness,
  referencedIngress,
  withBackendService,
} from './ingress-copy.js';
import type { RouteInput, Router } from './router.js';

const BACKEND_WEIGHTS = 'zalando.org/backend-weights';
const PREDICATE = 'zalando.org/skipper-predicate';
const FIRST = 'Weight(100)';
const OFF = 'False()';

export const skipperRouter: Router = {
  name: 'skipper',
  shiftsTraffic: true,
  check: (canary) => checkIngressRef(canary, 'skipper'),
  routes: (input) => [ingress(input)],
  routeRefs: (canary) => [canaryIngressRef(canary)],
  readiness: ingressReadiness,
  owns: (object) =>
    object.kind === 'Ingress' &&
    object.apiVersion.startsWith('networking.k8s.io/') &&
    object.metadata.annotations?.[BACKEND_WEIGHTS] !== undefined,
  toPrimary,
};

/** Weight 0 for the canary paths and `False()` in place of `Weight(100)`: the person's Ingress takes it all. */
function toPrimary(route: KubeObject, services: { primary: string; canary: string }): KubeObject {
  const annotations = { ...route.metadata.annotations };
  const weights = Object.fromEntries(
    [services.canary, services.primary].sort().map((name) => [name, name === services.primary ? 100 : 0]),
  );
  annotations[BACKEND_WEIGHTS] = JSON.stringify(weights);
  annotations[PREDICATE] = insertPredicate(annotations[PREDICATE] ?? '', OFF);
  return { ...route, metadata: { ...route.metadata, annotations } };
}

function ingress(input: RouteInput): KubeObject {
  const { canary, traffic } = input;
  const source = referencedIngress(input);
  const primary = primaryName(canary);
  const canaryName = canaryServiceName(canary);
  const written = source.metadata.annotations?.[PREDICATE] ?? '';
  return canaryIngress(
    canary,
    source,
    // Flagger appends the canary copies after the rule's paths, in their order.
    (paths) => [
      ...paths,
      ...paths
        .filter((path) => backendServiceName(path) === primary)
        .map((path) => withBackendService(path, canaryName)),
    ],
    (key) => key === BACKEND_WEIGHTS || key === PREDICATE,
    {
      [BACKEND_WEIGHTS]: backendWeights(canary, traffic.weight),
      [PREDICATE]: insertPredicate(written, traffic.weight > 0 ? FIRST : OFF),
    },
  );
}

/** The JSON Skipper reads, keys sorted as Go's encoder writes Flagger's map. */
function backendWeights(canary: CanarySpec, weight: number): string {
  const weights = { [canaryServiceName(canary)]: weight, [primaryName(canary)]: 100 - weight };
  const sorted = Object.keys(weights).sort();
  return JSON.stringify(Object.fromEntries(sorted.map((key) => [key, weights[key]])));
}

/** `predicate` first, then the person's own predicates without any Weight(100) or False() of ours. */
export function insertPredicate(written: string, predicate: string): string {
  const kept = written
    .split('&&')
    .map((part) => part.trim())
    .filter((part) => part !== '' && part !== FIRST && part !== OFF);
  return [predicate, ...kept].join(' && ');
}

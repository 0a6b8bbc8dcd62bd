// The kinds the live cache watches, and what of each one's status it holds. Services and Gateway API
// HTTPRoutes are watched from the start; the other routers' kinds (Istio, SMI, Contour, Traefik, Ingress) only
// once a Canary needs one and the API server serves it, so a cluster pays for no watch of a kind it does not
// route through, and a kind whose CRD is missing is not retried in a loop.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeObject } from '../core/model.js';

export interface WatchedKind {
  apiVersion: string;
  kind: string;
  /** The collection's path, cluster-wide or in one namespace. */
  path(namespace?: string): string;
  /**
   * Of a managed object's status, what its router's readiness reads (src/core/routers/*.ts); nothing is
   * held when absent. The object's generation is held beside a status, which readiness compares with it.
   */
  status?: (object: KubernetesObject | KubeObject) => unknown;
}

/** A kind watched once a lookup asks for it (any version of its group the API server serves). */
export interface OnDemandKind {
  group: string;
  kind: string;
  status?: WatchedKind['status'];
}

type Json = Record<string, unknown>;

const statusOf = (object: KubernetesObject | KubeObject): Json | undefined =>
  (object as { status?: Json }).status;

const conditionsOfType = (conditions: unknown, type: string): Json[] =>
  Array.isArray(conditions) ? (conditions as Json[]).filter((c) => c.type === type) : [];

/** Drops the keys whose value is undefined, and says undefined when none is left. */
function compact(fields: Json): Json | undefined {
  const kept = Object.entries(fields).filter(([, value]) => value !== undefined);
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/**
 * A Gateway API route: each parent's Accepted condition (a step counts once its gateway accepted the
 * route's current generation; gatewayapi.ts).
 */
function routeAcceptance(object: KubernetesObject | KubeObject): unknown {
  type Parent = { parentRef?: unknown; conditions?: unknown };
  const parents = statusOf(object)?.parents as Parent[] | undefined;
  if (!parents?.length) return undefined;
  return {
    parents: parents.map((parent) => ({
      parentRef: parent.parentRef,
      conditions: conditionsOfType(parent.conditions, 'Accepted'),
    })),
  };
}

/** An Istio VirtualService: the Reconciled condition and the analyzers' errors (istio.ts). */
function istioStatus(object: KubernetesObject | KubeObject): unknown {
  const status = statusOf(object);
  if (!status) return undefined;
  const messages = Array.isArray(status.validationMessages) ? (status.validationMessages as Json[]) : [];
  const errors = messages.filter((m) => m.level === 'ERROR');
  const reconciled = conditionsOfType(status.conditions, 'Reconciled');
  return compact({
    observedGeneration: status.observedGeneration,
    conditions: reconciled.length > 0 ? reconciled : undefined,
    validationMessages: errors.length > 0 ? errors : undefined,
  });
}

/** A Contour HTTPProxy: its currentStatus, description and Valid condition (contour.ts). */
function contourStatus(object: KubernetesObject | KubeObject): unknown {
  const status = statusOf(object);
  if (!status) return undefined;
  const valid = conditionsOfType(status.conditions, 'Valid');
  return compact({
    currentStatus: status.currentStatus,
    description: status.description,
    conditions: valid.length > 0 ? valid : undefined,
  });
}

export const startupKinds: readonly WatchedKind[] = [
  {
    apiVersion: 'v1',
    kind: 'Service',
    path: (ns) => (ns ? `/api/v1/namespaces/${ns}/services` : '/api/v1/services'),
  },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    path: (ns) =>
      ns
        ? `/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/httproutes`
        : '/apis/gateway.networking.k8s.io/v1/httproutes',
    status: routeAcceptance,
  },
];

/** What the routers other than gatewayapi (and gatewayapi at another version than v1) write. */
export const onDemandKinds: readonly OnDemandKind[] = [
  { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', status: routeAcceptance },
  { group: 'networking.istio.io', kind: 'VirtualService', status: istioStatus },
  { group: 'networking.istio.io', kind: 'DestinationRule' },
  { group: 'split.smi-spec.io', kind: 'TrafficSplit' },
  { group: 'projectcontour.io', kind: 'HTTPProxy', status: contourStatus },
  { group: 'traefik.io', kind: 'TraefikService' },
  { group: 'networking.k8s.io', kind: 'Ingress' },
];

/** A kind of a served API resource (`plural` from discovery), to watch. */
export function watchedKindOf(apiVersion: string, onDemand: OnDemandKind, plural: string): WatchedKind {
  return {
    apiVersion,
    kind: onDemand.kind,
    path: (ns) => (ns ? `/apis/${apiVersion}/namespaces/${ns}/${plural}` : `/apis/${apiVersion}/${plural}`),
    ...(onDemand.status ? { status: onDemand.status } : {}),
  };
}

// What of a Service's spec is copied to `<svc>-primary` / `<svc>-canary`, and how a spec is normalized for
// comparison: the fields the API server assigns (cluster IPs, node ports) are dropped, and the ones it
// defaults are dropped when they hold their default, so a spec written by a person and the same spec read
// back from the cluster compare equal. `clusterIP: None` is the exception: it is the author's choice (a
// headless Service, whose DNS name resolves to the pods), so the primary and canary are headless too.

type Json = Record<string, unknown>;

const assignedByServer = ['clusterIP', 'clusterIPs', 'healthCheckNodePort'] as const;

const isHeadless = (spec: Json) =>
  spec.clusterIP === 'None' || (Array.isArray(spec.clusterIPs) && spec.clusterIPs[0] === 'None');

/** The target's spec as it may be copied to another Service: no assigned IPs or node ports. */
export function portableServiceSpec(spec: unknown): Json {
  const copy = structuredClone((spec ?? {}) as Json);
  const headless = isHeadless(copy);
  for (const field of assignedByServer) delete copy[field];
  // The server fills clusterIPs from clusterIP; one of the two says it all.
  if (headless) copy.clusterIP = 'None';
  if (Array.isArray(copy.ports)) {
    copy.ports = (copy.ports as Json[]).map((port) => {
      const rest = { ...port };
      delete rest.nodePort;
      return rest;
    });
  }
  return copy;
}

/** True when the object's spec lists external IPs (see plan-rollout.ts for why they are refused). */
export function hasExternalIPs(object: Record<string, unknown>): boolean {
  const ips = (object.spec as Json | undefined)?.externalIPs;
  return Array.isArray(ips) && ips.length > 0;
}

const specDefaults: Record<string, unknown> = {
  type: 'ClusterIP',
  sessionAffinity: 'None',
  internalTrafficPolicy: 'Cluster',
  externalTrafficPolicy: 'Cluster',
  ipFamilyPolicy: 'SingleStack',
  allocateLoadBalancerNodePorts: true,
  publishNotReadyAddresses: false,
};

/** A portable spec with defaulted fields removed where they hold their default. */
export function normalizedServiceSpec(spec: unknown): Json {
  const normalized = portableServiceSpec(spec);
  for (const [field, value] of Object.entries(specDefaults)) {
    if (normalized[field] === value) delete normalized[field];
  }
  // Assigned from the cluster's configuration, never chosen by us.
  delete normalized.ipFamilies;
  if (normalized.type === 'ExternalName' || normalized.type === undefined) {
    delete normalized.ipFamilyPolicy;
  }
  if (Array.isArray(normalized.ports)) {
    normalized.ports = (normalized.ports as Json[]).map((port) => {
      const copy = { ...port };
      if (copy.protocol === 'TCP') delete copy.protocol;
      if (copy.targetPort === copy.port) delete copy.targetPort;
      return copy;
    });
  }
  return normalized;
}

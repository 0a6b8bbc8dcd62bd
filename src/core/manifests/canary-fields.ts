// Every field of a Canary that gitcanary knows, each classified once: supported (it changes what is generated
// or decided), not applicable to a Service target, or not supported yet. The warnings of `validate`,
// `render` and `reconcile`, the --strict check and the table in docs/flagger-compatibility.md all come from
// this one tree, so they cannot disagree. A field outside the tree is unknown (a typo, most likely).
import type { RouterName } from '../model.js';
import { formatFieldPath } from './manifest-error.js';
import { ACCEPTED_PROVIDERS } from './canary-schema.js';
import { isRecord } from './is-record.js';

type Support = 'supported' | 'not-applicable' | 'not-supported';

/** The JSON shape of a field, as a CRD would declare it. */
type FieldType =
  'object' | 'array' | 'map' | 'string' | 'integer' | 'number' | 'boolean' | 'int-or-string' | 'any';

export interface FieldNode {
  type: FieldType;
  support: Support;
  /** One line for the docs table and the warning: what the field does here, or why it does nothing. */
  note: string;
  /** A supported field that only some routers read; with the others it is not applicable. */
  routers?: readonly RouterName[];
  /** The fields of an object (a closed set: any other key is unknown). */
  fields?: Readonly<Record<string, FieldNode>>;
  /** The element of an array. */
  items?: FieldNode;
  /** The value of each free key of a map. */
  values?: FieldNode;
  /** Extra OpenAPI keywords for our CRD's schema of this field (enum, pattern): the parser checks the same. */
  crd?: Readonly<Record<string, unknown>>;
}

const GATEWAY: readonly RouterName[] = ['gatewayapi'];
// The mesh routers (istio, smi, contour), added to the lists of the fields each reads.
const MESH: readonly RouterName[] = ['istio', 'smi', 'contour'];
const ISTIO_CONTOUR: readonly RouterName[] = ['istio', 'contour'];
const ISTIO: readonly RouterName[] = ['istio'];
/** The routers that copy the Canary's `ingressRef` Ingress (read from the repository). */
const INGRESS_ROUTERS: readonly RouterName[] = ['nginx', 'skipper'];
/** The routers whose route carries a weight for each side (gradual promotion needs one). */
const WEIGHTED: readonly RouterName[] = [...GATEWAY, ...MESH, 'nginx', 'traefik', 'skipper'];
/** The routers that can send a request to the canary by what it carries (A/B). */
const MATCHING: readonly RouterName[] = [...GATEWAY, ...ISTIO_CONTOUR, 'nginx'];

const supported = (type: FieldType, note: string, more: Partial<FieldNode> = {}): FieldNode => ({
  type,
  support: 'supported',
  note,
  ...more,
});
const routed = (type: FieldType, note: string, more: Partial<FieldNode> = {}): FieldNode =>
  supported(type, note, { routers: GATEWAY, ...more });
const notApplicable = (type: FieldType, note: string): FieldNode => ({
  type,
  support: 'not-applicable',
  note,
});
const notSupported = (type: FieldType, note: string): FieldNode => ({
  type,
  support: 'not-supported',
  note,
});
const object = (note: string, fields: Record<string, FieldNode>, more: Partial<FieldNode> = {}) =>
  supported('object', note, { fields, ...more });
const list = (note: string, items: FieldNode, more: Partial<FieldNode> = {}) =>
  supported('array', note, { items, ...more });
const stringMap = (note: string, more: Partial<FieldNode> = {}) =>
  supported('map', note, { values: supported('string', ''), ...more });

const customMetadata = (who: string, routers?: readonly RouterName[]) =>
  supported('object', `labels and annotations added to ${who}`, {
    ...(routers ? { routers } : {}),
    fields: {
      labels: stringMap('added to the labels', routers ? { routers } : {}),
      annotations: stringMap('added to the annotations', routers ? { routers } : {}),
    },
  });

/**
 * Istio's StringMatch as Flagger reads it; Gateway API routes take exact and regex. `routers` read the match
 * (NGINX reads the canary matches to refuse what its annotations cannot say, rather than ignore it).
 */
const stringMatch = (note: string, routers: readonly RouterName[] = [...GATEWAY, ...ISTIO_CONTOUR]) =>
  routed('object', note, {
    routers,
    fields: {
      exact: routed('string', 'exact match', { routers }),
      regex: routed('string', 'regular expression match', { routers }),
      prefix: routed(
        'string',
        'prefix match (gatewayapi: paths only, a header or query prefix is refused, as in Flagger; contour: a header prefix is `contains`, as in Flagger)',
        { routers },
      ),
      suffix: routed(
        'string',
        'suffix match: contour only (a header suffix is `contains`, as in Flagger); Gateway API and Istio have none, refused',
        { routers: ['contour'] },
      ),
    },
  });
/** An Istio-only condition of a match. */
const istioMatch = (type: FieldType, note: string, more: Partial<FieldNode> = {}) =>
  routed(type, `${note} (Istio only)`, { routers: ISTIO, ...more });

const matchFields = (
  at: string,
  routers: readonly RouterName[] = [...GATEWAY, ...ISTIO_CONTOUR],
): Record<string, FieldNode> => ({
  headers: routed('map', `header matches of the ${at} rule`, {
    routers,
    values: stringMatch('one header', routers),
  }),
  queryParams: routed('map', `query parameter matches of the ${at} rule`, {
    routers,
    values: stringMatch('one query parameter', routers),
  }),
  uri: stringMatch(`path match of the ${at} rule`, routers),
  // Contour has no method condition (refused by its router); NGINX reads it only to refuse it too.
  method: stringMatch(
    'method match (gatewayapi: exact only)',
    routers.filter((r) => r !== 'contour'),
  ),
  name: istioMatch('string', 'a name for the match'),
  authority: stringMatch('authority (Host) match (Istio only)', ISTIO),
  scheme: stringMatch('scheme match (Istio only)', ISTIO),
  port: istioMatch('integer', 'port match'),
  sourceLabels: istioMatch('map', 'labels of the calling workloads', {
    values: routed('string', '', { routers: ISTIO }),
  }),
  sourceNamespace: istioMatch('string', 'namespace of the calling workloads'),
  gateways: istioMatch('array', 'gateways the match applies to', {
    items: routed('string', '', { routers: ISTIO }),
  }),
  withoutHeaders: istioMatch('map', 'headers that must not match', {
    values: stringMatch('one header', ISTIO),
  }),
  ignoreUriCase: istioMatch('boolean', 'case-insensitive path match'),
});

const headerOperations = (which: string, routers = [...GATEWAY, ...ISTIO]) =>
  routed('object', `${which} header modifier filter (istio: the route's headers)`, {
    routers,
    fields: {
      add: routed('map', 'headers appended', { routers, values: routed('string', '', { routers }) }),
      set: routed('map', 'headers set', { routers, values: routed('string', '', { routers }) }),
      remove: routed('array', 'headers removed', { routers, items: routed('string', '', { routers }) }),
    },
  });

const targetRef = supported('object', 'the Service released', {
  fields: {
    apiVersion: supported('string', 'v1, core/v1 or none: a core Service'),
    kind: supported('string', 'Service'),
    name: supported('string', 'name of the target Service'),
    namespace: supported('string', "must be the Canary's own namespace (not in Flagger's schema)"),
  },
});

const metric = object('one check', {
  name: supported('string', 'a built-in metric name, or the check name'),
  interval: supported('string', 'the range of the query ({{ interval }})'),
  threshold: supported('number', "Flagger's old form: a minimum for request-success-rate, else a maximum"),
  thresholdRange: object('accepted range', {
    min: supported('number', 'minimum'),
    max: supported('number', 'maximum'),
  }),
  query: supported('string', "Flagger's old inline query (flagger.app only)"),
  templateRef: object('a MetricTemplate in the repository', {
    name: supported('string', 'name'),
    namespace: supported('string', "namespace (default: the Canary's)"),
    apiVersion: supported('string', 'apiVersion of the template (flagger.app or gitcanary.dev)'),
    kind: supported('string', 'MetricTemplate'),
  }),
  templateVariables: stringMap('variables of the template query, escaped where they land'),
});

const webhook = object('one hook', {
  name: supported('string', 'name, sent in the payload'),
  type: supported('string', "Flagger's hook types; empty is rollout"),
  url: supported('string', 'http(s) URL called with the payload, if the address policy allows it'),
  timeout: supported('string', 'per-call timeout (above 60s: taken as 60s, with a warning)'),
  metadata: stringMap('sent in the payload'),
  retries: supported('integer', 'extra attempts (above 10: taken as 10, with a warning)'),
  disableTLS: supported('boolean', 'skip TLS verification'),
  muteAlert: notSupported('boolean', "alerts tell of committed steps, never of a webhook's failure"),
});

/** Session affinity: cookie rules of the Gateway API and Istio routes. */
const affinity = (type: FieldType, note: string, more: Partial<FieldNode> = {}) =>
  routed(type, note, { routers: [...GATEWAY, ...ISTIO], ...more });

const analysisNode = (note: string) =>
  object(note, {
    interval: supported('string', 'time between steps (Flagger: at least 10s; default 1m)', {
      crd: { pattern: '^(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$' },
    }),
    threshold: supported('integer', 'failed checks before rollback (0 means 1, as in Flagger)'),
    maxWeight: supported('integer', 'largest canary weight (above 100 is 100); ignored with stepWeights'),
    stepWeight: supported('integer', 'weight added per step (above 100 is 100)'),
    stepWeights: list('the weights of the steps (above 100 is 100)', supported('integer', '')),
    stepWeightPromotion: routed('integer', 'weight given back to primary per step of the promotion', {
      routers: WEIGHTED,
    }),
    iterations: supported(
      'integer',
      'blue/green or A/B: successful steps before promotion (wins over weights)',
    ),
    match: list(
      'A/B: requests matching any entry go to the canary',
      object('one match', matchFields('canary', MATCHING), { routers: MATCHING }),
      { routers: MATCHING },
    ),
    sessionAffinity: affinity('object', 'a canary visitor stays on the canary (cookie)', {
      fields: {
        cookieName: affinity('string', 'cookie that pins a visitor to the canary'),
        primaryCookieName: affinity('string', 'cookie that pins a visitor to the primary'),
        maxAge: affinity('integer', 'cookie lifetime in seconds (default 86400)'),
        domain: affinity('string', 'cookie Domain'),
        path: affinity('string', 'cookie Path'),
        httpOnly: affinity('boolean', 'cookie HttpOnly'),
        secure: affinity('boolean', 'cookie Secure'),
        partitioned: affinity('boolean', 'cookie Partitioned'),
        sameSite: affinity('string', 'cookie SameSite'),
      },
    }),
    mirror: routed('boolean', 'mirror traffic to the canary before shifting it (blue/green: throughout)', {
      routers: [...GATEWAY, ...ISTIO],
    }),
    mirrorWeight: routed(
      'integer',
      "percent of requests mirrored (Flagger reads it for Istio only; with gatewayapi it is the mirror filter's percent)",
      { routers: [...GATEWAY, ...ISTIO] },
    ),
    primaryReadyThreshold: notApplicable(
      'integer',
      'pod readiness of a workload; a Service target has no pods of its own',
    ),
    canaryReadyThreshold: notApplicable(
      'integer',
      'pod readiness of a workload; a Service target has no pods of its own',
    ),
    metrics: list('checks at each step', metric),
    webhooks: list("Flagger's webhooks", webhook),
    alerts: list(
      'where each committed step is told (AlertProviders; docs/operations.md#alerts)',
      object('one alert', {
        name: supported('string', 'name of the alert'),
        severity: supported('string', 'the least severity told: info (default, everything), warn or error', {
          crd: { enum: ['', 'info', 'warn', 'error'] },
        }),
        providerRef: object('an AlertProvider in the repository', {
          name: supported('string', 'name'),
          namespace: supported('string', "namespace (default: the Canary's)"),
        }),
      }),
    ),
  });

const gatewayRef = routed('object', 'one parent of the route', {
  fields: {
    name: routed('string', 'name of the parent'),
    namespace: routed('string', "namespace of the parent (default: the Canary's)"),
    group: routed('string', 'API group of the parent (Service for GAMMA: "")'),
    kind: routed('string', 'kind of the parent (Gateway, or Service for GAMMA)'),
    sectionName: routed('string', 'listener of the parent'),
    port: routed('integer', 'port of the parent'),
  },
});

const mirrorTarget = routed('object', 'one extra mirror', {
  fields: {
    backendRef: routed('object', 'where to mirror', {
      fields: {
        name: routed('string', 'name'),
        namespace: routed('string', 'namespace'),
        group: routed('string', 'group'),
        kind: routed('string', 'kind'),
        port: routed('integer', 'port'),
      },
    }),
    percent: routed('integer', 'percent of requests mirrored'),
  },
});

/** An Istio-only field (VirtualService or DestinationRule). */
const istioField = (type: FieldType, note: string, more: Partial<FieldNode> = {}) =>
  routed(type, note, { routers: ISTIO, ...more });
const istioObject = (note: string, fields: Record<string, FieldNode>) =>
  istioField('object', note, { fields });
const istioStrings = (note: string) => istioField('array', note, { items: istioField('string', '') });

/** Istio's TrafficPolicy as Flagger's schema has it: written into both DestinationRules as it is. */
const trafficPolicy = istioObject('DestinationRule traffic policy of the primary and the canary', {
  connectionPool: istioObject('connection pool', {
    http: istioObject('HTTP connection pool', {
      h2UpgradePolicy: istioField('string', 'upgrade to HTTP/2', {
        crd: { enum: ['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE'] },
      }),
      http1MaxPendingRequests: istioField('integer', 'pending HTTP/1.1 requests'),
      http2MaxRequests: istioField('integer', 'active HTTP/2 requests'),
      idleTimeout: istioField('string', 'idle timeout of pooled connections'),
      maxRequestsPerConnection: istioField('integer', 'requests per connection'),
      maxRetries: istioField('integer', 'outstanding retries'),
    }),
  }),
  loadBalancer: istioObject('load balancing', {
    consistentHash: istioObject('consistent hashing', {
      httpCookie: istioObject('hash on a cookie', {
        name: istioField('string', 'cookie name'),
        path: istioField('string', 'cookie path'),
        ttl: istioField('string', 'cookie lifetime'),
      }),
      httpHeaderName: istioField('string', 'hash on a header'),
      httpQueryParameterName: istioField('string', 'hash on a query parameter'),
      minimumRingSize: istioField('integer', 'ring hash size'),
      useSourceIp: istioField('boolean', 'hash on the source IP'),
    }),
    localityLbSetting: istioObject('locality load balancing', {
      distribute: istioField('array', 'traffic distribution between localities', {
        items: istioObject('one distribution', {
          from: istioField('string', 'origin locality'),
          to: istioField('map', 'weights of the destination localities', {
            values: istioField('integer', ''),
          }),
        }),
      }),
      enabled: istioField('boolean', 'locality load balancing on or off'),
      failover: istioField('array', 'failover between regions', {
        items: istioObject('one failover', {
          from: istioField('string', 'origin region'),
          to: istioField('string', 'destination region'),
        }),
      }),
    }),
    simple: istioField('string', 'load balancing algorithm', {
      crd: { enum: ['ROUND_ROBIN', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'LEAST_REQUEST'] },
    }),
    warmupDurationSecs: istioField('string', 'slow start of new endpoints'),
  }),
  outlierDetection: istioObject('outlier detection', {
    baseEjectionTime: istioField('string', 'minimum ejection time'),
    consecutive5xxErrors: istioField('integer', '5xx errors before ejection'),
    consecutiveErrors: istioField('integer', 'errors before ejection (deprecated by Istio)'),
    consecutiveGatewayErrors: istioField('integer', 'gateway errors before ejection'),
    consecutiveLocalOriginFailures: istioField('integer', 'local failures before ejection'),
    interval: istioField('string', 'time between sweeps'),
    maxEjectionPercent: istioField('integer', 'largest share of hosts ejected'),
    minHealthPercent: istioField('integer', 'healthy share below which ejection stops'),
    splitExternalLocalOriginErrors: istioField('boolean', 'count local failures apart'),
  }),
  tls: istioObject('TLS to the upstream', {
    caCertificates: istioField('string', 'CA certificates file'),
    clientCertificate: istioField('string', 'client certificate file'),
    mode: istioField('string', 'TLS mode', {
      crd: { enum: ['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'] },
    }),
    privateKey: istioField('string', 'client private key file'),
    sni: istioField('string', 'SNI sent'),
    subjectAltNames: istioStrings('accepted subject alternative names'),
  }),
});

/** The `service` fields only the mesh routers read (Istio's, and retries that Contour reads too). */
const meshService = {
  retries: routed('object', 'retry policy of the route (istio: retries; contour: retryPolicy)', {
    routers: ISTIO_CONTOUR,
    fields: {
      attempts: routed('integer', 'retries (contour: count)', { routers: ISTIO_CONTOUR }),
      perTryTimeout: routed('string', 'timeout of each attempt', { routers: ISTIO_CONTOUR }),
      retryOn: routed('string', 'comma-separated conditions (contour: its retryOn list)', {
        routers: ISTIO_CONTOUR,
      }),
    },
  }),
  corsPolicy: istioObject('CORS policy of the VirtualService routes', {
    allowCredentials: istioField('boolean', 'Access-Control-Allow-Credentials'),
    allowHeaders: istioStrings('Access-Control-Allow-Headers'),
    allowMethods: istioStrings('Access-Control-Allow-Methods'),
    allowOrigin: istioStrings('allowed origins, exact (deprecated by Istio: use allowOrigins)'),
    allowOrigins: istioField('array', 'allowed origins', {
      items: istioObject('one origin', {
        exact: istioField('string', 'exact match'),
        prefix: istioField('string', 'prefix match'),
        regex: istioField('string', 'regular expression match'),
      }),
    }),
    exposeHeaders: istioStrings('Access-Control-Expose-Headers'),
    maxAge: istioField('string', 'Access-Control-Max-Age'),
  }),
  trafficPolicy,
  gateways: istioStrings('gateways of the VirtualService (default: mesh)'),
  delegation: istioField('boolean', 'the VirtualService is a delegate: no hosts, no gateways'),
  // For the Services the target's own ports are copied; Flagger's Istio router also reads it.
  portDiscovery: istioField(
    'boolean',
    "istio: destinations name service.port when the route is bound to a gateway or delegated (the Services copy the target's ports)",
  ),
};

const service = object('how the Services and the route are generated', {
  name: supported('string', 'the apex name: names the route (default: targetRef.name)'),
  port: supported('integer', "the port the route sends to (default: the target's first port)"),
  portName: notApplicable('string', "the target Service's own ports are copied"),
  targetPort: notApplicable('int-or-string', "the target Service's own ports are copied"),
  appProtocol: notApplicable('string', "the target Service's own ports are copied"),
  portDiscovery: meshService.portDiscovery,
  headless: notApplicable('boolean', 'make the target headless (clusterIP: None): its copies follow'),
  trafficDistribution: supported('string', 'spec.trafficDistribution of the primary and canary Services'),
  timeout: routed('string', 'request timeout of the route rules (contour: the response timeout, idle 5m)', {
    routers: [...GATEWAY, ...ISTIO_CONTOUR],
  }),
  backendTimeout: routed('string', 'backend request timeout of the route rules'),
  hosts: routed(
    'array',
    'hostnames of the route (istio: the VirtualService hosts, the apex added; smi: the first is the split service)',
    {
      routers: [...GATEWAY, 'istio', 'smi'],
      items: routed('string', '', { routers: [...GATEWAY, 'istio', 'smi'] }),
    },
  ),
  gatewayRefs: routed('array', 'parents of the route (Gateways, or a Service for GAMMA)', {
    items: gatewayRef,
  }),
  match: routed('array', 'the requests the route takes', {
    routers: [...GATEWAY, ...ISTIO_CONTOUR],
    items: routed('object', 'one match', {
      routers: [...GATEWAY, ...ISTIO_CONTOUR],
      fields: matchFields('route'),
    }),
  }),
  rewrite: routed('object', 'URL rewrite filter (istio: the route rewrite)', {
    routers: [...GATEWAY, ...ISTIO],
    fields: {
      uri: routed('string', 'path rewrite', { routers: [...GATEWAY, ...ISTIO] }),
      authority: routed('string', 'hostname rewrite', { routers: [...GATEWAY, ...ISTIO] }),
      type: routed('string', 'ReplaceFullPath (default) or ReplacePrefixMatch'),
    },
  }),
  headers: routed('object', 'header modifier filters', {
    routers: [...GATEWAY, ...ISTIO],
    fields: { request: headerOperations('request'), response: headerOperations('response') },
  }),
  mirror: routed('array', 'request mirror filters to other backends', { items: mirrorTarget }),
  retries: meshService.retries,
  corsPolicy: meshService.corsPolicy,
  trafficPolicy: meshService.trafficPolicy,
  gateways: meshService.gateways,
  delegation: meshService.delegation,
  meshName: notApplicable('string', 'App Mesh only'),
  backends: notApplicable('array', 'App Mesh only'),
  apex: customMetadata('the route', ['gatewayapi', 'kubernetes', ...MESH, 'traefik']),
  primary: customMetadata('the primary Service'),
  canary: customMetadata('the canary Service'),
  unmanagedMetadata: supported(
    'object',
    'label and annotation keys never copied or set on generated objects',
    {
      fields: {
        labels: list('label keys', supported('string', '')),
        annotations: list('annotation keys', supported('string', '')),
      },
    },
  ),
});

const specFields = (analysisKeys: readonly ('analysis' | 'canaryAnalysis')[]): Record<string, FieldNode> => ({
  provider: supported('string', 'the router (default: --default-provider)', {
    crd: { enum: ACCEPTED_PROVIDERS },
  }),
  metricsServer: supported('string', 'Prometheus of the built-in metrics and inline queries for this Canary'),
  targetRef,
  service: service,
  ...Object.fromEntries(analysisKeys.map((key) => [key, analysisNode('the analysis')])),
  progressDeadlineSeconds: supported(
    'integer',
    'commit-only mode: rollback when the cluster does not catch up',
  ),
  skipAnalysis: supported('boolean', 'promote without analysis'),
  suspend: supported('boolean', 'no runs until unset'),
  revertOnDeletion: supported(
    'boolean',
    'deleting the Canary from git deletes what gitcanary generated for it',
  ),
  autoscalerRef: notApplicable('object', 'a Service target has no workload to scale'),
  ingressRef: routed('object', 'the Ingress in the repository that the canary Ingress is made from', {
    routers: INGRESS_ROUTERS,
    fields: {
      apiVersion: routed('string', 'networking.k8s.io/v1 (read as v1 whatever it says, as in Flagger)', {
        routers: INGRESS_ROUTERS,
      }),
      kind: routed('string', 'Ingress', { routers: INGRESS_ROUTERS }),
      name: routed('string', "name of the Ingress, in the Canary's namespace", { routers: INGRESS_ROUTERS }),
    },
  }),
  routeRef: notApplicable('object', 'the APISIX router; no APISIX router yet'),
  upstreamRef: notApplicable('object', 'the Gloo router; no Gloo router yet'),
});

const metadata = supported('object', 'name, namespace, labels, annotations (gates)', {
  fields: {
    name: supported('string', 'the Canary name; names the generated file'),
    namespace: supported('string', 'namespace of the Canary and of everything generated'),
    labels: stringMap('labels of the Canary'),
    annotations: stringMap('gates: gitcanary.dev/approve, abort, paused, …'),
  },
});

/** Fields Kubernetes sets on objects it serves; a Canary exported from a cluster carries them. */
const serverSet = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields'];

const documentNode = (analysisKeys: readonly ('analysis' | 'canaryAnalysis')[]): FieldNode =>
  object('a Canary', {
    apiVersion: supported('string', 'gitcanary.dev/v1alpha1, flagger.app/v1beta1 or flagger.app/v1alpha3'),
    kind: supported('string', 'Canary'),
    metadata: {
      ...metadata,
      fields: {
        ...metadata.fields,
        ...Object.fromEntries(
          serverSet.map((key) => [
            key,
            notApplicable('any', 'set by an API server; read from git it means nothing'),
          ]),
        ),
      },
    },
    spec: object('the release', specFields(analysisKeys)),
    status: notApplicable(
      'object',
      'status is written by a controller; gitcanary keeps its state in the generated file',
    ),
  });

/** The tree of each accepted apiVersion: v1beta1 reads both analysis blocks, v1alpha3 only the old one. */
export const canaryFieldTrees = {
  'gitcanary.dev/v1alpha1': documentNode(['analysis']),
  'flagger.app/v1beta1': documentNode(['analysis', 'canaryAnalysis']),
  'flagger.app/v1alpha3': documentNode(['canaryAnalysis']),
} as const;

/**
 * Whether `router` acts on the field at `path` (every node on the way supported and read by it). What it
 * does not act on is warned of as ignored, and the normalizer leaves it out, so that "ignored" is true.
 */
export function readsField(tree: FieldNode, path: readonly string[], router: RouterName): boolean {
  let node: FieldNode | undefined = tree;
  for (const key of path) {
    node = node.fields?.[key];
    if (!node || node.support !== 'supported' || (node.routers && !node.routers.includes(router)))
      return false;
  }
  return true;
}

interface FieldWarning {
  field: string;
  message: string;
}

/**
 * The warnings for a Canary document: each present field that does nothing here, once for its whole
 * subtree, and each unknown field (with the nearest known name when one is close). `router` is the router
 * in effect, so a field only another router reads is reported as having no effect.
 */
export function classifyFields(document: unknown, tree: FieldNode, router: RouterName): FieldWarning[] {
  const warnings: FieldWarning[] = [];
  walk(document, tree, [], router, warnings);
  return warnings;
}

function walk(
  value: unknown,
  node: FieldNode,
  path: PropertyKey[],
  router: RouterName,
  out: FieldWarning[],
): void {
  if (value === null || value === undefined) return;
  const field = formatFieldPath(path);
  if (node.support !== 'supported') {
    out.push({ field, message: unsupportedMessage(node) });
    return;
  }
  if (node.routers && !node.routers.includes(router)) {
    out.push({
      field,
      message: `has no effect with provider ${router} (read by ${node.routers.join(', ')}); ignored`,
    });
    return;
  }
  if (node.fields && isRecord(value)) {
    for (const [key, child] of Object.entries(value)) {
      const childNode = node.fields[key];
      if (childNode) walk(child, childNode, [...path, key], router, out);
      else
        out.push({
          field: formatFieldPath([...path, key]),
          message: unknownMessage(key, Object.keys(node.fields)),
        });
    }
  } else if (node.items && Array.isArray(value)) {
    const items = node.items;
    value.forEach((item, index) => walk(item, items, [...path, index], router, out));
  } else if (node.values && isRecord(value)) {
    const values = node.values;
    for (const [key, child] of Object.entries(value)) walk(child, values, [...path, key], router, out);
  }
}

function unsupportedMessage(node: FieldNode): string {
  return node.support === 'not-applicable'
    ? `not applicable to a Service target: ${node.note}; ignored`
    : `not supported yet: ${node.note}; ignored`;
}

function unknownMessage(key: string, known: readonly string[]): string {
  const nearest = known
    .map((name) => ({ name, distance: editDistance(key.toLowerCase(), name.toLowerCase()) }))
    .sort((a, b) => a.distance - b.distance)[0];
  const close = nearest && nearest.distance <= Math.max(2, Math.floor(key.length / 4));
  return `unknown field; ignored${close ? ` (did you mean ${nearest.name}?)` : ''}`;
}

/** Levenshtein distance, for "did you mean"; names are short, so the quadratic table is fine. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

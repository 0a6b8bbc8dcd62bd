// Every field of a Canary that gitcanary knows, each classified once: supported (it changes what is generated
// or decided), not applicable to a Service target, or not supported yet. The warnings of `validate`,
// `render` and `reconcile`, the --strict check and the table in docs/flagger-compatibility.md all come from
// this one tree, so they cannot disagree. A field outside the tree is unknown (a typo, most likely).
import type { RouterName } from '../model.js';
import { formatFieldPath } from './manifest-error.js';
import { ACCEPTED_PROVIDERS } from './canary-schema.js';
import { isRecord } from './is-record.js';

export type Support = 'supported' | 'not-applicable' | 'not-supported';

/** The JSON shape of a field, as a CRD would declare it. */
export type FieldType =
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
/** The routers that copy the Canary's `ingressRef` Ingress (read from the repository). */
export const INGRESS_ROUTERS: readonly RouterName[] = ['nginx', 'skipper'];
/** The routers whose route carries a weight for each side (gradual promotion needs one). */
const WEIGHTED: readonly RouterName[] = ['gatewayapi', 'nginx', 'traefik', 'skipper'];
/** The routers that can send a request to the canary by what it carries (A/B). */
const MATCHING: readonly RouterName[] = ['gatewayapi', 'nginx'];

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
const stringMatch = (note: string, routers: readonly RouterName[] = GATEWAY) =>
  routed('object', note, {
    routers,
    fields: {
      exact: routed('string', 'exact match', { routers }),
      regex: routed('string', 'regular expression match', { routers }),
      prefix: routed(
        'string',
        'prefix match (paths only; a header or query prefix is refused, as in Flagger)',
        { routers },
      ),
      suffix: notSupported('string', 'no Gateway API match type; refused'),
    },
  });

const matchFields = (at: string, routers: readonly RouterName[] = GATEWAY): Record<string, FieldNode> => ({
  headers: routed('map', `header matches of the ${at} rule`, {
    routers,
    values: stringMatch('one header', routers),
  }),
  queryParams: routed('map', `query parameter matches of the ${at} rule`, {
    routers,
    values: stringMatch('one query parameter', routers),
  }),
  uri: stringMatch(`path match of the ${at} rule`, routers),
  method: stringMatch('method match (exact only)', routers),
  name: notApplicable('string', 'a name for Istio routes only'),
  authority: notSupported('object', 'no Gateway API match on the authority'),
  scheme: notSupported('object', 'no Gateway API match on the scheme'),
  port: notSupported('integer', 'no Gateway API match on the port'),
  sourceLabels: notSupported('map', 'a mesh-only match (Istio)'),
  sourceNamespace: notSupported('string', 'a mesh-only match (Istio)'),
  gateways: notSupported('array', 'an Istio-only match'),
  withoutHeaders: notSupported('map', 'an Istio-only match'),
  ignoreUriCase: notSupported('boolean', 'an Istio-only match'),
});

const headerOperations = (which: string) =>
  routed('object', `${which} header modifier filter`, {
    fields: {
      add: routed('map', 'headers appended', { values: routed('string', '') }),
      set: routed('map', 'headers set', { values: routed('string', '') }),
      remove: routed('array', 'headers removed', { items: routed('string', '') }),
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
  templateVariables: stringMap('variables of the template query'),
});

const webhook = object('one hook', {
  name: supported('string', 'name, sent in the payload'),
  type: supported('string', "Flagger's hook types; empty is rollout"),
  url: supported('string', 'http(s) URL called with the payload'),
  timeout: supported('string', 'per-call timeout'),
  metadata: stringMap('sent in the payload'),
  retries: supported('integer', 'extra attempts'),
  disableTLS: supported('boolean', 'skip TLS verification'),
  muteAlert: notSupported('boolean', 'gitcanary sends no alerts yet'),
});

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
    sessionAffinity: routed('object', 'a canary visitor stays on the canary (cookie)', {
      fields: {
        cookieName: routed('string', 'cookie that pins a visitor to the canary'),
        primaryCookieName: routed('string', 'cookie that pins a visitor to the primary'),
        maxAge: routed('integer', 'cookie lifetime in seconds (default 86400)'),
        domain: routed('string', 'cookie Domain'),
        path: routed('string', 'cookie Path'),
        httpOnly: routed('boolean', 'cookie HttpOnly'),
        secure: routed('boolean', 'cookie Secure'),
        partitioned: routed('boolean', 'cookie Partitioned'),
        sameSite: routed('string', 'cookie SameSite'),
      },
    }),
    mirror: routed('boolean', 'mirror traffic to the canary before shifting it (blue/green: throughout)'),
    mirrorWeight: routed(
      'integer',
      "percent of requests mirrored (Flagger reads it for Istio only; here it is the mirror filter's percent)",
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
    alerts: notSupported('array', 'gitcanary sends no alerts yet'),
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

const service = object('how the Services and the route are generated', {
  name: supported('string', 'the apex name: names the route (default: targetRef.name)'),
  port: supported('integer', "the port the route sends to (default: the target's first port)"),
  portName: notApplicable('string', "the target Service's own ports are copied"),
  targetPort: notApplicable('int-or-string', "the target Service's own ports are copied"),
  appProtocol: notApplicable('string', "the target Service's own ports are copied"),
  portDiscovery: notApplicable('boolean', "the target Service's own ports are copied"),
  headless: notApplicable('boolean', 'make the target headless (clusterIP: None): its copies follow'),
  trafficDistribution: supported('string', 'spec.trafficDistribution of the primary and canary Services'),
  timeout: routed('string', 'request timeout of the route rules'),
  backendTimeout: routed('string', 'backend request timeout of the route rules'),
  hosts: routed('array', 'hostnames of the route', { items: routed('string', '') }),
  gatewayRefs: routed('array', 'parents of the route (Gateways, or a Service for GAMMA)', {
    items: gatewayRef,
  }),
  match: routed('array', 'the requests the route takes', {
    items: routed('object', 'one match', { fields: matchFields('route') }),
  }),
  rewrite: routed('object', 'URL rewrite filter', {
    fields: {
      uri: routed('string', 'path rewrite'),
      authority: routed('string', 'hostname rewrite'),
      type: routed('string', 'ReplaceFullPath (default) or ReplacePrefixMatch'),
    },
  }),
  headers: routed('object', 'header modifier filters', {
    fields: { request: headerOperations('request'), response: headerOperations('response') },
  }),
  mirror: routed('array', 'request mirror filters to other backends', { items: mirrorTarget }),
  retries: notSupported('object', 'retries are not in the Gateway API standard channel'),
  corsPolicy: notSupported('object', 'the CORS filter is not in the Gateway API standard channel'),
  trafficPolicy: notApplicable('object', 'Istio DestinationRule settings; no Istio router yet'),
  gateways: notApplicable('array', 'Istio gateways; use gatewayRefs'),
  delegation: notApplicable('boolean', 'Istio delegation'),
  meshName: notApplicable('string', 'App Mesh only'),
  backends: notApplicable('array', 'App Mesh only'),
  apex: customMetadata('the route', ['gatewayapi', 'kubernetes', 'traefik']),
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
  revertOnDeletion: notSupported('boolean', 'deleting a Canary from git does nothing to the cluster yet'),
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

export interface FieldWarning {
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

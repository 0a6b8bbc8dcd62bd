// The shape of a Canary document in each accepted apiVersion. These schemas check types and ranges field by
// field; rules that relate fields (stepWeight vs maxWeight, …) and defaults live in normalize-canary.ts.
// Fields that do nothing here (autoscalerRef, routeRef, …) are not read: canary-fields.ts classifies them
// and warns. A YAML `null` is taken as "not set", as Kubernetes does.
import { z } from 'zod';
import type { RouterName } from '../model.js';

export const GITCANARY_V1ALPHA1 = 'gitcanary.dev/v1alpha1';
export const FLAGGER_V1BETA1 = 'flagger.app/v1beta1';
export const FLAGGER_V1ALPHA3 = 'flagger.app/v1alpha3';

const CANARY_API_VERSIONS = [GITCANARY_V1ALPHA1, FLAGGER_V1BETA1, FLAGGER_V1ALPHA3] as const;
type CanaryApiVersion = (typeof CANARY_API_VERSIONS)[number];

/** Every provider Flagger knows (its CRD's enum, plus the unversioned `gatewayapi` and `smi`). */
export const FLAGGER_PROVIDERS = [
  'apisix',
  'appmesh',
  'appmesh:v1beta2',
  'contour',
  'gatewayapi',
  'gatewayapi:v1',
  'gatewayapi:v1beta1',
  'gloo',
  'istio',
  'knative',
  'kubernetes',
  'kuma',
  'linkerd',
  'nginx',
  'osm',
  'skipper',
  'smi',
  'smi:v1alpha1',
  'smi:v1alpha2',
  'smi:v1alpha3',
  'traefik',
] as const;

/**
 * The mesh providers and the TrafficSplit version each writes: the one Flagger's router factory picks (linkerd
 * the v1alpha1 router, osm the v1alpha2 one). Plain `smi`, which Flagger's CRD does not accept and its factory
 * hands to Istio, is taken as Flagger's generic SMI router, v1alpha1 (docs/routers/smi.md says why).
 */
const MESH_PROVIDER_ROUTERS: Readonly<Record<string, { router: RouterName; version?: string }>> = {
  istio: { router: 'istio' },
  linkerd: { router: 'smi', version: 'v1alpha1' },
  smi: { router: 'smi', version: 'v1alpha1' },
  'smi:v1alpha1': { router: 'smi', version: 'v1alpha1' },
  'smi:v1alpha2': { router: 'smi', version: 'v1alpha2' },
  'smi:v1alpha3': { router: 'smi', version: 'v1alpha3' },
  osm: { router: 'smi', version: 'v1alpha2' },
  contour: { router: 'contour' },
};

/** The providers gitcanary routes for, and the router each names. */
export const PROVIDER_ROUTERS: Readonly<Record<string, { router: RouterName; version?: string }>> = {
  kubernetes: { router: 'kubernetes' },
  gatewayapi: { router: 'gatewayapi', version: 'v1' },
  'gatewayapi:v1': { router: 'gatewayapi', version: 'v1' },
  'gatewayapi:v1beta1': { router: 'gatewayapi', version: 'v1beta1' },
  ...MESH_PROVIDER_ROUTERS,
  nginx: { router: 'nginx' },
  traefik: { router: 'traefik' },
  skipper: { router: 'skipper' },
};
export const ACCEPTED_PROVIDERS = Object.keys(PROVIDER_ROUTERS);

const WEIGHT = 'must be a whole number of percent (0 or more; above 100 is taken as 100)';

const Name = z.string().min(1, 'must not be empty');
// Flagger reads weights as plain integers; above 100 is clamped in normalize-canary.ts, as Flagger's totals do.
const Weight = z.int(WEIGHT).min(0, WEIGHT);
const StringMap = z.record(z.string(), z.string('must be a string (quote it in YAML)'));
const Port = z
  .int('must be a port number')
  .min(1, 'must be from 1 to 65535')
  .max(65535, 'must be from 1 to 65535');

export const ObjectMeta = z.object({
  name: Name,
  namespace: Name.nullish(),
  labels: StringMap.nullish(),
  annotations: StringMap.nullish(),
});
export type ObjectMeta = z.infer<typeof ObjectMeta>;

/** A core Service: `v1`, Flagger's own `core/v1`, or no apiVersion at all. */
const CORE_SERVICE_API_VERSIONS = ['v1', 'core/v1'] as const;

const CanaryTargetRef = z.object({
  // A Knative or other `Service` kind is not a core Service.
  apiVersion: z
    .enum(CORE_SERVICE_API_VERSIONS, { error: 'must be v1 or core/v1 (a core Service)' })
    .nullish(),
  kind: z.literal('Service', {
    error: 'must be Service: gitcanary releases Services; Deployment targets are not supported',
  }),
  name: Name,
  // Not in Flagger's schema; accepted only when it names the Canary's own namespace (normalize-canary.ts).
  namespace: Name.nullish(),
});
type CanaryTargetRef = z.infer<typeof CanaryTargetRef>;

const CanaryGatewayRef = z.object({
  name: Name,
  namespace: Name.nullish(),
  group: z.string().nullish(),
  kind: Name.nullish(),
  sectionName: Name.nullish(),
  port: Port.nullish(),
});
type CanaryGatewayRef = z.infer<typeof CanaryGatewayRef>;

const StringMatch = z.object({
  exact: z.string().nullish(),
  prefix: z.string().nullish(),
  regex: z.string().nullish(),
  suffix: z.string().nullish(),
});
// Istio's HTTPMatchRequest conditions that only the istio router writes.
const IstioMatchFields = {
  name: z.string().nullish(),
  authority: StringMatch.nullish(),
  scheme: StringMatch.nullish(),
  port: Port.nullish(),
  sourceLabels: StringMap.nullish(),
  sourceNamespace: z.string().nullish(),
  gateways: z.array(Name).nullish(),
  withoutHeaders: z.record(z.string(), StringMatch).nullish(),
  ignoreUriCase: z.boolean().nullish(),
};
export const HttpMatch = z.object({
  uri: StringMatch.nullish(),
  method: StringMatch.nullish(),
  headers: z.record(z.string(), StringMatch).nullish(),
  queryParams: z.record(z.string(), StringMatch).nullish(),
  ...IstioMatchFields,
});
export type HttpMatch = z.infer<typeof HttpMatch>;

const HeaderOperations = z.object({
  add: StringMap.nullish(),
  set: StringMap.nullish(),
  remove: z.array(z.string()).nullish(),
});
const CustomMetadata = z.object({ labels: StringMap.nullish(), annotations: StringMap.nullish() });

// The `service` fields of the mesh routers (Istio's VirtualService and DestinationRule, Contour's retries).
// corsPolicy and trafficPolicy are Istio's own objects: their fields are checked and kept against the field
// tree (canary-fields.ts), which holds Flagger's schema of them.
const MeshServiceFields = {
  gateways: z.array(Name).nullish(),
  delegation: z.boolean().nullish(),
  portDiscovery: z.boolean().nullish(),
  retries: z
    .object({
      attempts: z.int('must be an integer').min(0, 'must not be negative').nullish(),
      perTryTimeout: z.string('must be a duration such as 5s').nullish(),
      retryOn: z.string().nullish(),
    })
    .nullish(),
  corsPolicy: z.record(z.string(), z.unknown()).nullish(),
  trafficPolicy: z.record(z.string(), z.unknown()).nullish(),
};

export const CanaryServiceSpec = z.object({
  port: z
    .int({ error: (issue) => (issue.input === undefined ? 'required' : 'must be a port number') })
    .min(1, 'must be from 1 to 65535')
    .max(65535, 'must be from 1 to 65535')
    .nullish(),
  name: Name.nullish(),
  gatewayRefs: z.array(CanaryGatewayRef).nullish(),
  hosts: z.array(Name).nullish(),
  match: z.array(HttpMatch).nullish(),
  timeout: z.string('must be a duration such as 10s').nullish(),
  backendTimeout: z.string('must be a duration such as 10s').nullish(),
  rewrite: z
    .object({
      uri: z.string().nullish(),
      authority: z.string().nullish(),
      type: z
        .enum(['ReplaceFullPath', 'ReplacePrefixMatch', ''], 'must be ReplaceFullPath or ReplacePrefixMatch')
        .nullish(),
    })
    .nullish(),
  headers: z.object({ request: HeaderOperations.nullish(), response: HeaderOperations.nullish() }).nullish(),
  mirror: z
    .array(
      z.object({
        backendRef: z.object({
          name: Name,
          namespace: Name.nullish(),
          group: z.string().nullish(),
          kind: Name.nullish(),
          port: Port.nullish(),
        }),
        percent: z
          .int('must be an integer')
          .min(0, 'must be from 0 to 100')
          .max(100, 'must be from 0 to 100')
          .nullish(),
      }),
    )
    .nullish(),
  trafficDistribution: z.string().nullish(),
  ...MeshServiceFields,
  apex: CustomMetadata.nullish(),
  primary: CustomMetadata.nullish(),
  canary: CustomMetadata.nullish(),
  unmanagedMetadata: z
    .object({ labels: z.array(z.string()).nullish(), annotations: z.array(z.string()).nullish() })
    .nullish(),
});
export type CanaryServiceSpec = z.infer<typeof CanaryServiceSpec>;

const SAME_SITE = ['Strict', 'Lax', 'None'] as const;

export const CanaryAnalysisSpec = z.object({
  interval: z.string('must be a duration such as 1m or 30s').nullish(),
  // Flagger takes 0 (and no value) as 1.
  threshold: z.int('must be an integer').min(0, 'must not be negative').nullish(),
  maxWeight: Weight.nullish(),
  stepWeight: Weight.nullish(),
  // Range and order are checked in the normalizer, so the error names the list and says which step.
  stepWeights: z.array(z.int('must be an integer')).nullish(),
  stepWeightPromotion: Weight.nullish(),
  iterations: z.int('must be an integer').min(0, 'must not be negative').nullish(),
  match: z.array(HttpMatch).nullish(),
  mirror: z.boolean().nullish(),
  mirrorWeight: z
    .int('must be an integer')
    .min(0, 'must be from 0 to 100')
    .max(100, 'must be from 0 to 100')
    .nullish(),
  sessionAffinity: z
    .object({
      cookieName: Name,
      primaryCookieName: z.string().nullish(),
      maxAge: z.int('must be a number of seconds').min(0, 'must not be negative').nullish(),
      domain: z.string().nullish(),
      path: z.string().nullish(),
      httpOnly: z.boolean().nullish(),
      secure: z.boolean().nullish(),
      partitioned: z.boolean().nullish(),
      sameSite: z.enum(SAME_SITE, `must be one of ${SAME_SITE.join(', ')}`).nullish(),
    })
    .nullish(),
  metrics: z.array(z.unknown()).nullish(),
  webhooks: z.array(z.unknown()).nullish(),
  alerts: z.array(z.unknown()).nullish(),
});
export type CanaryAnalysisSpec = z.infer<typeof CanaryAnalysisSpec>;

const commonSpecFields = {
  // Checked against FLAGGER_PROVIDERS and PROVIDER_ROUTERS in normalize-canary.ts, for a message that says which.
  provider: z.string('must be a provider name').nullish(),
  metricsServer: z.string('must be a URL').nullish(),
  targetRef: CanaryTargetRef,
  service: CanaryServiceSpec.nullish(),
  skipAnalysis: z.boolean().nullish(),
  suspend: z.boolean().nullish(),
  revertOnDeletion: z.boolean().nullish(),
  progressDeadlineSeconds: z.int().min(0, 'must not be negative').nullish(),
  // Flagger reads the Ingress as networking.k8s.io/v1 whatever apiVersion says, and so does gitcanary.
  ingressRef: z
    .object({
      apiVersion: z.string().nullish(),
      kind: z.literal('Ingress', { error: 'must be Ingress' }).nullish(),
      name: Name,
    })
    .nullish(),
};

const GitcanaryCanaryV1alpha1 = z.object({
  apiVersion: z.literal(GITCANARY_V1ALPHA1),
  kind: z.literal('Canary'),
  metadata: ObjectMeta,
  spec: z.object({ ...commonSpecFields, analysis: CanaryAnalysisSpec.nullish() }),
});
type GitcanaryCanaryV1alpha1 = z.infer<typeof GitcanaryCanaryV1alpha1>;

const FlaggerCanaryV1beta1 = z.object({
  apiVersion: z.literal(FLAGGER_V1BETA1),
  kind: z.literal('Canary'),
  metadata: ObjectMeta,
  // v1beta1 still reads the deprecated `canaryAnalysis` when `analysis` is absent.
  spec: z.object({
    ...commonSpecFields,
    analysis: CanaryAnalysisSpec.nullish(),
    canaryAnalysis: CanaryAnalysisSpec.nullish(),
  }),
});
type FlaggerCanaryV1beta1 = z.infer<typeof FlaggerCanaryV1beta1>;

const FlaggerCanaryV1alpha3 = z.object({
  apiVersion: z.literal(FLAGGER_V1ALPHA3),
  kind: z.literal('Canary'),
  metadata: ObjectMeta,
  spec: z.object({ ...commonSpecFields, canaryAnalysis: CanaryAnalysisSpec.nullish() }),
});
type FlaggerCanaryV1alpha3 = z.infer<typeof FlaggerCanaryV1alpha3>;

export const CanaryDocument = z.discriminatedUnion('apiVersion', [
  GitcanaryCanaryV1alpha1,
  FlaggerCanaryV1beta1,
  FlaggerCanaryV1alpha3,
]);
export type CanaryDocument = z.infer<typeof CanaryDocument>;

export function isCanaryApiVersion(apiVersion: unknown): apiVersion is CanaryApiVersion {
  return (CANARY_API_VERSIONS as readonly unknown[]).includes(apiVersion);
}

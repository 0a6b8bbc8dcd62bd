// The shape of a Canary document in each accepted apiVersion. These schemas check types and ranges field by
// field; rules that relate fields (stepWeight vs maxWeight, …) and defaults live in normalize-canary.ts.
// Fields Flagger has but a Service target has no use for (autoscalerRef, ingressRef, …) are let through
// unread. A YAML `null` is taken as "not set", as Kubernetes does.
import { z } from 'zod';

export const GITCANARY_V1ALPHA1 = 'gitcanary.dev/v1alpha1';
export const FLAGGER_V1BETA1 = 'flagger.app/v1beta1';
export const FLAGGER_V1ALPHA3 = 'flagger.app/v1alpha3';

export const CANARY_API_VERSIONS = [GITCANARY_V1ALPHA1, FLAGGER_V1BETA1, FLAGGER_V1ALPHA3] as const;
export type CanaryApiVersion = (typeof CANARY_API_VERSIONS)[number];

/** Flagger's provider names that route with what gitcanary generates; the others need a mesh or ingress. */
export const ACCEPTED_PROVIDERS = [
  'kubernetes',
  'gatewayapi',
  'gatewayapi:v1',
  'gatewayapi:v1beta1',
] as const;

const PERCENT = 'must be an integer from 1 to 100';

const Name = z.string().min(1, 'must not be empty');
const Percent = z.int(PERCENT).min(1, PERCENT).max(100, PERCENT);
const StringMap = z.record(z.string(), z.string('must be a string (quote it in YAML)'));

export const ObjectMeta = z.object({
  name: Name,
  namespace: Name.nullish(),
  labels: StringMap.nullish(),
  annotations: StringMap.nullish(),
});
export type ObjectMeta = z.infer<typeof ObjectMeta>;

export const CanaryTargetRef = z.object({
  // A Knative or other `Service` kind is not a core Service: only `v1` (or no apiVersion) is.
  apiVersion: z.literal('v1', { error: 'must be v1 (a core Service)' }).nullish(),
  kind: z.literal('Service', {
    error: 'must be Service: gitcanary releases Services; Deployment targets are not supported',
  }),
  name: Name,
});
export type CanaryTargetRef = z.infer<typeof CanaryTargetRef>;

export const CanaryGatewayRef = z.object({
  name: Name,
  namespace: Name.nullish(),
  sectionName: Name.nullish(),
});
export type CanaryGatewayRef = z.infer<typeof CanaryGatewayRef>;

export const CanaryServiceSpec = z.object({
  port: z
    .int({ error: (issue) => (issue.input === undefined ? 'required' : 'must be a port number') })
    .min(1, 'must be from 1 to 65535')
    .max(65535, 'must be from 1 to 65535'),
  name: Name.nullish(),
  // Kept for Flagger compatibility; the primary and canary Services copy the target's ports instead.
  targetPort: z.union([z.int(), z.string()], 'must be a port number or name').nullish(),
  gatewayRefs: z.array(CanaryGatewayRef).nullish(),
  hosts: z.array(Name).nullish(),
});
export type CanaryServiceSpec = z.infer<typeof CanaryServiceSpec>;

export const CanaryAnalysisSpec = z.object({
  interval: z.string('must be a duration such as 1m or 30s').nullish(),
  threshold: z.int('must be an integer of at least 1').min(1, 'must be at least 1').nullish(),
  maxWeight: Percent.nullish(),
  stepWeight: Percent.nullish(),
  // Range and order are checked in the normalizer, so the error names the list and says which step.
  stepWeights: z.array(z.int('must be an integer')).nullish(),
  iterations: z.int('must be an integer of at least 1').min(1, 'must be at least 1').nullish(),
  metrics: z.array(z.unknown()).nullish(),
  webhooks: z.array(z.unknown()).nullish(),
  alerts: z.array(z.unknown()).nullish(),
});
export type CanaryAnalysisSpec = z.infer<typeof CanaryAnalysisSpec>;

const commonSpecFields = {
  provider: z
    .enum(ACCEPTED_PROVIDERS, {
      error: `must be one of ${ACCEPTED_PROVIDERS.join(', ')} (service meshes and ingress controllers are not supported)`,
    })
    .nullish(),
  targetRef: CanaryTargetRef,
  service: CanaryServiceSpec,
  skipAnalysis: z.boolean().nullish(),
  suspend: z.boolean().nullish(),
  progressDeadlineSeconds: z.int().min(0, 'must not be negative').nullish(),
};

export const GitcanaryCanaryV1alpha1 = z.object({
  apiVersion: z.literal(GITCANARY_V1ALPHA1),
  kind: z.literal('Canary'),
  metadata: ObjectMeta,
  spec: z.object({ ...commonSpecFields, analysis: CanaryAnalysisSpec.nullish() }),
});
export type GitcanaryCanaryV1alpha1 = z.infer<typeof GitcanaryCanaryV1alpha1>;

export const FlaggerCanaryV1beta1 = z.object({
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
export type FlaggerCanaryV1beta1 = z.infer<typeof FlaggerCanaryV1beta1>;

export const FlaggerCanaryV1alpha3 = z.object({
  apiVersion: z.literal(FLAGGER_V1ALPHA3),
  kind: z.literal('Canary'),
  metadata: ObjectMeta,
  spec: z.object({ ...commonSpecFields, canaryAnalysis: CanaryAnalysisSpec.nullish() }),
});
export type FlaggerCanaryV1alpha3 = z.infer<typeof FlaggerCanaryV1alpha3>;

export const CanaryDocument = z.discriminatedUnion('apiVersion', [
  GitcanaryCanaryV1alpha1,
  FlaggerCanaryV1beta1,
  FlaggerCanaryV1alpha3,
]);
export type CanaryDocument = z.infer<typeof CanaryDocument>;

export function isCanaryApiVersion(apiVersion: unknown): apiVersion is CanaryApiVersion {
  return (CANARY_API_VERSIONS as readonly unknown[]).includes(apiVersion);
}

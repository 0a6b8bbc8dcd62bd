// The Services gitcanary generates for a Canary, `<target>-primary` and `<target>-canary`, and the labels
// that mark everything it generates (the routes that split traffic between them are the routers').
import type { CanarySpec, CustomMetadata, KubeObject } from './model.js';
import { metadataOf } from './generated-metadata.js';
import { isNotCopied } from './not-copied-metadata.js';
import { portableServiceSpec } from './service-spec.js';

const managedByLabel = 'app.kubernetes.io/managed-by';
const managedByValue = 'gitcanary';
export const canaryLabel = 'gitcanary.dev/canary';

/** Annotations that describe how the target was applied, not the target; never copied. */
const appliedBy = new Set(['kubectl.kubernetes.io/last-applied-configuration']);

export const primaryName = (canary: CanarySpec) => `${canary.targetName}-primary`;
export const canaryServiceName = (canary: CanarySpec) => `${canary.targetName}-canary`;

export function generatedLabels(canary: CanarySpec): Record<string, string> {
  return { [managedByLabel]: managedByValue, [canaryLabel]: canary.name };
}

export function isManagedByUs(object: KubeObject | undefined): boolean {
  return object?.metadata.labels?.[managedByLabel] === managedByValue;
}

/**
 * A copy of the target Service under another name, with `spec` as given (the promoted or the new one) and the
 * Canary's own metadata for it (`service.primary` or `service.canary`).
 */
export function derivedService(
  canary: CanarySpec,
  target: KubeObject,
  name: string,
  spec: unknown,
  added: CustomMetadata,
): KubeObject {
  const { notCopied } = canary.service;
  const copy = (map: Record<string, string> = {}) =>
    Object.fromEntries(
      Object.entries(map).filter(([key]) => !isNotCopied(key, notCopied) && !appliedBy.has(key)),
    );
  const copied = { labels: copy(target.metadata.labels), annotations: copy(target.metadata.annotations) };
  const portable = portableServiceSpec(spec);
  const { trafficDistribution } = canary.service;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadataOf(canary, name, generatedLabels(canary), added, copied),
    spec: trafficDistribution ? { ...portable, trafficDistribution } : portable,
  };
}

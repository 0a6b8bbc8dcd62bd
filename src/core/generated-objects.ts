// The cluster objects gitcanary generates for a Canary: `<target>-primary` and `<target>-canary` Services
// and, for the gatewayapi provider, the HTTPRoute that splits traffic between them.
import type { CanarySpec, KubeObject } from './model.js';
import { portableServiceSpec } from './service-spec.js';

export const managedByLabel = 'app.kubernetes.io/managed-by';
export const managedByValue = 'gitcanary';
export const canaryLabel = 'gitcanary.dev/canary';

/** Annotations that describe how the target was applied, not the target; never copied. */
const notCopied = new Set(['kubectl.kubernetes.io/last-applied-configuration']);

export const primaryName = (canary: CanarySpec) => `${canary.targetName}-primary`;
export const canaryServiceName = (canary: CanarySpec) => `${canary.targetName}-canary`;

export function generatedLabels(canary: CanarySpec): Record<string, string> {
  return { [managedByLabel]: managedByValue, [canaryLabel]: canary.name };
}

export function isManagedByUs(object: KubeObject | undefined): boolean {
  return object?.metadata.labels?.[managedByLabel] === managedByValue;
}

/** A copy of the target Service under another name, with `spec` as given (the promoted or the new one). */
export function derivedService(
  canary: CanarySpec,
  target: KubeObject,
  name: string,
  spec: unknown,
): KubeObject {
  const annotations = Object.fromEntries(
    Object.entries(target.metadata.annotations ?? {}).filter(([key]) => !notCopied.has(key)),
  );
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: canary.namespace,
      labels: { ...(target.metadata.labels ?? {}), ...generatedLabels(canary) },
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    spec: portableServiceSpec(spec),
  };
}

/** The HTTPRoute sending `100 - weight` percent to primary and `weight` percent to canary. */
export function trafficRoute(canary: CanarySpec, weight: number): KubeObject {
  const backend = (name: string, w: number) => ({ name, port: canary.service.port, weight: w });
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: canary.service.apexName, namespace: canary.namespace, labels: generatedLabels(canary) },
    spec: {
      parentRefs: canary.service.gatewayRefs.map((ref) => ({ ...ref })),
      ...(canary.service.hosts.length > 0 ? { hostnames: [...canary.service.hosts] } : {}),
      rules: [
        {
          backendRefs: [
            backend(primaryName(canary), 100 - weight),
            backend(canaryServiceName(canary), weight),
          ],
        },
      ],
    },
  };
}

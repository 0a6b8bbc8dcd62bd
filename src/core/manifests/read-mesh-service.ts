// The parts of a Canary that only the mesh routers read (Istio's gateways, delegation, retries, CORS and
// traffic policies, and the match conditions only Istio has), normalized beside the rest of `service` and of
// each match by normalize-canary.ts. Absent fields stay absent, so a Canary for another router reads as before.
import type { CanarySpec, IstioMatchConditions, StringMatch } from '../model.js';
import { canaryFieldTrees, type FieldNode } from './canary-fields.js';
import type { CanaryServiceSpec, HttpMatch } from './canary-schema.js';
import type { FieldIssue } from './field-issue.js';
import { readByTree } from './read-by-tree.js';

type MeshService = Pick<
  CanarySpec['service'],
  'gateways' | 'delegation' | 'portDiscovery' | 'retries' | 'corsPolicy' | 'trafficPolicy'
>;

export function readMeshService(spec: CanaryServiceSpec, issues: FieldIssue[]): MeshService {
  const read = (key: 'corsPolicy' | 'trafficPolicy') => {
    const node = serviceField(key);
    const value = readByTree(spec[key], node, `spec.service.${key}`, issues);
    return value === undefined ? {} : { [key]: value as Record<string, unknown> };
  };
  const retries = spec.retries;
  return {
    ...(spec.gateways?.length ? { gateways: [...spec.gateways] } : {}),
    ...(spec.delegation ? { delegation: true } : {}),
    ...(spec.portDiscovery ? { portDiscovery: true } : {}),
    ...(retries
      ? {
          retries: {
            // Flagger writes the attempts it read, 0 when none (Istio: no retry; Contour: its default, 1).
            attempts: retries.attempts ?? 0,
            ...(retries.perTryTimeout ? { perTryTimeout: retries.perTryTimeout } : {}),
            ...(retries.retryOn ? { retryOn: retries.retryOn } : {}),
          },
        }
      : {}),
    ...read('corsPolicy'),
    ...read('trafficPolicy'),
  };
}

function serviceField(key: string): FieldNode {
  const node = canaryFieldTrees['flagger.app/v1beta1'].fields?.spec?.fields?.service?.fields?.[key];
  if (!node) throw new Error(`unreachable: the field tree has spec.service.${key}`);
  return node;
}

/** The conditions of a match that only Istio has; undefined when the match has none. */
export function readIstioMatch(written: HttpMatch): IstioMatchConditions | undefined {
  const stringMatch = (m: HttpMatch['authority']): StringMatch | undefined =>
    m
      ? Object.fromEntries(
          (['exact', 'prefix', 'regex', 'suffix'] as const)
            .filter((k) => m[k] != null)
            .map((k) => [k, m[k] as string]),
        )
      : undefined;
  const conditions: IstioMatchConditions = {
    ...(written.name ? { name: written.name } : {}),
    ...(written.authority ? { authority: stringMatch(written.authority) ?? {} } : {}),
    ...(written.scheme ? { scheme: stringMatch(written.scheme) ?? {} } : {}),
    ...(written.port != null ? { port: written.port } : {}),
    ...(written.sourceLabels ? { sourceLabels: { ...written.sourceLabels } } : {}),
    ...(written.sourceNamespace ? { sourceNamespace: written.sourceNamespace } : {}),
    ...(written.gateways?.length ? { gateways: [...written.gateways] } : {}),
    ...(written.withoutHeaders
      ? {
          withoutHeaders: Object.fromEntries(
            Object.entries(written.withoutHeaders).map(([k, v]) => [k, stringMatch(v) ?? {}]),
          ),
        }
      : {}),
    ...(written.ignoreUriCase ? { ignoreUriCase: true } : {}),
  };
  return Object.keys(conditions).length > 0 ? conditions : undefined;
}

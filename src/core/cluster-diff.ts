// Compares a desired object with the live one. Both are normalized first: fields the server sets
// (uid, resourceVersion, managedFields, status, assigned IPs) are dropped and defaulted fields holding
// their default are removed, so an empty patch really means nothing to write.
import jsonPatch from 'fast-json-patch';
import type { KubeObject } from './model.js';
import { normalizedServiceSpec } from './service-spec.js';

export type PatchOperation = jsonPatch.Operation;

export interface ObjectDiff {
  object: KubeObject;
  /** `create` when the object is missing, `update` when it differs, `unchanged` otherwise. */
  action: 'create' | 'update' | 'unchanged';
  /** RFC 6902 operations that turn the live object into the desired one (normalized). */
  patch: PatchOperation[];
}

export function diffObject(desired: KubeObject, live: KubeObject | undefined): ObjectDiff {
  if (!live) return { object: desired, action: 'create', patch: [] };
  const want = normalize(desired, desired);
  const have = normalize(live, desired);
  const patch = jsonPatch.compare(have, want);
  return { object: desired, action: patch.length === 0 ? 'unchanged' : 'update', patch };
}

type Json = Record<string, unknown>;

/**
 * Labels and annotations are compared only on the keys we set: other tools may add their own, and a
 * server-side apply leaves those alone, so they must not count as drift.
 */
function normalize(object: KubeObject, desired: KubeObject): Json {
  const pick = (values: Record<string, string> | undefined, keys: Record<string, string> | undefined) => {
    const picked: Record<string, string> = {};
    for (const key of Object.keys(keys ?? {})) {
      const value = values?.[key];
      if (value !== undefined) picked[key] = value;
    }
    return picked;
  };
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: {
      name: object.metadata.name,
      namespace: object.metadata.namespace,
      labels: pick(object.metadata.labels, desired.metadata.labels),
      annotations: pick(object.metadata.annotations, desired.metadata.annotations),
    },
    spec: normalizeSpec(object),
  };
}

function normalizeSpec(object: KubeObject): unknown {
  if (object.kind === 'Service') return normalizedServiceSpec(object.spec);
  if (object.kind === 'HTTPRoute') return normalizedRouteSpec(object.spec);
  return object.spec;
}

const withoutDefaults = (value: Json, defaults: Json): Json =>
  Object.fromEntries(Object.entries(value).filter(([key, v]) => defaults[key] !== v));

const defaultMatch = [{ path: { type: 'PathPrefix', value: '/' } }];

function normalizedRouteSpec(spec: unknown): Json {
  const copy = structuredClone((spec ?? {}) as Json);
  if (Array.isArray(copy.parentRefs)) {
    copy.parentRefs = (copy.parentRefs as Json[]).map((ref) =>
      withoutDefaults(ref, { group: 'gateway.networking.k8s.io', kind: 'Gateway' }),
    );
  }
  if (Array.isArray(copy.rules)) {
    copy.rules = (copy.rules as Json[]).map((rule) => {
      const normalized = { ...rule };
      if (JSON.stringify(normalized.matches) === JSON.stringify(defaultMatch)) delete normalized.matches;
      if (Array.isArray(normalized.backendRefs)) {
        normalized.backendRefs = (normalized.backendRefs as Json[]).map((ref) =>
          withoutDefaults(ref, { group: '', kind: 'Service', weight: 1 }),
        );
      }
      return normalized;
    });
  }
  return copy;
}

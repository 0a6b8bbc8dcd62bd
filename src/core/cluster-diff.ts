// Compares a desired object with the live one. Both are normalized first: fields the server sets
// (uid, resourceVersion, managedFields, status, assigned IPs) are dropped and defaulted fields holding
// their default are removed, so an empty patch really means nothing to write.
import jsonPatch from 'fast-json-patch';
import type { KubeObject } from './model.js';
import { normalizedServiceSpec } from './service-spec.js';
import { ownedAnnotationPrefixes } from './routers/router-registry.js';

type PatchOperation = jsonPatch.Operation;

export interface ObjectDiff {
  object: KubeObject;
  /** `create` when the object is missing, `update` when it differs, `unchanged` otherwise. */
  action: 'create' | 'update' | 'unchanged';
  /** RFC 6902 operations that turn the live object into the desired one (normalized). */
  patch: PatchOperation[];
}

export function diffObject(desired: KubeObject, live: KubeObject | undefined): ObjectDiff {
  if (!live) return { object: desired, action: 'create', patch: [] };
  const want = normalize(desired, desired, live);
  const have = normalize(live, desired);
  const patch = jsonPatch.compare(have, want);
  return { object: desired, action: patch.length === 0 ? 'unchanged' : 'update', patch };
}

type Json = Record<string, unknown>;

/**
 * Labels and annotations are compared only on the keys we set: other tools may add their own, and a
 * server-side apply leaves those alone, so they must not count as drift. The exception is an annotation a
 * router alone sets and drops with the step (NGINX's canary-by-header after an A/B run): found live and not
 * wanted, it is drift, and the apply (which no longer sets it) removes it.
 */
function normalize(object: KubeObject, desired: KubeObject, live: KubeObject = object): Json {
  const owned = Object.keys(live.metadata.annotations ?? {}).filter((key) =>
    ownedAnnotationPrefixes.some((prefix) => key.startsWith(prefix)),
  );
  const pick = (values: Record<string, string> | undefined, keys: readonly string[]) => {
    const picked: Record<string, string> = {};
    for (const key of keys) {
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
      labels: pick(object.metadata.labels, Object.keys(desired.metadata.labels ?? {})),
      annotations: pick(object.metadata.annotations, [
        ...new Set([...Object.keys(desired.metadata.annotations ?? {}), ...owned]),
      ]),
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

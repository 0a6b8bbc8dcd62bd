// The metadata of every generated object: labels and annotations copied from the target (Services only), those
// the Canary adds (`service.apex|primary|canary`), then ours, which always win. Keys listed in
// `service.unmanagedMetadata` are never written, so another manager may own them.
import type { CanarySpec, CustomMetadata, KubeObject } from './model.js';

const none: CustomMetadata = { labels: {}, annotations: {} };

export function metadataOf(
  canary: CanarySpec,
  name: string,
  ours: Record<string, string>,
  added: CustomMetadata,
  copied: CustomMetadata = none,
): KubeObject['metadata'] {
  const { unmanaged } = canary.service;
  const keep = (map: Record<string, string>, skipped: readonly string[]) =>
    Object.fromEntries(Object.entries(map).filter(([key]) => !skipped.includes(key)));
  const labels = {
    ...keep(copied.labels, unmanaged.labels),
    ...keep(added.labels, unmanaged.labels),
    ...ours,
  };
  const annotations = {
    ...keep(copied.annotations, unmanaged.annotations),
    ...keep(added.annotations, unmanaged.annotations),
  };
  return {
    name,
    namespace: canary.namespace,
    labels,
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
}

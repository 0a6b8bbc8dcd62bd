// The revision of a release: a short hash of the target Service's normalized spec. Labels and annotations
// are copied to the generated Services but are not part of it, so relabelling is not a release.
import { createHash } from 'node:crypto';
import type { KubeObject } from './model.js';
import { canonicalJson } from './canonical-json.js';
import { normalizedServiceSpec } from './service-spec.js';

export function revisionOf(target: KubeObject): string {
  const spec = normalizedServiceSpec(target.spec);
  return createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 12);
}

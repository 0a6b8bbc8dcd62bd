// A Canary's key, `namespace/name`, made once per parsed Canary: the stages that hold it (the join, the plan
// cache, the outcomes, the due times) each asked for it and kept a copy of their own, ten copies of each key
// at 5,000 Canaries (1.7 MiB). The parsed Canary is the same object for as long as its file does not change,
// so the key is kept beside it, and goes with it.
import { flat } from '../flat-string.js';
import type { CanarySpec } from '../model.js';

const keys = new WeakMap<Pick<CanarySpec, 'namespace' | 'name'>, string>();

export function canaryKey(canary: Pick<CanarySpec, 'namespace' | 'name'>): string {
  let key = keys.get(canary);
  if (key === undefined) {
    key = flat(canary.namespace, '/', canary.name);
    keys.set(canary, key);
  }
  return key;
}

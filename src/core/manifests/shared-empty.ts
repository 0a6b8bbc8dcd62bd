// One frozen empty value for the fields most manifests leave empty, and lists of their own length. A parsed
// repository is held for the process's life, and at 5,000 Canaries one empty array or object of its own per
// field, per Canary and per file came to ~4 MiB. Frozen, so that code that would change one throws instead of
// changing them all.
import type { CustomMetadata } from '../model.js';

export const emptyList: never[] = Object.freeze([]) as never[];

const emptyRecord: Record<string, never> = Object.freeze({});

/** No labels and no annotations. */
export const noMetadata: CustomMetadata = Object.freeze({ labels: emptyRecord, annotations: emptyRecord });

/**
 * `items` in an array of its own length, or the shared empty list when it has none. An array grown by `push`
 * keeps room for 17 items (152 bytes for one): at 5,000 Canaries 30,000 such arrays held 4.4 MiB.
 */
export function compactList<T>(items: T[]): T[] {
  return items.length === 0 ? emptyList : items.slice();
}

/** A map as written, or the shared empty one when it is absent. */
export function orNoEntries(map: Record<string, string> | null | undefined): Record<string, string> {
  return map ?? emptyRecord;
}

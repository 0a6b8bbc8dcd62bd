// Which live objects the cache's answers moved for since the reconciler last asked, so that a pass plans
// again only the Canaries whose objects moved instead of comparing every Canary's versions. Anything the
// journal cannot name object by object (a kind listed again, a watch out of sync, more changes than it
// keeps) is "all": the pass then looks at every Canary, as one without a live cache always does.
import type { ObjectRef } from './object-ref.js';

/** The objects whose lookups may answer differently since the last `take`, by `liveRefKey`; or all of them. */
export type LiveChanges = ReadonlySet<string> | 'all';

export function liveRefKey(ref: ObjectRef): string {
  return `${ref.apiVersion}/${ref.kind}/${ref.namespace}/${ref.name}`;
}

export class ChangeJournal {
  private changed = new Set<string>();
  /** Until the first `take` nothing was seen by anyone: every answer is new. */
  private all = true;

  /** Past this many objects between two takes, the pass would look at most Canaries anyway. */
  constructor(private readonly limit = 10_000) {}

  note(key: string): void {
    if (this.all) return;
    if (this.changed.size >= this.limit) this.noteAll();
    else this.changed.add(key);
  }

  noteAll(): void {
    this.all = true;
    this.changed.clear();
  }

  /** What moved since the last take; the journal starts again empty. */
  take(): LiveChanges {
    const taken: LiveChanges = this.all ? 'all' : this.changed;
    this.all = false;
    this.changed = new Set();
    return taken;
  }
}

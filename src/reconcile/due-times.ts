// A time for each key, the earliest found without looking at the others: a binary min-heap whose stale
// entries (a key set again, or deleted) are dropped when they reach the top. Setting or deleting a key is
// O(log n); `earliest` is O(1) once the stale entries above the live one are gone.
interface Slot {
  at: number;
  key: string;
  /** The key's setting this slot was pushed for; an older one is stale. */
  setting: number;
}

export class DueTimes {
  private readonly heap: Slot[] = [];
  private readonly current = new Map<string, number>();
  private settings = 0;

  /** `at` in epoch ms; Infinity means never, and is not kept. */
  set(key: string, at: number): void {
    if (!Number.isFinite(at)) {
      this.delete(key);
      return;
    }
    this.settings += 1;
    this.current.set(key, this.settings);
    this.push({ at, key, setting: this.settings });
    this.compactWhenStale();
  }

  delete(key: string): void {
    this.current.delete(key);
    this.compactWhenStale();
  }

  /** The earliest time set; Infinity when none is. */
  earliest(): number {
    for (;;) {
      const top = this.heap[0];
      if (!top) return Infinity;
      if (this.current.get(top.key) === top.setting) return top.at;
      this.pop();
    }
  }

  /** Every key whose time is at or before `now`, found without looking at the later ones: O(due + stale). */
  dueBy(now: number): string[] {
    const due: string[] = [];
    const visit = (i: number): void => {
      const slot = this.heap[i];
      // A slot's children are no earlier than it, so a subtree whose root is later holds nothing due.
      if (!slot || slot.at > now) return;
      if (this.current.get(slot.key) === slot.setting) due.push(slot.key);
      visit(2 * i + 1);
      visit(2 * i + 2);
    };
    visit(0);
    return due;
  }

  get size(): number {
    return this.current.size;
  }

  /** Many stale slots and few live ones: rebuild, so the heap follows the keys, not their history. */
  private compactWhenStale(): void {
    if (this.heap.length <= 64 || this.heap.length <= 4 * this.current.size) return;
    const live = this.heap.filter((slot) => this.current.get(slot.key) === slot.setting);
    this.heap.length = 0;
    for (const slot of live) this.push(slot);
  }

  private push(slot: Slot): void {
    const heap = this.heap;
    heap.push(slot);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as Slot).at <= slot.at) break;
      heap[i] = heap[parent] as Slot;
      i = parent;
    }
    heap[i] = slot;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (!last || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && (heap[right] as Slot).at < (heap[left] as Slot).at ? right : left;
      if ((heap[child] as Slot).at >= last.at) break;
      heap[i] = heap[child] as Slot;
      i = child;
    }
    heap[i] = last;
  }
}

// One copy of each short string that many documents repeat. A YAML parse makes a string of every scalar,
// so 5,000 Canaries' files held 3,000 copies of each namespace, 5,000 of `Initialized` and of the same
// `lastStepTime`, 4,000 of `gateway.networking.k8s.io/v1`: 5.8 MiB of a 76 MiB heap were such copies. The
// pool is bounded: past `capacity` strings it starts again empty, so names seen once (most of them) cost
// at most one pool's worth, and a value that many documents share is pooled again at once.
export class StringPool {
  private readonly strings = new Map<string, string>();

  constructor(
    /** Distinct strings held before the pool starts again. */
    private readonly capacity = 16_384,
    /** Longer strings are rarely shared; they are not pooled. */
    private readonly maxLength = 64,
  ) {}

  /**
   * The pooled string equal to `value`; else `copy(value)`, pooled when it is short enough (a copy, so that
   * the pool never holds a slice of a larger text).
   */
  intern(value: string, copy: (value: string) => string = (same) => same): string {
    if (value.length > this.maxLength) return copy(value);
    const pooled = this.strings.get(value);
    if (pooled !== undefined) return pooled;
    if (this.strings.size >= this.capacity) this.strings.clear();
    const own = copy(value);
    this.strings.set(own, own);
    return own;
  }

  get size(): number {
    return this.strings.size;
  }
}

// A read-only map made from the one before by a few changes, without copying it: the changes sit in a
// small map above the map they change, so a one-file commit in a repository of 5,000 apps neither copies the
// 21,669 blob ids of its files nor the 5,000 groups of a lookup table of the join. Once the changes pass a
// limit they are merged into one map again, so a lookup never goes through more than two maps.
//
// It reads as a Map copied and then changed would: an entry changed keeps its place, an entry added comes
// after those of the map before, in the order added.
export class LayeredMap<K, V> implements ReadonlyMap<K, V> {
  readonly size: number;

  private constructor(
    private readonly base: ReadonlyMap<K, V>,
    /** Undefined: the entry is gone. */
    private readonly replaced: ReadonlyMap<K, V | undefined>,
    size: number,
    private readonly maxReplaced: number,
  ) {
    this.size = size;
  }

  /** `base` as a layered map; it must not change afterwards. */
  static of<K, V>(base: ReadonlyMap<K, V>, maxReplaced = 1024): LayeredMap<K, V> {
    if (base instanceof LayeredMap) return base as LayeredMap<K, V>;
    return new LayeredMap<K, V>(base, new Map(), base.size, maxReplaced);
  }

  get(key: K): V | undefined {
    return this.replaced.has(key) ? this.replaced.get(key) : this.base.get(key);
  }

  has(key: K): boolean {
    return this.replaced.has(key) ? this.replaced.get(key) !== undefined : this.base.has(key);
  }

  /** This map with `changes` made (undefined: the entry goes); this map is unchanged. */
  with(changes: Iterable<readonly [K, V | undefined]>): LayeredMap<K, V> {
    const replaced = new Map(this.replaced);
    let size = this.size;
    for (const [key, value] of changes) {
      const had = replaced.has(key) ? replaced.get(key) !== undefined : this.base.has(key);
      size += (value === undefined ? 0 : 1) - (had ? 1 : 0);
      replaced.set(key, value);
    }
    const layered = new LayeredMap<K, V>(this.base, replaced, size, this.maxReplaced);
    if (replaced.size <= this.maxReplaced) return layered;
    return new LayeredMap<K, V>(new Map(layered), new Map(), size, this.maxReplaced);
  }

  *entries(): MapIterator<[K, V]> {
    for (const [key, value] of this.base) {
      if (!this.replaced.has(key)) yield [key, value];
      else {
        const now = this.replaced.get(key);
        if (now !== undefined) yield [key, now];
      }
    }
    for (const [key, value] of this.replaced) {
      if (value !== undefined && !this.base.has(key)) yield [key, value];
    }
  }

  *keys(): MapIterator<K> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }
}

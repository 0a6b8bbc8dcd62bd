// A lookup table of the join (assemble.ts): groups of objects by key. An update makes a new table holding
// only the groups it replaced, above the groups of the table before, so that a one-file change in a
// repository of 5,000 apps does not copy 5,000 groups; once the replaced groups pass a limit, they are merged
// into one map again, so a lookup never goes through more than two maps.
export class Groups<T> {
  constructor(
    private readonly base: ReadonlyMap<string, T[]>,
    /** Undefined: the group is gone. */
    private readonly replaced: ReadonlyMap<string, T[] | undefined> = new Map(),
    private readonly maxReplaced = 1024,
  ) {}

  get(key: string): T[] | undefined {
    return this.replaced.has(key) ? this.replaced.get(key) : this.base.get(key);
  }

  /** These groups with `changes` in place of theirs (undefined: the group is gone); this table is unchanged. */
  with(changes: ReadonlyMap<string, T[] | undefined>): Groups<T> {
    const replaced = new Map([...this.replaced, ...changes]);
    if (replaced.size <= this.maxReplaced) return new Groups(this.base, replaced, this.maxReplaced);
    const base = new Map(this.base);
    for (const [key, group] of replaced) {
      if (group) base.set(key, group);
      else base.delete(key);
    }
    return new Groups(base, new Map(), this.maxReplaced);
  }
}

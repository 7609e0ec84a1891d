// A Map that forgets its oldest entries past a capacity: the checker's memory of released addresses and pending
// bounces must not grow with the length of the trace. Two generations: when the young one fills, it becomes the
// old one and the previous old one is forgotten, so every operation stays O(1).

export class BoundedMap<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();

  /** Remembers at least the newest `capacity / 2` entries and never more than `capacity`. */
  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    const v = this.young.get(key);
    return v !== undefined ? v : this.old.get(key);
  }

  set(key: K, value: V): void {
    this.old.delete(key);
    this.young.set(key, value);
    if (this.young.size >= this.capacity / 2) {
      this.old = this.young;
      this.young = new Map();
    }
  }

  delete(key: K): boolean {
    const a = this.young.delete(key);
    return this.old.delete(key) || a;
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  *values(): IterableIterator<V> {
    yield* this.old.values();
    yield* this.young.values();
  }

  clone(): BoundedMap<K, V> {
    const c = new BoundedMap<K, V>(this.capacity);
    c.young = new Map(this.young);
    c.old = new Map(this.old);
    return c;
  }
}

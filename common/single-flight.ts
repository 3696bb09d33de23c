/**
 * Coalesces concurrent calls for one key into a single execution: while a call for `key` is in
 * flight, later callers get the same promise instead of starting another. The entry is dropped
 * once the call settles, so the next call after that runs again.
 */
export class SingleFlight<K, V> {
  private readonly inFlight = new Map<K, Promise<V>>();

  /** Run `fn` for `key` unless a run is already in flight; `joined` says which case it was. */
  run(key: K, fn: () => Promise<V>): { promise: Promise<V>; joined: boolean } {
    const existing = this.inFlight.get(key);
    if (existing) return { promise: existing, joined: true };
    const promise = (async () => fn())().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return { promise, joined: false };
  }

  has(key: K): boolean {
    return this.inFlight.has(key);
  }

  get size(): number {
    return this.inFlight.size;
  }
}

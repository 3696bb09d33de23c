/**
 * Serialises async sections per key (one lifecycle operation per compute at a time: start,
 * stop, provision, deprovision), while different keys run in parallel. Entries are removed when
 * their queue drains, so memory follows the number of busy keys, not of keys ever seen.
 */
export class KeyedMutex<K> {
  private readonly tails = new Map<K, Promise<unknown>>();

  async runExclusive<T>(key: K, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(fn); // tails never reject (see below)
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  isLocked(key: K): boolean {
    return this.tails.has(key);
  }
}

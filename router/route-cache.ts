import { SingleFlight } from "../common/single-flight.js";
import type { EndpointAccess, RouteSource } from "./access.js";

export interface RouteCacheOptions {
  /** How long an answer is served without asking the source again. */
  ttlMs?: number;
  /** How long "no such endpoint" is remembered (short: a new endpoint must appear quickly). */
  negativeTtlMs?: number;
  /** How long a failed lookup is remembered, so a struggling source is not stampeded. */
  errorTtlMs?: number;
  /** Entries kept; the least recently used go first. */
  maxEntries?: number;
  /** Counts each lookup by result (the orochi_route_cache_requests_total metric). */
  onResult?: (result: RouteCacheResult) => void;
  now?: () => number;
}

export type RouteCacheResult = "hit" | "negative_hit" | "error_hit" | "miss" | "error";

export const ROUTE_CACHE_DEFAULTS = { ttlMs: 60_000, negativeTtlMs: 2_000, errorTtlMs: 1_000, maxEntries: 10_000 } as const;

type Entry = { expiresAt: number; value: EndpointAccess | null } | { expiresAt: number; error: Error };

/**
 * A bounded TTL cache in front of a route source, per (endpoint, role), with negative and
 * error caching and one lookup in flight per key however many clients arrive at once.
 * Answers survive a source outage until their TTL; invalidateEndpoint() drops an endpoint at
 * once (a failed connect, or a change announced by the control plane).
 */
export class CachedRouteSource implements RouteSource {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new SingleFlight<string, EndpointAccess | null>();
  private readonly keysByEndpoint = new Map<string, Set<string>>();
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private readonly errorTtlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  /** Bumped by invalidation so a lookup that started before it does not store a stale answer. */
  private readonly generation = new Map<string, number>();

  constructor(
    private readonly source: RouteSource,
    private readonly opts: RouteCacheOptions = {},
  ) {
    this.ttlMs = opts.ttlMs ?? ROUTE_CACHE_DEFAULTS.ttlMs;
    this.negativeTtlMs = opts.negativeTtlMs ?? ROUTE_CACHE_DEFAULTS.negativeTtlMs;
    this.errorTtlMs = opts.errorTtlMs ?? ROUTE_CACHE_DEFAULTS.errorTtlMs;
    this.maxEntries = opts.maxEntries ?? ROUTE_CACHE_DEFAULTS.maxEntries;
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  async lookup(endpointId: string, role: string): Promise<EndpointAccess | null> {
    const key = `${endpointId}\0${role}`;
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > this.now()) {
      // Refresh recency (Map keeps insertion order: re-insert = most recent).
      this.entries.delete(key);
      this.entries.set(key, entry);
      if ("error" in entry) {
        this.opts.onResult?.("error_hit");
        throw entry.error;
      }
      this.opts.onResult?.(entry.value ? "hit" : "negative_hit");
      return entry.value;
    }
    const generation = this.generation.get(endpointId) ?? 0;
    return this.inflight.run(key, () =>
      this.source.lookup(endpointId, role).then(
        (value) => {
          this.opts.onResult?.("miss");
          if ((this.generation.get(endpointId) ?? 0) === generation) {
            this.store(endpointId, key, { value, expiresAt: this.now() + (value ? this.ttlMs : this.negativeTtlMs) });
          }
          return value;
        },
        (err: unknown) => {
          this.opts.onResult?.("error");
          // Remember the failure briefly so a struggling source is not stampeded.
          if ((this.generation.get(endpointId) ?? 0) === generation) {
            this.store(endpointId, key, { error: err as Error, expiresAt: this.now() + this.errorTtlMs });
          }
          throw err;
        },
      ),
    ).promise;
  }

  /** Forget everything cached for an endpoint (all roles). */
  invalidateEndpoint(endpointId: string): void {
    this.generation.set(endpointId, (this.generation.get(endpointId) ?? 0) + 1);
    const keys = this.keysByEndpoint.get(endpointId);
    if (!keys) return;
    for (const k of keys) this.entries.delete(k);
    this.keysByEndpoint.delete(endpointId);
  }

  /** Forget everything (invalidations may have been missed, e.g. while Redis was away). */
  invalidateAll(): void {
    for (const id of [...this.keysByEndpoint.keys()]) this.invalidateEndpoint(id);
  }

  private store(endpointId: string, key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    let keys = this.keysByEndpoint.get(endpointId);
    if (!keys) this.keysByEndpoint.set(endpointId, (keys = new Set()));
    keys.add(key);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      const id = oldest.slice(0, oldest.indexOf("\0"));
      const set = this.keysByEndpoint.get(id);
      set?.delete(oldest);
      if (set && set.size === 0) this.keysByEndpoint.delete(id);
    }
  }
}

import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "../../common/log.js";

/** What each Redis call is for: the `operation` label of orochi_redis_errors_total (a closed set). */
export const REDIS_OPERATIONS = ["route_cache", "cancel_keys", "wake", "sessions", "connect_rate", "auth_throttle"] as const;
export type RedisOperation = (typeof REDIS_OPERATIONS)[number];

export type RedisResult<T> = { ok: true; value: T } | { ok: false };

export interface SharedRedisOptions {
  /** redis://[user:password@]host:port[/db] (rediss:// for TLS). */
  url: string;
  /** A command without a reply by then fails, and the caller falls back to local state. */
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  log: Logger;
  /** Redis became reachable (true) or was lost (false). */
  onHealth?: (up: boolean) => void;
  /** A call fell back to local state: it failed, timed out, or was skipped while Redis is away. */
  onError?: (operation: RedisOperation) => void;
}

/** Reconnect after 50 ms, doubling up to this, for as long as the process lives. */
export const REDIS_RECONNECT_MAX_DELAY_MS = 2_000;
/**
 * After a timed-out command, skip Redis for this long: a Redis that accepts connections but does
 * not answer would otherwise add a full command timeout to every new connection.
 */
export const REDIS_PAUSE_AFTER_TIMEOUT_MS = 1_000;

const UNAVAILABLE: RedisResult<never> = { ok: false };

/**
 * The proxy's Redis connections: one for commands (no offline queue: while Redis is away a
 * command fails at once instead of waiting) and one for subscriptions (resubscribed by ioredis
 * after a reconnect). Every caller goes through run(), which answers `{ok: false}` whenever Redis
 * cannot help right now, so each feature falls back to its local equivalent and never blocks a
 * connection for longer than the command timeout.
 */
export class SharedRedis {
  readonly client: Redis;
  private readonly subscriber: Redis;
  private readonly handlers = new Map<string, (message: string) => void>();
  private readonly recoveredListeners: Array<() => void> = [];
  private readonly subscriptionListeners: Array<(reconnected: boolean) => void> = [];
  private pausedUntil = 0;
  private up = false;
  private everReady = false;
  private closing = false;
  private subscriberEverReady = false;
  private readonly failingOperations = new Set<RedisOperation>();

  constructor(private readonly opts: SharedRedisOptions) {
    const common: RedisOptions = {
      connectTimeout: opts.connectTimeoutMs,
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), REDIS_RECONNECT_MAX_DELAY_MS),
      maxRetriesPerRequest: 0,
      connectionName: "orochi-proxy",
    };
    // Auto-pipelining: the commands of one tick (a connection's checks, a batch of cancel keys)
    // leave in one write; each round trip costs the proxy a syscall or two of CPU.
    this.client = new Redis(opts.url, { ...common, enableOfflineQueue: false, commandTimeout: opts.commandTimeoutMs, enableAutoPipelining: true });
    this.subscriber = new Redis(opts.url, { ...common, autoResubscribe: true });
    this.client.on("ready", () => this.becameUp());
    this.client.on("close", () => this.becameDown());
    // Connection errors are reported through the state changes above; silence ioredis's default.
    this.client.on("error", () => undefined);
    this.subscriber.on("error", () => undefined);
    this.subscriber.on("message", (channel: string, message: string) => this.handlers.get(channel)?.(message));
    this.subscriber.on("ready", () => {
      for (const l of this.subscriptionListeners) l(this.subscriberEverReady);
      this.subscriberEverReady = true;
    });
  }

  get isUp(): boolean {
    return this.up;
  }

  /** Wait (bounded) for the first connection, so a fresh proxy starts with shared state. */
  async waitReady(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!(this.up && this.subscriber.status === "ready")) {
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  /** Run `fn` against Redis, or answer `{ok: false}` at once when Redis is down or paused. */
  async run<T>(operation: RedisOperation, fn: (client: Redis) => Promise<T>): Promise<RedisResult<T>> {
    if (!this.up || Date.now() < this.pausedUntil) {
      this.opts.onError?.(operation);
      return UNAVAILABLE;
    }
    try {
      const value = await fn(this.client);
      this.failingOperations.delete(operation);
      return { ok: true, value };
    } catch (err) {
      const message = (err as Error).message;
      this.opts.onError?.(operation);
      if (/timed out/i.test(message)) this.pausedUntil = Date.now() + REDIS_PAUSE_AFTER_TIMEOUT_MS;
      // One warning per operation until it works again: an outage must not flood the log.
      if (!this.failingOperations.has(operation)) {
        this.failingOperations.add(operation);
        this.opts.log.warn({ operation, err: message }, "Redis call failed; using this replica's local state");
      }
      return UNAVAILABLE;
    }
  }

  /** Deliver each message published on `channel` to `handler` (one handler per channel). */
  subscribe(channel: string, handler: (message: string) => void): void {
    this.handlers.set(channel, handler);
    this.subscriber.subscribe(channel).catch((err: unknown) => {
      // autoResubscribe retries on the next connection; until then the channel is missed.
      this.opts.log.warn({ channel, err: (err as Error).message }, "Redis subscribe failed; will resubscribe on reconnect");
    });
  }

  /** Called whenever Redis is reachable again after an outage: re-publish what it lost. */
  onRecovered(listener: () => void): void {
    this.recoveredListeners.push(listener);
  }

  /**
   * Called whenever the subscription connection becomes ready — after an outage, or late at
   * start: messages published before it were missed. `reconnected` is false the first time.
   */
  onSubscriptionReady(listener: (reconnected: boolean) => void): void {
    this.subscriptionListeners.push(listener);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.client.disconnect();
    this.subscriber.disconnect();
  }

  private becameUp(): void {
    this.up = true;
    this.pausedUntil = 0;
    this.failingOperations.clear();
    this.opts.onHealth?.(true);
    if (this.everReady) {
      this.opts.log.info("Redis reachable again; shared state resumes");
      for (const l of this.recoveredListeners) l();
    } else {
      this.opts.log.info("connected to Redis: route cache, limits, cancel keys and wakes are shared across replicas");
    }
    this.everReady = true;
  }

  private becameDown(): void {
    if (!this.up) return;
    this.up = false;
    this.opts.onHealth?.(false);
    if (this.closing) return;
    this.opts.log.warn("Redis connection lost; limits are per replica and cross-replica cancel is unavailable until it returns");
  }
}


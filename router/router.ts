import type { Logger } from "../common/log.js";
import { REDIS_CHANNELS, type EndpointChangedMessage } from "../common/redis-contract.js";
import type { EndpointAccess, HostPort, RouteSource } from "./access.js";
import { CancelService } from "./cancel-service.js";
import type { ComputeWaker } from "./compute-waker.js";
import { RouterError } from "./errors.js";
import type { EndpointRequest } from "./endpoint-id.js";
import { Admission, type RejectionKind } from "./limits/admission.js";
import type { SharedRedis } from "./redis/shared-redis.js";
import type { RouterSettings } from "./settings.js";

/** Where to connect for a session, and what to tell the backend at startup. */
export interface ConnectTarget {
  readonly address: HostPort;
  /** Replaces the client's `database` in the backend startup packet (pooler aliases). */
  readonly database?: string | undefined;
  /** Replaces the client's `user` in the backend startup packet (pooler user names). */
  readonly user?: string | undefined;
  /** The target is the pooler (transaction pooling), not the compute. */
  readonly pooled: boolean;
}

export interface ConnectHooks {
  /** Called (once) when the compute has to be started first, so the proxy can tell the client. */
  onWaking?: () => void;
  signal?: AbortSignal;
  /** Give up waking after this long (what is left of the client's handshake deadline). */
  deadlineMs?: number;
  /**
   * This process has open sessions to the endpoint, so its compute is up. Pooled sessions need
   * that certainty before trusting a cached address: the pooler would otherwise keep the
   * client waiting on a suspended compute instead of failing fast.
   */
  computeInUse?: boolean;
}

export interface RouterOptions {
  source: RouteSource;
  log: Logger;
  /** Starts scheduler-managed computes; without it managed endpoints are unreachable. */
  waker?: ComputeWaker | null;
  /** State shared with the other replicas; null: this process alone. */
  redis?: SharedRedis | null;
  settings: RouterSettings;
  /** Names this replica in shared state (leases, cancel keys). */
  replicaId: string;
  onRejection?: (kind: RejectionKind) => void;
}

/** Tell the client about a wake that takes longer than this even if it turns out warm. */
const WAKE_NOTICE_AFTER_MS = 250;

/**
 * Turns an endpoint request into a route (DESIGN.md steps 3–6): access info from the route
 * source, admission (allow-lists and limits), the address to connect to (waking a
 * scheduler-managed compute first), and the cancel keys of all sessions. With Redis, it applies
 * the control plane's invalidations as they are published.
 */
export class Router {
  readonly cancels: CancelService;
  readonly admission: Admission;
  private readonly source: RouteSource;
  private readonly log: Logger;
  private readonly waker: ComputeWaker | null;
  /**
   * Last address a wake returned, per endpoint: warm connections skip the scheduler entirely.
   * A failed connect drops the entry and the next attempt wakes again.
   */
  private readonly computeAddresses = new Map<string, HostPort>();

  constructor(opts: RouterOptions) {
    this.source = opts.source;
    this.log = opts.log;
    this.waker = opts.waker ?? null;
    const shared = { redis: opts.redis ?? null, settings: opts.settings, replicaId: opts.replicaId, log: opts.log, onRejection: opts.onRejection };
    this.admission = new Admission(shared);
    this.cancels = new CancelService(shared);
    if (opts.redis) this.followInvalidations(opts.redis);
  }

  /** Access info for (endpoint, role); throws RouterError when the endpoint is unknown. */
  async access(request: EndpointRequest, role: string): Promise<EndpointAccess> {
    let access: EndpointAccess | null;
    try {
      access = await this.source.lookup(request.endpointId, role);
    } catch (err) {
      if (err instanceof RouterError) throw err;
      throw new RouterError("lookup_failed", "could not look up the endpoint right now; try again shortly", (err as Error).message);
    }
    if (!access) throw new RouterError("endpoint_not_found", `endpoint "${request.endpointId}" not found`);
    if (request.pooled && !access.pooler) {
      throw new RouterError("endpoint_unavailable", `endpoint "${request.endpointId}" has no connection pooler`, undefined,
        `Connect to "${request.endpointId}" without the -pooler suffix.`);
    }
    return access;
  }

  /**
   * The address to log in to. A scheduler-managed compute is woken first (also for pooled
   * sessions: the pooler needs the compute up) — callers must have authenticated the client.
   */
  async target(access: EndpointAccess, pooled: boolean, hooks: ConnectHooks = {}): Promise<ConnectTarget> {
    let compute = access.compute;
    if (access.managed) compute = await this.awakeCompute(access.endpointId, hooks, !pooled || hooks.computeInUse === true);
    if (pooled) {
      const p = access.pooler!;
      return { address: p.address, database: p.database, user: p.user, pooled: true };
    }
    if (!compute) throw new RouterError("compute_unavailable", `the compute of endpoint "${access.endpointId}" is not reachable right now`);
    return { address: compute, pooled: false };
  }

  /**
   * A connect or login to `target` failed at the transport level. Returns true when trying
   * again can help (the cached address was dropped, so the next target() wakes the compute).
   */
  connectFailed(access: EndpointAccess, target: ConnectTarget): boolean {
    this.log.info({ endpoint: access.endpointId, pooled: target.pooled }, "connect to compute failed; dropping what is cached for it");
    this.invalidateEndpoint(access.endpointId);
    this.waker?.forget?.(access.endpointId);
    return access.managed && this.waker !== null;
  }

  /** Forget the endpoint's cached route and compute address (changed, deleted, or failing). */
  invalidateEndpoint(endpointId: string): void {
    this.computeAddresses.delete(endpointId);
    this.source.invalidateEndpoint?.(endpointId);
  }

  /** Forget every cached route and compute address (invalidations may have been missed). */
  invalidateAll(): void {
    this.computeAddresses.clear();
    this.source.invalidateAll?.();
  }

  /** Stop renewing shared state and give back this replica's session slots. */
  async close(): Promise<void> {
    this.cancels.close();
    await this.admission.close();
  }

  private followInvalidations(redis: SharedRedis): void {
    redis.subscribe(REDIS_CHANNELS.endpointChanged, (text) => {
      let message: EndpointChangedMessage;
      try {
        message = JSON.parse(text) as EndpointChangedMessage;
      } catch {
        this.log.warn("ignoring a malformed endpoint-changed message");
        return;
      }
      if (typeof message.endpoint_id !== "string") return;
      this.invalidateEndpoint(message.endpoint_id);
      this.log.info({ endpoint: message.endpoint_id, version: message.version, reason: message.reason }, "endpoint changed; cached route dropped");
    });
    redis.onSubscriptionReady((reconnected) => {
      // Whatever was cached before the subscription worked may have missed an invalidation.
      this.invalidateAll();
      if (reconnected) this.log.info("resubscribed to invalidations after a Redis outage; dropped every cached route");
    });
  }

  private async awakeCompute(endpointId: string, hooks: ConnectHooks, trustCache: boolean): Promise<HostPort> {
    const cached = this.computeAddresses.get(endpointId);
    if (cached && trustCache) return cached;
    if (!this.waker) {
      this.log.warn({ endpoint: endpointId }, "endpoint is managed by a scheduler but none is configured");
      throw new RouterError("compute_unavailable", `the compute of endpoint "${endpointId}" is not reachable right now`, "no scheduler configured");
    }
    let told = false;
    const tell = () => {
      if (!told) hooks.onWaking?.();
      told = true;
    };
    const slow = setTimeout(tell, WAKE_NOTICE_AFTER_MS);
    try {
      const woken = await this.waker.wake(endpointId, { signal: hooks.signal, deadlineMs: hooks.deadlineMs, fresh: !trustCache });
      if (woken.coldStart) {
        tell();
        if (!woken.byOtherReplica) this.log.info({ endpoint: endpointId, startup_ms: woken.startupMs }, "compute woken (cold start)");
      }
      this.computeAddresses.set(endpointId, woken.address);
      return woken.address;
    } finally {
      clearTimeout(slow);
    }
  }
}

import type { Logger } from "../../common/log.js";
import type { EndpointAccess } from "../access.js";
import { compileAllowList, type AllowList } from "../allow-list.js";
import { RouterError } from "../errors.js";
import { subnetKey } from "../ip-address.js";
import type { SharedRedis } from "../redis/shared-redis.js";
import { AUTH_SOURCE_PREFIXES, type RouterSettings } from "../settings.js";
import { AuthThrottle } from "./auth-throttle.js";
import { ConnectRateLimiter } from "./connect-rate.js";
import { SessionLeases, UNLIMITED_LEASE, type SessionLease } from "./session-leases.js";

/** `kind` label values of orochi_proxy_rejections_total: a closed set. */
export const REJECTION_KINDS = ["address_not_allowed", "auth_throttled", "connection_rate", "too_many_sessions", "cancel_rate"] as const;
export type RejectionKind = (typeof REJECTION_KINDS)[number];

export interface AdmissionOptions {
  redis: SharedRedis | null;
  settings: RouterSettings;
  replicaId: string;
  log: Logger;
  onRejection?: (kind: RejectionKind) => void;
}

/** The source an unparseable client address (a closed socket) is counted under. */
const UNKNOWN_SOURCE = "unknown";

/**
 * Who may connect to an endpoint, and how many at once (DESIGN.md steps 4–5): the allow-list,
 * the auth-failure throttle and the connection rate before any password is checked; the
 * endpoint's session limit once the client has authenticated, before its compute is woken.
 */
export class Admission {
  private readonly allowLists = new WeakMap<readonly string[], AllowList>();
  private readonly authThrottle: AuthThrottle;
  private readonly connectRate: ConnectRateLimiter;
  private readonly leases: SessionLeases;

  constructor(private readonly opts: AdmissionOptions) {
    const s = opts.settings;
    this.authThrottle = new AuthThrottle({ limit: s.authFailureLimit, windowMs: s.authFailureWindowMs, blockMs: s.authBlockMs }, opts.redis);
    this.connectRate = new ConnectRateLimiter({ ratePerSecond: s.connectRatePerSecond, burst: s.connectBurst }, opts.redis);
    this.leases = new SessionLeases({ redis: opts.redis, replicaId: opts.replicaId, leaseTtlMs: s.sessionLeaseTtlMs, log: opts.log });
  }

  /** Run once the endpoint is known and before the client's password is verified; throws RouterError. */
  async beforeAuthentication(access: EndpointAccess, clientAddress: string): Promise<void> {
    const endpoint = access.endpointId;
    if (!this.allowListOf(access).allows(clientAddress)) {
      throw this.reject("address_not_allowed", new RouterError("address_not_allowed",
        `connections to endpoint "${endpoint}" are not allowed from address ${clientAddress}`,
        `${access.allowedCidrs.length} allow-list entries`,
        "Add the address to the endpoint's allowed_cidrs, or connect from an allowed address."));
    }
    const source = authSource(clientAddress);
    // Both at once (one round trip to Redis): a refused source's attempt may spend a token,
    // but so may anyone's attempt to connect — the bucket guards the endpoint, not the source.
    const [blockedMs, allowed] = await Promise.all([this.authThrottle.blockedForMs(endpoint, source), this.connectRate.allow(endpoint)]);
    if (blockedMs > 0) {
      throw this.reject("auth_throttled", new RouterError("auth_throttled",
        `too many failed authentication attempts for endpoint "${endpoint}" from your address; try again in ${Math.ceil(blockedMs / 1000)} s`,
        `source ${source}`));
    }
    if (!allowed) {
      throw this.reject("connection_rate", new RouterError("rate_limited",
        `too many new connections to endpoint "${endpoint}"; slow down and try again shortly`,
        `over ${this.opts.settings.connectRatePerSecond}/s (burst ${this.opts.settings.connectBurst})`));
    }
  }

  /** The client failed to authenticate (wrong password or unknown role: counted alike). */
  authenticationFailed(endpointId: string, clientAddress: string): void {
    void this.authThrottle.recordFailure(endpointId, authSource(clientAddress));
  }

  /**
   * A slot for an authenticated session. Only direct sessions count against max_connections:
   * each holds one compute backend, while pooled sessions share the pooler's.
   */
  async admitSession(access: EndpointAccess, sessionId: string, pooled: boolean): Promise<SessionLease> {
    const max = access.maxConnections;
    if (max === undefined || pooled) return UNLIMITED_LEASE;
    const lease = await this.leases.acquire(access.endpointId, sessionId, max);
    if (lease) return lease;
    throw this.reject("too_many_sessions", new RouterError("too_many_connections",
      `too many connections to endpoint "${access.endpointId}" (its limit is ${max}); close some sessions and try again`,
      undefined, access.pooler ? `Connect to "${access.endpointId}-pooler" for transaction pooling.` : undefined));
  }

  close(): Promise<void> {
    return this.leases.close();
  }

  private reject(kind: RejectionKind, err: RouterError): RouterError {
    this.opts.onRejection?.(kind);
    return err;
  }

  /** Compiled once per answer from the route source (the cached answer keeps the same array). */
  private allowListOf(access: EndpointAccess): AllowList {
    let list = this.allowLists.get(access.allowedCidrs);
    if (!list) {
      const compiled = compileAllowList(access.allowedCidrs);
      if (compiled.invalid.length > 0) {
        this.opts.log.warn({ endpoint: access.endpointId, invalid: compiled.invalid }, "allow-list entries that are not addresses, ranges or CIDRs match nothing");
      }
      list = compiled.list;
      this.allowLists.set(access.allowedCidrs, list);
    }
    return list;
  }
}

function authSource(clientAddress: string): string {
  return subnetKey(clientAddress, AUTH_SOURCE_PREFIXES) ?? UNKNOWN_SOURCE;
}

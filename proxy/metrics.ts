import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { REDIS_OPERATIONS, REJECTION_KINDS, SHARED_ROUTE_CACHE_RESULTS } from "../router/index.js";
import type { ErrorKind } from "./protocol/errors.js";

/** `outcome` label values of orochi_proxy_connections_total: a closed set, created up front. */
export const CONNECTION_OUTCOMES = [
  "success", // spliced to a compute
  "health_check", // connected and closed without a byte
  "cancel", // a CancelRequest
  ...(["protocol", "auth", "user", "routing", "limit", "timeout", "compute", "shutdown", "disconnect", "internal"] satisfies ErrorKind[]),
] as const;
export type ConnectionOutcome = (typeof CONNECTION_OUTCOMES)[number];

/** Metrics of one proxy instance, in its own registry (several proxies may share a test process). */
export class ProxyMetrics {
  readonly registry = new Registry();
  readonly connections: Counter<"outcome">;
  readonly handshakeDuration: Histogram<"tls">;
  readonly activeClients: Gauge;
  readonly clientConnectionsLimit: Gauge;
  readonly sessions: Gauge;
  readonly bytes: Counter<"direction">;
  readonly cancelRequests: Counter<"result">;
  readonly tlsHandshakes: Counter<"kind">;
  readonly routeCache: Counter<"result">;
  readonly rejections: Counter<"kind">;
  readonly cancelForwards: Counter<"path">;
  /** Present only when the proxy shares state through Redis (a 0 would otherwise read as "Redis down"). */
  redis: { readonly up: Gauge; readonly errors: Counter<"operation"> } | null = null;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.connections = new Counter({
      name: "orochi_proxy_connections_total",
      help: "Client connections by how they ended up: success (spliced) or the error kind",
      labelNames: ["outcome"],
      registers: [this.registry],
    });
    for (const outcome of CONNECTION_OUTCOMES) this.connections.inc({ outcome }, 0);
    this.handshakeDuration = new Histogram({
      name: "orochi_proxy_handshake_duration_seconds",
      help: "Accept to splice for successful connections (TLS, SCRAM, wake and compute login)",
      labelNames: ["tls"],
      // 2 ms (warm, local) to 30 s (cold start beyond its goal); dense where warm logins land (5–50 ms).
      buckets: [0.002, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.2, 0.35, 0.5, 1, 2, 5, 10, 30],
      registers: [this.registry],
    });
    this.activeClients = new Gauge({
      name: "orochi_proxy_client_connections",
      help: "Open client connections (handshaking or spliced)",
      registers: [this.registry],
    });
    this.clientConnectionsLimit = new Gauge({
      name: "orochi_proxy_client_connections_limit",
      help: "Client connections this proxy holds at most (maxClientConnections); beyond it clients get 53300",
      registers: [this.registry],
    });
    this.sessions = new Gauge({
      name: "orochi_cluster_connection_count",
      help: "Open client sessions spliced to a compute or pooler",
      registers: [this.registry],
    });
    this.bytes = new Counter({
      name: "orochi_data_transfer_bytes",
      help: "Bytes spliced between clients and computes; in = client to compute, out = compute to client",
      labelNames: ["direction"],
      registers: [this.registry],
    });
    this.bytes.inc({ direction: "in" }, 0);
    this.bytes.inc({ direction: "out" }, 0);
    this.cancelRequests = new Counter({
      name: "orochi_proxy_cancel_requests_total",
      help: "CancelRequests by result: forwarded, unknown_key, rate_limited (per source subnet), failed",
      labelNames: ["result"],
      registers: [this.registry],
    });
    for (const result of ["forwarded", "unknown_key", "rate_limited", "failed"]) this.cancelRequests.inc({ result }, 0);
    this.cancelForwards = new Counter({
      name: "orochi_proxy_cancel_forwards_total",
      help: "Cancels forwarded to a backend, by where the key was found: local (this replica) or redis (another replica's session)",
      labelNames: ["path"],
      registers: [this.registry],
    });
    for (const path of ["local", "redis"]) this.cancelForwards.inc({ path }, 0);
    this.routeCache = new Counter({
      name: "orochi_route_cache_requests_total",
      help:
        "Route lookups by result. In memory: hit, negative_hit (endpoint known not to exist), error_hit, miss (asked the next level), error. " +
        "Shared in Redis (on an in-memory miss): l2_hit, l2_negative_hit, l2_miss (asked the control plane), l2_error (Redis unavailable)",
      labelNames: ["result"],
      registers: [this.registry],
    });
    for (const result of ["hit", "negative_hit", "error_hit", "miss", "error", ...SHARED_ROUTE_CACHE_RESULTS]) this.routeCache.inc({ result }, 0);
    this.rejections = new Counter({
      name: "orochi_proxy_rejections_total",
      help: "Connections and cancels refused by a limit, by kind: " + REJECTION_KINDS.join(", "),
      labelNames: ["kind"],
      registers: [this.registry],
    });
    for (const kind of REJECTION_KINDS) this.rejections.inc({ kind }, 0);
    this.tlsHandshakes = new Counter({
      name: "orochi_proxy_tls_handshakes_total",
      help: "TLS handshakes by kind: ssl_request, direct (PG17 ALPN), failed",
      labelNames: ["kind"],
      registers: [this.registry],
    });
  }

  /** Register the Redis health metrics (called when the proxy is given a Redis URL). */
  enableRedis(): NonNullable<ProxyMetrics["redis"]> {
    if (this.redis) return this.redis;
    const up = new Gauge({
      name: "orochi_redis_up",
      help: "1 while the shared-state Redis is reachable, 0 while this replica falls back to local state",
      registers: [this.registry],
    });
    const errors = new Counter({
      name: "orochi_redis_errors_total",
      help: "Redis calls that fell back to local state (failed, timed out, or skipped while Redis was unreachable), by operation",
      labelNames: ["operation"],
      registers: [this.registry],
    });
    for (const operation of REDIS_OPERATIONS) errors.inc({ operation }, 0);
    this.redis = { up, errors };
    return this.redis;
  }
}

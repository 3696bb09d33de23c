import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
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
      help: "CancelRequests by result: forwarded, unknown_key, failed",
      labelNames: ["result"],
      registers: [this.registry],
    });
    for (const result of ["forwarded", "unknown_key", "failed"]) this.cancelRequests.inc({ result }, 0);
    this.routeCache = new Counter({
      name: "orochi_route_cache_requests_total",
      help: "Route lookups by result: hit, negative_hit (endpoint known not to exist), error_hit, miss (asked the source), error",
      labelNames: ["result"],
      registers: [this.registry],
    });
    for (const result of ["hit", "negative_hit", "error_hit", "miss", "error"]) this.routeCache.inc({ result }, 0);
    this.tlsHandshakes = new Counter({
      name: "orochi_proxy_tls_handshakes_total",
      help: "TLS handshakes by kind: ssl_request, direct (PG17 ALPN), failed",
      labelNames: ["kind"],
      registers: [this.registry],
    });
  }
}

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Queryable } from "./store/db.js";
import { CLUSTER_STATUSES } from "./store/clusters.js";

/** Route label of requests that matched no route: keeps scanners from adding series. */
export const UNMATCHED_ROUTE = "unmatched";

/**
 * The control plane's metrics, in a registry of its own (several control planes may share a
 * test process), served at GET /metrics on the API port. No label carries a tenant: `route` is
 * the route template (/v1/clusters/:id, never the id), `status` the HTTP status, and cluster
 * counts are per status only.
 */
export class ControlPlaneMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<"method" | "route" | "status">;
  readonly httpDuration: Histogram<"route">;
  readonly usageRecords: Counter<"result">;

  constructor(store: Queryable) {
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.httpRequests = new Counter({
      name: "orochi_controlplane_http_requests_total",
      help: "API requests by method, route template and HTTP status",
      labelNames: ["method", "route", "status"],
      registers,
    });
    this.httpDuration = new Histogram({
      name: "orochi_controlplane_http_request_duration_seconds",
      help: "API request handling time by route template",
      labelNames: ["route"],
      // 1 ms (internal access lookups) to 30 s (a create that waits for the scheduler).
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.usageRecords = new Counter({
      name: "orochi_controlplane_usage_records_total",
      help: "Usage records received from proxies: accepted (new id) or duplicate (id already stored; mask merged again, bytes not)",
      labelNames: ["result"],
      registers,
    });
    for (const result of ["accepted", "duplicate"]) this.usageRecords.inc({ result }, 0);
    new Gauge({
      name: "orochi_controlplane_clusters",
      help: "Clusters not deleted, by status (read from the store at scrape time)",
      labelNames: ["status"],
      registers,
      async collect() {
        // A store outage must not take /metrics down with it: keep the last counts then.
        const result = await store.query<{ status: string; n: string }>("SELECT status, count(*) AS n FROM clusters WHERE deleted_at IS NULL GROUP BY status").catch(() => null);
        if (!result) return;
        const counts = new Map(result.rows.map((r) => [r.status, Number(r.n)]));
        for (const status of CLUSTER_STATUSES) this.set({ status }, counts.get(status) ?? 0);
      },
    });
  }
}

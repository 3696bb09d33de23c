import { Counter, Gauge, type Registry } from "prom-client";

/** Outcomes of a delivery attempt: a closed set, created up front. */
export const BATCH_RESULTS = ["ok", "retry", "gave_up", "rejected"] as const;
export type BatchResult = (typeof BATCH_RESULTS)[number];

/** How sent records came back. */
export const RECORD_RESULTS = ["accepted", "duplicate", "rejected"] as const;
export type RecordResult = (typeof RECORD_RESULTS)[number];

/** A metric of this name already in the registry (a meter restarted on the same proxy) is reused. */
function reuse<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/**
 * The meter's metrics, added to the proxy's registry. Only orochi_compute_units_consumed carries
 * an endpoint label, bounded by EndpointLabels; the rest describe the spool and delivery.
 */
export class MeterMetrics {
  readonly cuSeconds: Counter<"endpoint">;
  readonly spoolBytes: Gauge;
  readonly spoolFull: Gauge;
  readonly oldestPendingSeconds: Gauge;
  readonly recordsSpooled: Counter;
  readonly recordsSent: Counter<"result">;
  readonly batches: Counter<"result">;
  readonly recordsDropped: Counter;
  readonly corruptLines: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.cuSeconds = reuse(registry, "orochi_compute_units_consumed", () => new Counter({
      name: "orochi_compute_units_consumed",
      help: "CU-seconds this proxy saw: seconds with an open session times the endpoint's CU (per proxy; the control plane merges proxies for billing)",
      labelNames: ["endpoint"],
      registers,
    }));
    this.spoolBytes = reuse(registry, "orochi_usage_spool_bytes", () => new Gauge({
      name: "orochi_usage_spool_bytes",
      help: "Bytes of usage records on disk not yet acknowledged by the control plane",
      registers,
    }));
    this.spoolFull = reuse(registry, "orochi_usage_spool_full", () => new Gauge({
      name: "orochi_usage_spool_full",
      help: "1 while the usage spool is full (usage then waits in memory, bounded; see orochi_usage_records_dropped_total)",
      registers,
    }));
    this.oldestPendingSeconds = reuse(registry, "orochi_usage_oldest_pending_seconds", () => new Gauge({
      name: "orochi_usage_oldest_pending_seconds",
      help: "Age of the oldest usage minute waiting for the control plane's acknowledgement (0 when none)",
      registers,
    }));
    this.recordsSpooled = reuse(registry, "orochi_usage_records_spooled_total", () => new Counter({
      name: "orochi_usage_records_spooled_total",
      help: "Usage records written to the spool",
      registers,
    }));
    this.recordsSent = reuse(registry, "orochi_usage_records_sent_total", () => new Counter({
      name: "orochi_usage_records_sent_total",
      help: "Usage records acknowledged by the control plane: accepted (new), duplicate (already stored), rejected (moved to rejected.jsonl)",
      labelNames: ["result"],
      registers,
    }));
    for (const result of RECORD_RESULTS) this.recordsSent.inc({ result }, 0);
    this.batches = reuse(registry, "orochi_usage_batches_total", () => new Counter({
      name: "orochi_usage_batches_total",
      help: "Usage batch sends by result: ok, retry (attempt failed, retried), gave_up (left in the spool until the next pass), rejected (400/413)",
      labelNames: ["result"],
      registers,
    }));
    for (const result of BATCH_RESULTS) this.batches.inc({ result }, 0);
    this.recordsDropped = reuse(registry, "orochi_usage_records_dropped_total", () => new Counter({
      name: "orochi_usage_records_dropped_total",
      help: "Usage entries dropped because both the spool and the in-memory bound were full (each also logged as an error)",
      registers,
    }));
    this.corruptLines = reuse(registry, "orochi_usage_spool_corrupt_lines_total", () => new Counter({
      name: "orochi_usage_spool_corrupt_lines_total",
      help: "Spool lines skipped because they were truncated or corrupt (each logged)",
      registers,
    }));
  }
}

import { Counter, Histogram, type Registry } from "prom-client";
import { COLD_START_BUCKETS_SECONDS } from "../cold-start-buckets.js";
import { SCHEDULER_CLIENT_ERROR_CODES } from "./errors.js";
import type { SchedulerClientHooks, WakeRequestResult } from "./hooks.js";

const WAKE_REQUEST_RESULTS: readonly WakeRequestResult[] = [
  "warm",
  "cold_start",
  ...SCHEDULER_CLIENT_ERROR_CODES.map((c) => c.toLowerCase() as WakeRequestResult),
];

/**
 * The caller-side wake metrics of DESIGN.md, registered into the caller's registry:
 * - `orochi_wake_requests_total{result}`: one per wake() call (coalesced callers included);
 *   `result` is a closed set, created up front so every series exists from the first scrape.
 * - `orochi_cold_start_duration_seconds`: one per cold start actually requested (the caller that
 *   made the RPC; coalesced callers would repeat the same start), retries and network included.
 * Pass the returned hooks as `createSchedulerClient({ hooks })`.
 */
export function createWakeMetrics(registry: Registry): SchedulerClientHooks {
  const requests = new Counter({
    name: "orochi_wake_requests_total",
    help: "Compute wake requests made through the scheduler client, by result",
    labelNames: ["result"],
    registers: [registry],
  });
  for (const result of WAKE_REQUEST_RESULTS) requests.inc({ result }, 0);
  const coldStarts = new Histogram({
    name: "orochi_cold_start_duration_seconds",
    help: "Time a caller waited for a suspended compute to accept connections",
    buckets: COLD_START_BUCKETS_SECONDS,
    registers: [registry],
  });
  return {
    onWake(event) {
      requests.inc({ result: event.result });
      if (event.result === "cold_start" && !event.coalesced) coldStarts.observe(event.durationSeconds);
    },
  };
}

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { COLD_START_BUCKETS_SECONDS } from "../cold-start-buckets.js";
import { COMPUTE_STATES, type ComputeState } from "../proto/messages.js";
import type { SchedulerReason } from "../status-reasons.js";

/** Outcomes of a Wake as the scheduler sees them; a closed set, so the label stays bounded. */
export const WAKE_RESULTS = ["warm", "cold_start", "coalesced", "not_found", "invalid", "busy", "start_failed", "start_timeout", "error"] as const;
export type WakeResult = (typeof WAKE_RESULTS)[number];

const WAKE_RESULT_OF_REASON: Partial<Record<SchedulerReason, WakeResult>> = {
  ENDPOINT_NOT_FOUND: "not_found",
  INVALID_ARGUMENT: "invalid",
  ENDPOINT_BUSY: "busy",
  COMPUTE_START_FAILED: "start_failed",
  COMPUTE_START_TIMEOUT: "start_timeout",
};

/** The wake result label of a failed Wake. */
export function wakeResultOf(reason: SchedulerReason): WakeResult {
  return WAKE_RESULT_OF_REASON[reason] ?? "error";
}

/** "COMPUTE_STATE_RUNNING" → "running": the label value. */
export function stateLabel(state: ComputeState): string {
  return state.replace(/^COMPUTE_STATE_/, "").toLowerCase();
}

/**
 * The scheduler's metrics, in a registry of its own (one per scheduler instance, so several can
 * run in one process in tests). No label carries an endpoint id: per-endpoint figures are in
 * Describe, which keeps the series count independent of the number of tenants.
 */
export class SchedulerMetrics {
  readonly registry = new Registry();
  private readonly coldStarts: Counter;
  private readonly coldStartDuration: Histogram;
  private readonly wakeRequests: Counter<"result">;

  constructor(countByState: () => ReadonlyMap<ComputeState, number>) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: "orochi_scheduler_computes",
      help: "Computes known to the scheduler, by state",
      labelNames: ["state"],
      registers: [this.registry],
      collect() {
        const counts = countByState();
        for (const state of COMPUTE_STATES) {
          if (state !== "COMPUTE_STATE_UNSPECIFIED") this.set({ state: stateLabel(state) }, counts.get(state) ?? 0);
        }
      },
    });
    this.coldStarts = new Counter({
      name: "orochi_scheduler_cold_starts_total",
      help: "Computes started by a Wake because they were not running",
      registers: [this.registry],
    });
    this.coldStartDuration = new Histogram({
      name: "orochi_cold_start_duration_seconds",
      help: "Time from the first Wake of a suspended compute until it accepts connections (scheduler side)",
      buckets: COLD_START_BUCKETS_SECONDS,
      registers: [this.registry],
    });
    this.wakeRequests = new Counter({
      name: "orochi_scheduler_wake_requests_total",
      help: "Wake calls answered by the scheduler, by result",
      labelNames: ["result"],
      registers: [this.registry],
    });
    for (const result of WAKE_RESULTS) this.wakeRequests.inc({ result }, 0);
  }

  coldStarted(seconds: number): void {
    this.coldStarts.inc();
    this.coldStartDuration.observe(seconds);
  }

  wakeAnswered(result: WakeResult): void {
    this.wakeRequests.inc({ result });
  }
}

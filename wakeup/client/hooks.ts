import type { SchedulerClientErrorCode } from "./errors.js";

/** Outcome of one wake() call: "warm", "cold_start", or the lower-cased error code (a closed set). */
export type WakeRequestResult = "warm" | "cold_start" | Lowercase<SchedulerClientErrorCode>;

export interface WakeEvent {
  readonly endpointId: string;
  readonly result: WakeRequestResult;
  /** How long this caller waited, retries included. */
  readonly durationSeconds: number;
  /** The compute was not running when the wake began. */
  readonly coldStart: boolean;
  /** This caller joined a wake already in flight in this process instead of calling the scheduler. */
  readonly coalesced: boolean;
}

/** Observation points for the caller's metrics and logs (see wake-metrics.ts for a ready-made set). */
export interface SchedulerClientHooks {
  onWake?(event: WakeEvent): void;
}

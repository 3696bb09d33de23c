/**
 * Why a scheduler call failed, beyond its gRPC status code. The server sends the reason as
 * trailing metadata so the client can tell "the scheduler answered: this compute failed to start"
 * from "the scheduler could not be reached" — both arrive as UNAVAILABLE, only the second one is
 * a sign that the scheduler itself is down (and counts for the circuit breaker).
 */
export const REASON_METADATA_KEY = "orochi-reason";

export const SCHEDULER_REASONS = [
  "INVALID_ARGUMENT",
  "UNAUTHENTICATED",
  "ENDPOINT_NOT_FOUND",
  "ENDPOINT_BUSY",
  "COMPUTE_START_FAILED",
  "COMPUTE_START_TIMEOUT",
  "CAPACITY_EXHAUSTED",
  "INTERNAL",
] as const;
export type SchedulerReason = (typeof SCHEDULER_REASONS)[number];

export function isSchedulerReason(value: unknown): value is SchedulerReason {
  return typeof value === "string" && (SCHEDULER_REASONS as readonly string[]).includes(value);
}

import { status, type Metadata } from "@grpc/grpc-js";
import type { SchedulerMethod } from "../proto/messages.js";
import { isSchedulerReason, REASON_METADATA_KEY, SCHEDULER_REASONS } from "../status-reasons.js";

/**
 * Stable codes of client-side failures: the scheduler's own reasons (it answered) plus what can
 * go wrong on the way to it.
 */
export const SCHEDULER_CLIENT_ERROR_CODES = [
  ...SCHEDULER_REASONS,
  /** No answer: connection refused or dropped. */
  "SCHEDULER_UNAVAILABLE",
  /** The call's deadline passed (covering every attempt). */
  "SCHEDULER_TIMEOUT",
  /** Not attempted: the circuit breaker for this scheduler is open. */
  "CIRCUIT_OPEN",
  /** The caller gave up (AbortSignal). */
  "CANCELLED",
  /** Any other failure of the call itself (protocol errors and the like). */
  "SCHEDULER_ERROR",
] as const;
export type SchedulerClientErrorCode = (typeof SCHEDULER_CLIENT_ERROR_CODES)[number];

/**
 * Retry is a property of the error. Retryable: nothing happened or a start failed transiently,
 * and all six calls are idempotent, so trying again is safe:
 * - SCHEDULER_UNAVAILABLE, COMPUTE_START_FAILED (the proto marks both retryable);
 * - COMPUTE_START_TIMEOUT: the scheduler gave up before our deadline, so time is left to retry.
 * Not retryable: SCHEDULER_TIMEOUT (our own deadline is spent), CAPACITY_EXHAUSTED (capacity does
 * not come back within a backoff; the caller should shed the connection), CIRCUIT_OPEN (that is
 * the point of the breaker), and every answer about the request itself (invalid, not found,
 * unauthenticated, busy, internal).
 */
const RETRYABLE = new Set<SchedulerClientErrorCode>(["SCHEDULER_UNAVAILABLE", "COMPUTE_START_FAILED", "COMPUTE_START_TIMEOUT"]);
/** Failures that say the scheduler itself is unreachable or broken; they count for the breaker. */
const SCHEDULER_FAULTS = new Set<SchedulerClientErrorCode>(["SCHEDULER_UNAVAILABLE", "SCHEDULER_TIMEOUT", "SCHEDULER_ERROR"]);

export class SchedulerClientError extends Error {
  override name = "SchedulerClientError";
  readonly retryable: boolean;
  /** Counts as a failure of the scheduler (circuit breaker), not of this one request. */
  readonly schedulerFault: boolean;

  constructor(
    readonly code: SchedulerClientErrorCode,
    readonly grpcCode: status,
    message: string,
    readonly method?: SchedulerMethod,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.retryable = RETRYABLE.has(code);
    this.schedulerFault = SCHEDULER_FAULTS.has(code);
  }
}

export function isRetryable(err: unknown): boolean {
  return err instanceof SchedulerClientError && err.retryable;
}

interface GrpcErrorLike {
  code?: number;
  details?: string;
  message?: string;
  metadata?: Metadata;
}

/** Turn whatever a gRPC call rejected with into a classified SchedulerClientError. */
export function classifyCallError(err: unknown, method: SchedulerMethod, address: string): SchedulerClientError {
  if (err instanceof SchedulerClientError) return err;
  const e = (typeof err === "object" && err !== null ? err : {}) as GrpcErrorLike;
  const grpcCode: status = typeof e.code === "number" ? e.code : status.UNKNOWN;
  const details = e.details || e.message || String(err);
  const reason = e.metadata?.get(REASON_METADATA_KEY)[0];
  if (isSchedulerReason(reason)) return new SchedulerClientError(reason, grpcCode, `scheduler ${method}: ${details}`, method, { cause: err });
  const code = transportCode(grpcCode);
  return new SchedulerClientError(code, grpcCode, `scheduler at ${address} ${method}: ${details}`, method, { cause: err });
}

function transportCode(code: status): SchedulerClientErrorCode {
  switch (code) {
    case status.UNAVAILABLE:
      return "SCHEDULER_UNAVAILABLE";
    case status.DEADLINE_EXCEEDED:
      return "SCHEDULER_TIMEOUT";
    case status.CANCELLED:
      return "CANCELLED";
    case status.UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "SCHEDULER_ERROR";
  }
}

export function circuitOpenError(address: string, retryAfterMs: number, method: SchedulerMethod): SchedulerClientError {
  return new SchedulerClientError(
    "CIRCUIT_OPEN",
    status.UNAVAILABLE,
    `scheduler at ${address} is considered down after repeated failures; not calling it for another ${Math.ceil(retryAfterMs)} ms`,
    method,
  );
}

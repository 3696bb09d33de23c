import { status } from "@grpc/grpc-js";
import { ComputeCapacityError, ComputeStartError } from "../backend/compute-backend.js";
import type { SchedulerReason } from "../status-reasons.js";

/**
 * A failure the scheduler reports to its caller: a gRPC status code (the proto header lists
 * which one means what), a stable reason (sent as trailing metadata, see status-reasons.ts) and a
 * message meant for the operator of the calling component — never for an end user.
 */
export class SchedulerError extends Error {
  override name = "SchedulerError";
  constructor(
    readonly code: status,
    readonly reason: SchedulerReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export const invalidArgument = (message: string) => new SchedulerError(status.INVALID_ARGUMENT, "INVALID_ARGUMENT", message);

export const endpointNotFound = (endpointId: string) =>
  new SchedulerError(status.NOT_FOUND, "ENDPOINT_NOT_FOUND", `endpoint ${endpointId} is not provisioned`);

export const endpointBusy = (endpointId: string) =>
  new SchedulerError(status.FAILED_PRECONDITION, "ENDPOINT_BUSY", `endpoint ${endpointId} is being deprovisioned`);

export const capacityExhausted = (message: string, options?: ErrorOptions) =>
  new SchedulerError(status.RESOURCE_EXHAUSTED, "CAPACITY_EXHAUSTED", message, options);

export const unauthenticated = () =>
  new SchedulerError(status.UNAUTHENTICATED, "UNAUTHENTICATED", "missing or wrong scheduler token (metadata authorization: Bearer <token>)");

/**
 * Any error from the core or a backend, as the status the caller gets. Backend errors carry
 * internal detail (paths, server log lines): that goes to the scheduler's log, the caller gets a
 * short message and a stable reason.
 */
export function toSchedulerError(err: unknown, endpointId?: string): SchedulerError {
  if (err instanceof SchedulerError) return err;
  const subject = endpointId ? `compute ${endpointId}` : "compute";
  if (err instanceof ComputeStartError) {
    return err.timedOut
      ? new SchedulerError(status.DEADLINE_EXCEEDED, "COMPUTE_START_TIMEOUT", `${subject} did not accept connections in time`, { cause: err })
      : new SchedulerError(status.UNAVAILABLE, "COMPUTE_START_FAILED", `${subject} could not be started (see the scheduler log)`, { cause: err });
  }
  if (err instanceof ComputeCapacityError) return capacityExhausted(err.message, { cause: err });
  return new SchedulerError(status.INTERNAL, "INTERNAL", `internal scheduler error${endpointId ? ` for ${endpointId}` : ""} (see the scheduler log)`, { cause: err });
}

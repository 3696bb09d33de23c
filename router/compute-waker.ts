import { SchedulerClientError, type SchedulerClient } from "../wakeup/index.js";
import type { HostPort } from "./access.js";
import { RouterError } from "./errors.js";

export interface WakeResult {
  readonly address: HostPort;
  readonly coldStart: boolean;
  readonly startupMs: number;
  /** Another replica woke it and published the address (router/shared-wake.ts). */
  readonly byOtherReplica?: boolean;
}

export interface WakeOptions {
  signal?: AbortSignal | undefined;
  deadlineMs?: number | undefined;
  /** The caller cannot use an address another replica published earlier: it needs a Wake answered now. */
  fresh?: boolean | undefined;
}

/** Makes a compute accept connections (DESIGN.md step 6). */
export interface ComputeWaker {
  wake(endpointId: string, opts?: WakeOptions): Promise<WakeResult>;
  /** Connecting to the address a wake gave failed: forget it wherever it is shared. */
  forget?(endpointId: string): void;
}

/**
 * The scheduler as a ComputeWaker. The client already coalesces concurrent wakes per endpoint,
 * retries what is retryable and trips a breaker; here its failures become router errors the
 * client can act on.
 */
export function schedulerWaker(client: SchedulerClient): ComputeWaker {
  return {
    async wake(endpointId, opts = {}) {
      try {
        const r = await client.wake(endpointId, {
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(opts.deadlineMs ? { deadlineMs: opts.deadlineMs } : {}),
        });
        return { address: { host: r.host, port: r.port }, coldStart: r.coldStart, startupMs: r.startupMs };
      } catch (err) {
        throw wakeError(endpointId, err);
      }
    },
  };
}

function wakeError(endpointId: string, err: unknown): RouterError {
  const code = err instanceof SchedulerClientError ? err.code : "SCHEDULER_ERROR";
  const detail = `wake ${endpointId}: ${code}: ${(err as Error).message}`;
  if (code === "CAPACITY_EXHAUSTED") {
    return new RouterError("capacity_exhausted", "no capacity to start the compute right now; try again later", detail);
  }
  if (code === "ENDPOINT_NOT_FOUND") {
    return new RouterError("compute_unavailable", `the compute of endpoint "${endpointId}" is not provisioned`, detail);
  }
  return new RouterError("compute_unavailable", `the compute of endpoint "${endpointId}" could not be started right now; try again shortly`, detail);
}

import { status } from "@grpc/grpc-js";
import { SchedulerClientError } from "./errors.js";

/**
 * Wait for a promise someone else started (a coalesced wake) for at most `timeoutMs`, or until
 * `signal` aborts; the shared work itself goes on for the callers still waiting.
 */
export function waitWithin<T>(promise: Promise<T>, timeoutMs: number, signal: AbortSignal | undefined, endpointId: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => finish(() => reject(new SchedulerClientError("SCHEDULER_TIMEOUT", status.DEADLINE_EXCEEDED, `wake of ${endpointId} did not finish within ${timeoutMs} ms`, "Wake"))),
      timeoutMs,
    );
    const onAbort = () => finish(() => reject(new SchedulerClientError("CANCELLED", status.CANCELLED, `wake of ${endpointId} abandoned by the caller`, "Wake")));
    function finish(settle: () => void) {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      settle();
    }
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => finish(() => resolve(value)),
      (err: unknown) => finish(() => reject(err)),
    );
  });
}

import type { SchedulerPort } from "./port.js";

/**
 * A scheduler client for `--scheduler host:port`. Bound to wakeup/'s gRPC client once it is
 * available in the tree; until then only an in-process SchedulerPort can be given.
 */
export async function connectSchedulerByAddress(address: string, _token: string | undefined): Promise<SchedulerPort> {
  throw new Error(`cannot reach the scheduler at ${address}: the wakeup gRPC client is not part of this build yet`);
}

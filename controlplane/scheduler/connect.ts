import { createSchedulerClient } from "../../wakeup/index.js";
import type { SchedulerPort } from "./port.js";
import { schedulerPortFromClient } from "./wakeup-adapter.js";

/** A scheduler client for `--scheduler host:port` (wakeup's gRPC client). */
export async function connectSchedulerByAddress(address: string, token: string | undefined): Promise<SchedulerPort> {
  return schedulerPortFromClient(createSchedulerClient({ address, ...(token ? { token } : {}) }));
}

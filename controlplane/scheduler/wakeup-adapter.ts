import { SchedulerClientError, type Compute, type SchedulerClient } from "../../wakeup/index.js";
import type { ComputeInfo, ComputeState, SchedulerPort } from "./port.js";

const STATES: Record<Compute["state"], ComputeState> = {
  COMPUTE_STATE_UNSPECIFIED: "unknown",
  COMPUTE_STATE_PROVISIONING: "provisioning",
  COMPUTE_STATE_SUSPENDED: "suspended",
  COMPUTE_STATE_STARTING: "starting",
  COMPUTE_STATE_RUNNING: "running",
  COMPUTE_STATE_STOPPING: "stopping",
  COMPUTE_STATE_FAILED: "failed",
};

function toComputeInfo(c: Compute): ComputeInfo {
  return { endpointId: c.endpointId, state: STATES[c.state] ?? "unknown", host: c.host, port: c.port, cu: c.cu, maxConnections: c.maxConnections };
}

const isNotFound = (err: unknown): boolean => err instanceof SchedulerClientError && err.code === "ENDPOINT_NOT_FOUND";

/** The wakeup gRPC client (deadlines, retries, circuit breaker) seen through our SchedulerPort. */
export function schedulerPortFromClient(client: SchedulerClient): SchedulerPort {
  return {
    async provision(spec) {
      const res = await client.provision({
        endpointId: spec.endpointId,
        cu: spec.cu,
        database: spec.database,
        role: spec.role,
        scramSecret: spec.scramSecret,
        autoSuspendSeconds: spec.autoSuspendSeconds,
        start: spec.start ?? false,
        restartIfNeeded: spec.restartIfNeeded ?? false,
      });
      return { compute: toComputeInfo(res.compute), created: res.created };
    },
    async deprovision(endpointId) {
      return { existed: await client.deprovision(endpointId) };
    },
    async wake(endpointId) {
      const res = await client.wake(endpointId);
      return { host: res.host, port: res.port, coldStart: res.coldStart };
    },
    async suspend(endpointId) {
      // Suspending what the scheduler no longer knows is already done.
      return { wasRunning: await client.suspend(endpointId).catch((err: unknown) => (isNotFound(err) ? false : Promise.reject(err))) };
    },
    async describe(endpointId) {
      try {
        const [c] = await client.describe(endpointId);
        return c ? toComputeInfo(c) : null;
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
    async describeAll() {
      return (await client.describe()).map(toComputeInfo);
    },
    close: () => client.close(),
  };
}

import { Metadata, status, type sendUnaryData, type ServerUnaryCall, type UntypedServiceImplementation } from "@grpc/grpc-js";
import type { Logger } from "../../common/log.js";
import type { SchedulerMethod, SchedulerMethods } from "../proto/messages.js";
import { REASON_METADATA_KEY } from "../status-reasons.js";
import type { ComputeManager } from "./compute-manager.js";
import { toSchedulerError, unauthenticated } from "./errors.js";

type Handlers = { [M in SchedulerMethod]: (request: SchedulerMethods[M]["request"]) => Promise<SchedulerMethods[M]["response"]> | SchedulerMethods[M]["response"] };

/** The six RPCs, each a thin adapter over the compute manager. */
export function createSchedulerService(manager: ComputeManager, authorize: (metadata: Metadata) => boolean, log: Logger): UntypedServiceImplementation {
  const handlers: Handlers = {
    Provision: (req) => manager.provision(req),
    Deprovision: async (req) => ({ existed: await manager.deprovision(req.endpointId) }),
    Wake: (req) => manager.wake(req.endpointId),
    Suspend: async (req) => ({ wasRunning: await manager.suspend(req.endpointId) }),
    Describe: (req) => ({ computes: manager.describe(req.endpointId) }),
    ReportActivity: (req) => {
      manager.reportActivity(req);
      return {};
    },
  };
  const service: UntypedServiceImplementation = {};
  for (const [method, handler] of Object.entries(handlers)) service[method] = unary(method, handler as (req: unknown) => unknown, authorize, log);
  return service;
}

/**
 * Authentication, error mapping and logging around one handler. The stable reason travels as
 * trailing metadata; unexpected errors are logged with their cause and answered as INTERNAL.
 */
function unary(method: string, handler: (req: unknown) => unknown, authorize: (metadata: Metadata) => boolean, log: Logger) {
  return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
    const run = async () => {
      if (!authorize(call.metadata)) throw unauthenticated();
      return handler(call.request);
    };
    run().then(
      (response) => callback(null, response),
      (err: unknown) => {
        const error = toSchedulerError(err);
        if (error.code === status.INTERNAL) log.error({ method, err }, "scheduler call failed");
        else log.debug({ method, code: error.reason, message: error.message }, "scheduler call refused");
        const metadata = new Metadata();
        metadata.set(REASON_METADATA_KEY, error.reason);
        callback({ code: error.code, details: error.message, metadata });
      },
    );
  };
}

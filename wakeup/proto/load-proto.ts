import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { packageRoot } from "../../common/paths.js";

/** Fully qualified service name, as it appears on the wire (`/orochi.scheduler.v1.Scheduler/Wake`). */
export const SCHEDULER_SERVICE_NAME = "orochi.scheduler.v1.Scheduler";

// These options fix the decoded shapes described in messages.ts.
const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number, // last_active_unix_ms and cold_starts stay far below 2^53
  enums: String,
  defaults: true,
  oneofs: true, // proto3 `optional`: presence shows as the field being defined
};

let cached: grpc.ServiceDefinition | undefined;

/** Path of scheduler.proto, read at run time from the package root (works from source and from dist/). */
export function schedulerProtoPath(): string {
  return join(packageRoot(), "wakeup", "scheduler.proto");
}

/** The Scheduler service definition, loaded once per process. */
export function schedulerServiceDefinition(): grpc.ServiceDefinition {
  if (cached) return cached;
  const packageDefinition = protoLoader.loadSync(schedulerProtoPath(), LOADER_OPTIONS);
  const service = packageDefinition[SCHEDULER_SERVICE_NAME];
  // Message and enum entries carry `format`; a service is a plain map of method definitions.
  if (!service || "format" in service) throw new Error(`${SCHEDULER_SERVICE_NAME} not found in ${schedulerProtoPath()}`);
  return (cached = service as grpc.ServiceDefinition);
}

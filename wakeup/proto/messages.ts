/**
 * TypeScript shapes of the scheduler.proto messages as @grpc/proto-loader decodes them with the
 * options in load-proto.ts (camelCase fields, enums as strings, 64-bit integers as numbers,
 * defaults filled in). Kept by hand beside the proto: change both together.
 */

export const COMPUTE_STATES = [
  "COMPUTE_STATE_UNSPECIFIED",
  "COMPUTE_STATE_PROVISIONING",
  "COMPUTE_STATE_SUSPENDED",
  "COMPUTE_STATE_STARTING",
  "COMPUTE_STATE_RUNNING",
  "COMPUTE_STATE_STOPPING",
  "COMPUTE_STATE_FAILED",
] as const;
export type ComputeState = (typeof COMPUTE_STATES)[number];

export interface Compute {
  endpointId: string;
  state: ComputeState;
  host: string;
  port: number;
  cu: number;
  maxConnections: number;
  autoSuspendSeconds: number;
  lastActiveUnixMs: number;
  database: string;
  role: string;
  openSessions: number;
  coldStarts: number;
}

export interface ProvisionRequest {
  endpointId: string;
  cu: number;
  database: string;
  role: string;
  scramSecret: string;
  /** Absent = the scheduler's default (300 s); 0 = never. */
  autoSuspendSeconds?: number;
  start?: boolean;
  restartIfNeeded?: boolean;
}

export interface ProvisionResponse {
  compute: Compute;
  created: boolean;
}

export interface DeprovisionRequest {
  endpointId: string;
}

export interface DeprovisionResponse {
  existed: boolean;
}

export interface WakeRequest {
  endpointId: string;
}

export interface WakeResponse {
  host: string;
  port: number;
  coldStart: boolean;
  startupMs: number;
}

export interface SuspendRequest {
  endpointId: string;
}

export interface SuspendResponse {
  wasRunning: boolean;
}

export interface DescribeRequest {
  endpointId: string;
}

export interface DescribeResponse {
  computes: Compute[];
}

export interface EndpointActivity {
  endpointId: string;
  openSessions: number;
}

export interface ReportActivityRequest {
  proxyId: string;
  endpoints: EndpointActivity[];
  fullSnapshot: boolean;
  /** 0 = the scheduler's default TTL. */
  ttlSeconds: number;
}

// The proto message is empty; a named alias keeps method signatures readable.
export type ReportActivityResponse = Record<string, never>;

/** Request and response type of every RPC, keyed by the method name in the proto. */
export interface SchedulerMethods {
  Provision: { request: ProvisionRequest; response: ProvisionResponse };
  Deprovision: { request: DeprovisionRequest; response: DeprovisionResponse };
  Wake: { request: WakeRequest; response: WakeResponse };
  Suspend: { request: SuspendRequest; response: SuspendResponse };
  Describe: { request: DescribeRequest; response: DescribeResponse };
  ReportActivity: { request: ReportActivityRequest; response: ReportActivityResponse };
}
export type SchedulerMethod = keyof SchedulerMethods;
export const SCHEDULER_METHODS = ["Provision", "Deprovision", "Wake", "Suspend", "Describe", "ReportActivity"] as const satisfies readonly SchedulerMethod[];

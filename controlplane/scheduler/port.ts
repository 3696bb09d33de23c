/**
 * What the control plane needs from the scheduler (wakeup/scheduler.proto, DESIGN.md "Scheduler
 * gRPC"). Kept as our own small interface so the provisioning flow does not depend on how the
 * gRPC client is built; scheduler/wakeup-adapter.ts binds it to wakeup/.
 */
export type ComputeState = "provisioning" | "suspended" | "starting" | "running" | "stopping" | "failed" | "unknown";

export interface ComputeInfo {
  endpointId: string;
  state: ComputeState;
  /** Fixed for the endpoint's lifetime; set even while suspended. */
  host: string;
  port: number;
  cu: number;
  maxConnections: number;
}

export interface ProvisionSpec {
  endpointId: string;
  cu: number;
  database: string;
  role: string;
  /** As pg_authid stores it. */
  scramSecret: string;
  autoSuspendSeconds: number;
  start?: boolean;
  restartIfNeeded?: boolean;
}

export interface SchedulerPort {
  /** Idempotent upsert; a changed secret applies to the running compute at once. */
  provision(spec: ProvisionSpec): Promise<{ compute: ComputeInfo; created: boolean }>;
  deprovision(endpointId: string): Promise<{ existed: boolean }>;
  /** Resolves when the compute accepts connections. */
  wake(endpointId: string): Promise<{ host: string; port: number; coldStart: boolean }>;
  suspend(endpointId: string): Promise<{ wasRunning: boolean }>;
  /** One compute (null when unknown to the scheduler), or all when endpointId is omitted. */
  describe(endpointId: string): Promise<ComputeInfo | null>;
  describeAll(): Promise<ComputeInfo[]>;
  close(): Promise<void> | void;
}

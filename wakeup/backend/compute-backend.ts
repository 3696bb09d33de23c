/**
 * Where and how computes run. The scheduler core (server/compute-manager.ts) owns the lifecycle,
 * single-flight, persistence and idle hibernation; a backend only knows how to create, start,
 * stop and destroy one compute. The local process backend is the first implementation; a
 * Kubernetes one (a StatefulSet of one per endpoint, scaled 0 ↔ 1) fits the same shape.
 */

/** Network address of a compute; fixed for the endpoint's lifetime. */
export interface ComputeAddress {
  readonly host: string;
  readonly port: number;
}

/** Everything a backend needs to run one compute. */
export interface ComputeSpec {
  readonly endpointId: string;
  readonly cu: number;
  readonly database: string;
  readonly role: string;
  /** pg_authid.rolpassword form: SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>. */
  readonly scramSecret: string;
}

export interface ComputeHandle extends ComputeSpec {
  readonly address: ComputeAddress;
}

export type ComputeRunState = "running" | "stopped";
/** "adopted": it was running already (e.g. from before a scheduler restart); nothing was started. */
export type StartOutcome = "started" | "adopted";

export interface ComputeBackend {
  /** Short name for logs and the CLI ("local", "kubernetes"). */
  readonly kind: string;
  /** Prepare shared resources (e.g. the template data directory). Called once before use. */
  init(): Promise<void>;
  /**
   * Create the storage of a new compute and choose its address. `taken` lists the addresses of
   * every other compute this scheduler knows, so the backend does not hand out one twice.
   */
  create(spec: ComputeSpec, taken: readonly ComputeAddress[]): Promise<ComputeAddress>;
  /**
   * Make the compute accept connections (resolve when it does). Idempotent: adopts a compute
   * that is already running, and cleans up after one that died (stale lock files, orphans).
   */
  start(compute: ComputeHandle): Promise<StartOutcome>;
  /** Create or update the role (with its secret) and the database owned by it; compute must be running. */
  applyAccess(compute: ComputeHandle): Promise<void>;
  /** Is the compute running and accepting connections right now? Cheap: called on every Wake. */
  runState(compute: ComputeHandle): Promise<ComputeRunState>;
  /** Fast shutdown (sessions are terminated); resolves when it is gone. No-op when stopped. */
  stop(compute: ComputeHandle): Promise<void>;
  /** Stop if needed and delete the compute's storage. */
  destroy(compute: ComputeHandle): Promise<void>;
}

/** A start that failed; `timedOut` distinguishes "not ready in time" from "could not start". */
export class ComputeStartError extends Error {
  constructor(
    message: string,
    readonly timedOut: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ComputeStartError";
  }
}

/** No room for another compute (ports, processes). */
export class ComputeCapacityError extends Error {
  override name = "ComputeCapacityError";
}

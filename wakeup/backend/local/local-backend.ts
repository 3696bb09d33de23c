import { existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { chownToServerUser, copyTemplate, ensureTemplate, pgMajorVersion, startPostgres } from "../../../common/postgres/index.js";
import {
  ComputeStartError,
  type ComputeAddress,
  type ComputeBackend,
  type ComputeHandle,
  type ComputeRunState,
  type ComputeSpec,
  type StartOutcome,
} from "../compute-backend.js";
import { applyRoleAndDatabase } from "./access.js";
import { computePaths, type ComputePaths } from "./layout.js";
import { allocatePort, DEFAULT_COMPUTE_PORT_RANGE, type PortRange } from "./port-allocator.js";
import { cleanUpAfterDeath, killOrphans, postmasterStatus, stopPostmaster, waitWhile } from "./postmaster.js";
import { computeSettings, type GucValue } from "./settings.js";

/** Computes listen here only: every client reaches them through the proxy on the same machine. */
export const LOCAL_COMPUTE_HOST = "127.0.0.1";
export const DEFAULT_START_TIMEOUT_MS = 30_000;
export const DEFAULT_STOP_TIMEOUT_MS = 15_000;
/** A compute's server log is moved aside (one generation kept) when it outgrows this at a start. */
export const LOG_ROTATE_BYTES = 16 * 1024 * 1024;

export interface LocalBackendOptions {
  /** Directory holding one sub-directory per compute. */
  readonly computesDir: string;
  /** Template data directory (initdb'd once, then copied per compute); default `<computesDir>/../template/<major>/data`. */
  readonly templateDir?: string;
  readonly portRange?: PortRange;
  /** Extra GUCs for every compute, applied last (e.g. `{ fsync: "off" }` for throwaway computes). */
  readonly settings?: Readonly<Record<string, GucValue>>;
  readonly startTimeoutMs?: number;
  readonly stopTimeoutMs?: number;
}

/**
 * One PostgreSQL process per endpoint on this machine, started from the local binaries. Processes
 * are detached so they outlive the scheduler; their state is read back from postmaster.pid, so a
 * restarted scheduler adopts them.
 */
export class LocalProcessBackend implements ComputeBackend {
  readonly kind = "local";
  private readonly portRange: PortRange;
  private readonly startTimeoutMs: number;
  private readonly stopTimeoutMs: number;
  private templateDir: string | undefined;
  private pgMajor = 0;

  constructor(private readonly options: LocalBackendOptions) {
    this.portRange = options.portRange ?? DEFAULT_COMPUTE_PORT_RANGE;
    this.startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    this.stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  }

  async init(): Promise<void> {
    mkdirSync(this.options.computesDir, { recursive: true, mode: 0o755 });
    this.pgMajor = pgMajorVersion();
    const templateDir = this.options.templateDir ?? join(this.options.computesDir, "..", "template", String(this.pgMajor), "data");
    this.templateDir = await ensureTemplate(templateDir);
  }

  async create(spec: ComputeSpec, taken: readonly ComputeAddress[]): Promise<ComputeAddress> {
    if (!this.templateDir) throw new Error("LocalProcessBackend.init() was not called");
    const paths = this.paths(spec.endpointId);
    // Left over by a provisioning the scheduler did not finish (it records a compute only after
    // this step succeeded): nothing refers to it, so start afresh.
    if (existsSync(paths.root)) await this.removeFiles(paths);
    mkdirSync(paths.root, { mode: 0o700 });
    try {
      chownToServerUser(paths.root);
      await copyTemplate(this.templateDir, paths.dataDir);
      const ports = new Set(taken.filter((a) => a.host === LOCAL_COMPUTE_HOST).map((a) => a.port));
      const port = await allocatePort(LOCAL_COMPUTE_HOST, this.portRange, ports);
      return { host: LOCAL_COMPUTE_HOST, port };
    } catch (err) {
      rmSync(paths.root, { recursive: true, force: true });
      throw err;
    }
  }

  async start(compute: ComputeHandle): Promise<StartOutcome> {
    const paths = this.paths(compute.endpointId);
    const port = compute.address.port;
    let status = postmasterStatus(paths.dataDir);
    if (status.kind === "starting" || status.kind === "stopping") {
      await waitWhile(paths.dataDir, [status.kind], this.startTimeoutMs);
      status = postmasterStatus(paths.dataDir);
    }
    if (status.kind === "ready") return "adopted"; // still running from before
    if (status.kind !== "absent") await cleanUpAfterDeath(paths.dataDir, paths.socketDir, port, this.stopTimeoutMs);
    rotateLog(paths.logFile);
    const began = Date.now();
    try {
      await startPostgres({
        dataDir: paths.dataDir,
        port,
        listen: compute.address.host,
        socketDir: paths.socketDir,
        settings: computeSettings(compute.cu, this.pgMajor, this.options.settings),
        detached: true,
        logFile: paths.logFile,
        readyTimeoutMs: this.startTimeoutMs,
      });
    } catch (err) {
      const timedOut = Date.now() - began >= this.startTimeoutMs;
      throw new ComputeStartError(`compute ${compute.endpointId} ${timedOut ? "was not ready in time" : "failed to start"}`, timedOut, { cause: err });
    }
    return "started";
  }

  async applyAccess(compute: ComputeHandle): Promise<void> {
    await applyRoleAndDatabase(this.paths(compute.endpointId).socketDir, compute.address.port, compute);
  }

  async runState(compute: ComputeHandle): Promise<ComputeRunState> {
    return postmasterStatus(this.paths(compute.endpointId).dataDir).kind === "ready" ? "running" : "stopped";
  }

  async stop(compute: ComputeHandle): Promise<void> {
    const paths = this.paths(compute.endpointId);
    const status = postmasterStatus(paths.dataDir);
    if (status.kind === "absent") return;
    if (status.kind === "dead") await cleanUpAfterDeath(paths.dataDir, paths.socketDir, compute.address.port, this.stopTimeoutMs);
    else await stopPostmaster(status.pid, paths.dataDir, this.stopTimeoutMs);
  }

  async destroy(compute: ComputeHandle): Promise<void> {
    await this.stop(compute);
    await this.removeFiles(this.paths(compute.endpointId));
  }

  private paths(endpointId: string): ComputePaths {
    return computePaths(this.options.computesDir, endpointId);
  }

  private async removeFiles(paths: ComputePaths): Promise<void> {
    const status = postmasterStatus(paths.dataDir);
    if (status.kind !== "absent" && status.kind !== "dead") await stopPostmaster(status.pid, paths.dataDir, this.stopTimeoutMs);
    await killOrphans(paths.dataDir, this.stopTimeoutMs);
    rmSync(paths.root, { recursive: true, force: true });
  }
}

function rotateLog(logFile: string): void {
  try {
    if (statSync(logFile).size > LOG_ROTATE_BYTES) renameSync(logFile, `${logFile}.1`);
  } catch {
    // no log yet
  }
}

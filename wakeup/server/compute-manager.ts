import type { Logger } from "../../common/log.js";
import type { ComputeBackend, ComputeHandle, StartOutcome } from "../backend/compute-backend.js";
import { resourcesForCu } from "../backend/sizing.js";
import type { Compute, ComputeState, ProvisionRequest, ProvisionResponse, ReportActivityRequest, WakeResponse } from "../proto/messages.js";
import { KeyedMutex } from "../util/keyed-mutex.js";
import { SingleFlight } from "../../common/single-flight.js";
import { ActivityTracker } from "./activity-tracker.js";
import { capacityExhausted, endpointBusy, endpointNotFound, toSchedulerError } from "./errors.js";
import { wakeResultOf, type SchedulerMetrics } from "./metrics.js";
import { parseActivityReport, parseProvisionRequest, type ProvisionCommand } from "./requests.js";
import type { ComputeRecord, ComputeStateStore } from "./state-store.js";
import { checkEndpointId } from "./validation.js";

/** Distinct proxies whose reports are kept at once; bounds memory against a misbehaving caller. */
export const MAX_REPORTING_PROXIES = 1_024;

export interface ComputeManagerOptions {
  readonly backend: ComputeBackend;
  readonly store: ComputeStateStore;
  readonly metrics: SchedulerMetrics;
  readonly log: Logger;
  readonly defaultAutoSuspendSeconds: number;
  readonly defaultActivityTtlSeconds: number;
  readonly maxComputes: number;
  readonly now?: () => number;
}

interface Entry {
  readonly record: ComputeRecord; // persisted part, mutated in place
  state: ComputeState;
  /** Last wake, or last moment a proxy reported open sessions (ms). */
  lastActiveMs: number;
  /** Set as soon as a Deprovision arrives, so new calls fail fast instead of queueing behind it. */
  deleting: boolean;
}

interface WakeOutcome {
  readonly host: string;
  readonly port: number;
  readonly coldStart: boolean;
  readonly startupMs: number;
}

type SuspendReason = "request" | "idle" | "shutdown";

/**
 * The scheduler's core: the registry of computes and their lifecycle. One lifecycle operation per
 * compute at a time (a keyed mutex); concurrent Wakes of a compute that is not running share one
 * start (single-flight); warm Wakes take neither and only check that the process is alive.
 */
export class ComputeManager {
  private readonly entries = new Map<string, Entry>();
  private readonly lifecycle = new KeyedMutex<string>();
  /** Address allocation is serialised so two concurrent provisions never pick the same port. */
  private readonly allocation = new KeyedMutex<"allocate">();
  private readonly coldStarts = new SingleFlight<string, WakeOutcome>();
  private readonly activity = new ActivityTracker();
  private readonly now: () => number;
  private sweeping = false;

  constructor(private readonly o: ComputeManagerOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Load the registry and adopt the computes that are still running. */
  async restore(): Promise<void> {
    for (const record of this.o.store.load()) {
      const entry: Entry = { record, state: "COMPUTE_STATE_SUSPENDED", lastActiveMs: this.now(), deleting: false };
      this.entries.set(record.endpointId, entry);
      if ((await this.o.backend.runState(handleOf(record))) === "running") {
        entry.state = "COMPUTE_STATE_RUNNING";
        this.o.log.info({ endpoint_id: record.endpointId, port: record.port }, "adopted running compute");
      }
    }
    this.o.log.info({ computes: this.entries.size }, "compute registry restored");
  }

  async provision(req: ProvisionRequest): Promise<ProvisionResponse> {
    const cmd = parseProvisionRequest(req, this.o.defaultAutoSuspendSeconds);
    const id = cmd.spec.endpointId;
    if (this.entries.get(id)?.deleting) throw endpointBusy(id);
    return this.lifecycle.runExclusive(id, async () => {
      const existing = this.entries.get(id);
      if (existing?.deleting) throw endpointBusy(id);
      const entry = existing ? await this.update(existing, cmd) : await this.create(cmd);
      return { compute: this.toCompute(entry, this.now()), created: !existing };
    });
  }

  async deprovision(endpointId: string): Promise<boolean> {
    const id = checkEndpointId(endpointId);
    const entry = this.entries.get(id);
    if (!entry) return false;
    entry.deleting = true;
    return this.lifecycle.runExclusive(id, async () => {
      const current = this.entries.get(id);
      if (!current) return false;
      current.deleting = true;
      current.state = "COMPUTE_STATE_STOPPING";
      try {
        await this.o.backend.destroy(handleOf(current.record));
      } catch (err) {
        current.deleting = false;
        current.state = "COMPUTE_STATE_FAILED";
        throw toSchedulerError(err, id);
      }
      this.entries.delete(id);
      this.activity.forget(id);
      await this.persist();
      this.o.log.info({ endpoint_id: id }, "compute deprovisioned");
      return true;
    });
  }

  async wake(endpointId: string): Promise<WakeResponse> {
    try {
      const { outcome, joined } = await this.wakeOnce(endpointId);
      this.o.metrics.wakeAnswered(!outcome.coldStart ? "warm" : joined ? "coalesced" : "cold_start");
      return outcome;
    } catch (err) {
      const error = toSchedulerError(err, endpointId);
      this.o.metrics.wakeAnswered(wakeResultOf(error.reason));
      throw error;
    }
  }

  async suspend(endpointId: string): Promise<boolean> {
    const id = checkEndpointId(endpointId);
    this.require(id);
    return this.suspendEntry(id, "request");
  }

  describe(endpointId: string): Compute[] {
    const now = this.now();
    if (endpointId) return [this.toCompute(this.require(checkEndpointId(endpointId)), now)];
    return [...this.entries.values()].sort((a, b) => a.record.endpointId.localeCompare(b.record.endpointId)).map((e) => this.toCompute(e, now));
  }

  reportActivity(req: ReportActivityRequest): void {
    const report = parseActivityReport(req, this.o.defaultActivityTtlSeconds);
    const now = this.now();
    if (!this.activity.hasProxy(report.proxyId) && this.activity.proxyCount >= MAX_REPORTING_PROXIES) {
      this.activity.expire(now);
      if (this.activity.proxyCount >= MAX_REPORTING_PROXIES) throw capacityExhausted(`more than ${MAX_REPORTING_PROXIES} proxies reporting`);
    }
    for (const id of this.activity.record(report, now)) {
      const entry = this.entries.get(id);
      if (entry) entry.lastActiveMs = now;
    }
  }

  /**
   * Periodic housekeeping: notice computes that died on their own, keep computes with sessions
   * marked active, and suspend those idle for their auto_suspend_seconds.
   */
  async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const now = this.now();
      this.activity.expire(now);
      const idle: string[] = [];
      for (const [id, entry] of this.entries) {
        if (entry.state !== "COMPUTE_STATE_RUNNING" || entry.deleting || this.lifecycle.isLocked(id)) continue;
        if (this.activity.openSessions(id, now) > 0) {
          entry.lastActiveMs = now;
        } else if ((await this.o.backend.runState(handleOf(entry.record))) !== "running") {
          if (entry.state === "COMPUTE_STATE_RUNNING" && !this.lifecycle.isLocked(id)) {
            entry.state = "COMPUTE_STATE_SUSPENDED";
            this.o.log.warn({ endpoint_id: id }, "compute exited on its own; the next wake starts it");
          }
        } else if (this.isIdle(id, entry, now)) {
          idle.push(id);
        }
      }
      await Promise.all(
        idle.map((id) => this.suspendEntry(id, "idle").catch((err: unknown) => this.o.log.error({ endpoint_id: id, err }, "auto-suspend failed"))),
      );
    } finally {
      this.sweeping = false;
    }
  }

  /** Suspend every compute (used when the local stack shuts down as a whole). */
  async suspendAll(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((id) => this.suspendEntry(id, "shutdown").catch(() => false)));
  }

  countByState(): Map<ComputeState, number> {
    const counts = new Map<ComputeState, number>();
    for (const entry of this.entries.values()) counts.set(entry.state, (counts.get(entry.state) ?? 0) + 1);
    return counts;
  }

  /** Wait for queued state-file writes. */
  async flush(): Promise<void> {
    await this.o.store.flush();
  }

  private async wakeOnce(endpointId: string): Promise<{ outcome: WakeOutcome; joined: boolean }> {
    const id = checkEndpointId(endpointId);
    const entry = this.require(id);
    if (entry.deleting) throw endpointBusy(id);
    // Mark activity before any await: an idle check that runs meanwhile must see this wake.
    entry.lastActiveMs = this.now();
    if (entry.state === "COMPUTE_STATE_RUNNING" && (await this.o.backend.runState(handleOf(entry.record))) === "running") {
      // Re-read after the await: a suspend may have begun in between.
      if (entry.state === "COMPUTE_STATE_RUNNING") return { outcome: warm(entry.record), joined: false };
    }
    const firstRequestMs = this.now();
    const flight = this.coldStarts.run(id, () => this.lifecycle.runExclusive(id, () => this.startForWake(id, firstRequestMs)));
    return { outcome: await flight.promise, joined: flight.joined };
  }

  private async startForWake(id: string, firstRequestMs: number): Promise<WakeOutcome> {
    const entry = this.require(id);
    if (entry.deleting) throw endpointBusy(id);
    const handle = handleOf(entry.record);
    if (entry.state === "COMPUTE_STATE_RUNNING") {
      if ((await this.o.backend.runState(handle)) === "running") return warm(entry.record);
      this.o.log.warn({ endpoint_id: id }, "compute found dead; restarting it");
    }
    const outcome = await this.bringUp(entry);
    if (outcome === "adopted") return warm(entry.record);
    entry.record.coldStarts += 1;
    this.persistInBackground();
    const startupMs = this.now() - firstRequestMs;
    this.o.metrics.coldStarted(startupMs / 1000);
    this.o.log.info({ endpoint_id: id, startup_ms: startupMs, cold_starts: entry.record.coldStarts }, "compute woken");
    return { host: handle.address.host, port: handle.address.port, coldStart: true, startupMs };
  }

  /** Start the compute and bring its role and database up to date; RUNNING on success, FAILED otherwise. */
  private async bringUp(entry: Entry): Promise<StartOutcome> {
    const handle = handleOf(entry.record);
    entry.state = "COMPUTE_STATE_STARTING";
    try {
      const outcome = await this.o.backend.start(handle);
      if (!entry.record.accessApplied) {
        await this.o.backend.applyAccess(handle);
        entry.record.accessApplied = true;
        this.persistInBackground();
      }
      entry.state = "COMPUTE_STATE_RUNNING";
      entry.lastActiveMs = this.now();
      return outcome;
    } catch (err) {
      entry.state = "COMPUTE_STATE_FAILED";
      this.o.log.error({ endpoint_id: entry.record.endpointId, err }, "compute start failed");
      throw toSchedulerError(err, entry.record.endpointId);
    }
  }

  private suspendEntry(id: string, reason: SuspendReason): Promise<boolean> {
    return this.lifecycle.runExclusive(id, async () => {
      const entry = this.entries.get(id);
      if (!entry) {
        if (reason === "request") throw endpointNotFound(id);
        return false;
      }
      if (entry.deleting) throw endpointBusy(id);
      const now = this.now();
      // Checked again inside the lock, and the state set before any await, so a Wake that
      // arrives now either counted as activity already or queues behind this suspend.
      if (reason === "idle" && !this.isIdle(id, entry, now)) return false;
      const wasRunning = entry.state === "COMPUTE_STATE_RUNNING";
      entry.state = "COMPUTE_STATE_STOPPING";
      try {
        await this.o.backend.stop(handleOf(entry.record));
      } catch (err) {
        entry.state = "COMPUTE_STATE_FAILED";
        throw toSchedulerError(err, id);
      }
      entry.state = "COMPUTE_STATE_SUSPENDED";
      if (wasRunning) this.o.log.info({ endpoint_id: id, reason, idle_ms: now - entry.lastActiveMs }, "compute suspended");
      return wasRunning;
    });
  }

  private isIdle(id: string, entry: Entry, now: number): boolean {
    const limitSeconds = entry.record.autoSuspendSeconds;
    return (
      entry.state === "COMPUTE_STATE_RUNNING" &&
      limitSeconds > 0 &&
      this.activity.openSessions(id, now) === 0 &&
      now - entry.lastActiveMs >= limitSeconds * 1000
    );
  }

  private async create(cmd: ProvisionCommand): Promise<Entry> {
    const id = cmd.spec.endpointId;
    if (this.entries.size >= this.o.maxComputes) throw capacityExhausted(`the scheduler runs at most ${this.o.maxComputes} computes`);
    const record: ComputeRecord = {
      ...cmd.spec,
      autoSuspendSeconds: cmd.autoSuspendSeconds,
      host: "",
      port: 0,
      coldStarts: 0,
      accessApplied: false,
      createdAtMs: this.now(),
    };
    const entry: Entry = { record, state: "COMPUTE_STATE_PROVISIONING", lastActiveMs: this.now(), deleting: false };
    this.entries.set(id, entry);
    try {
      const address = await this.allocation.runExclusive("allocate", () => this.o.backend.create(cmd.spec, this.addresses()));
      Object.assign(record, { host: address.host, port: address.port });
      // Started once now so the role and database exist before anyone connects; then left as asked.
      await this.bringUp(entry);
      if (!cmd.start) {
        await this.o.backend.stop(handleOf(record));
        entry.state = "COMPUTE_STATE_SUSPENDED";
      }
      await this.persist();
    } catch (err) {
      this.entries.delete(id);
      this.persistInBackground();
      if (record.port) await this.o.backend.destroy(handleOf(record)).catch((e: unknown) => this.o.log.warn({ endpoint_id: id, err: e }, "clean-up after failed provision"));
      throw toSchedulerError(err, id);
    }
    this.o.log.info({ endpoint_id: id, cu: record.cu, port: record.port, running: cmd.start }, "compute provisioned");
    return entry;
  }

  private async update(entry: Entry, cmd: ProvisionCommand): Promise<Entry> {
    const record = entry.record;
    const { spec } = cmd;
    const accessChanged = record.role !== spec.role || record.database !== spec.database || record.scramSecret !== spec.scramSecret;
    const cuChanged = record.cu !== spec.cu;
    Object.assign(record, { cu: spec.cu, role: spec.role, database: spec.database, scramSecret: spec.scramSecret, autoSuspendSeconds: cmd.autoSuspendSeconds });
    if (accessChanged) record.accessApplied = false;
    // Durable first: whatever happens below, the change reaches the compute at its next start.
    await this.persist();
    const running = entry.state === "COMPUTE_STATE_RUNNING";
    if (running && cuChanged && cmd.restartIfNeeded) {
      entry.state = "COMPUTE_STATE_STOPPING";
      try {
        await this.o.backend.stop(handleOf(record));
      } catch (err) {
        entry.state = "COMPUTE_STATE_FAILED";
        throw toSchedulerError(err, record.endpointId);
      }
      await this.bringUp(entry);
    } else if (running && !record.accessApplied) {
      try {
        await this.o.backend.applyAccess(handleOf(record));
      } catch (err) {
        throw toSchedulerError(err, record.endpointId);
      }
      record.accessApplied = true;
      await this.persist();
    } else if (!running && cmd.start) {
      await this.bringUp(entry);
    }
    this.o.log.info({ endpoint_id: record.endpointId, cu_changed: cuChanged, access_changed: accessChanged }, "compute updated");
    return entry;
  }

  private require(id: string): Entry {
    const entry = this.entries.get(id);
    if (!entry) throw endpointNotFound(id);
    return entry;
  }

  private addresses(): { host: string; port: number }[] {
    return [...this.entries.values()].filter((e) => e.record.port > 0).map((e) => ({ host: e.record.host, port: e.record.port }));
  }

  private persist(): Promise<void> {
    return this.o.store.save([...this.entries.values()].filter((e) => e.record.port > 0).map((e) => ({ ...e.record })));
  }

  private persistInBackground(): void {
    this.persist().catch((err: unknown) => this.o.log.error({ err }, "could not save the scheduler state file"));
  }

  private toCompute(entry: Entry, now: number): Compute {
    const r = entry.record;
    return {
      endpointId: r.endpointId,
      state: entry.state,
      host: r.host,
      port: r.port,
      cu: r.cu,
      maxConnections: resourcesForCu(r.cu).maxConnections,
      autoSuspendSeconds: r.autoSuspendSeconds,
      lastActiveUnixMs: entry.lastActiveMs,
      database: r.database,
      role: r.role,
      openSessions: this.activity.openSessions(r.endpointId, now),
      coldStarts: r.coldStarts,
    };
  }
}

function handleOf(record: ComputeRecord): ComputeHandle {
  return { ...record, address: { host: record.host, port: record.port } };
}

function warm(record: ComputeRecord): WakeOutcome {
  return { host: record.host, port: record.port, coldStart: false, startupMs: 0 };
}

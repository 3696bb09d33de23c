import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import type { Registry } from "prom-client";
import { startHealthServer, type HealthServer } from "../../common/health-server.js";
import { createLogger } from "../../common/log.js";
import { LocalProcessBackend } from "../backend/local/local-backend.js";
import { schedulerServiceDefinition } from "../proto/load-proto.js";
import { createTokenCheck } from "./auth.js";
import { ComputeManager } from "./compute-manager.js";
import { parseListenAddress, parseSchedulerConfig, type SchedulerConfig, type SchedulerConfigInput } from "./config.js";
import { createSchedulerService } from "./grpc-service.js";
import { SchedulerMetrics } from "./metrics.js";
import { ComputeStateStore } from "./state-store.js";

/** The largest request accepted (a ReportActivity of 10 000 endpoints is about 400 KB). */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
const STATE_FILE = "computes.json";

export interface RunningScheduler {
  /** host:port the gRPC server listens on (the real port when 0 was asked for). */
  readonly address: string;
  readonly port: number;
  /** Port of the /metrics, /healthz, /readyz server, when it runs. */
  readonly httpPort: number | undefined;
  readonly registry: Registry;
  readonly config: SchedulerConfig;
  /** Run one idle/dead-compute sweep now (tests; the timer does this every idleCheckIntervalMs). */
  sweep(): Promise<void>;
  /**
   * Stop serving. Computes keep running (a restarted scheduler adopts them) unless
   * `suspendComputes` is set, as when the whole local stack shuts down.
   */
  close(options?: { suspendComputes?: boolean }): Promise<void>;
}

/** Start the scheduler in this process: gRPC service, idle sweeper, health/metrics server. */
export async function startScheduler(input: SchedulerConfigInput = {}): Promise<RunningScheduler> {
  const config = parseSchedulerConfig(input);
  const log = config.logger?.child({ component: "scheduler" }) ?? createLogger("scheduler");
  mkdirSync(config.stateDir, { recursive: true, mode: 0o755 });
  const backend =
    config.backend ??
    new LocalProcessBackend({
      computesDir: join(config.stateDir, "computes"),
      templateDir: config.templateDir,
      portRange: config.computePortRange,
      settings: config.computeSettings,
      startTimeoutMs: config.startTimeoutMs,
      stopTimeoutMs: config.stopTimeoutMs,
    });
  await backend.init();

  // The gauge reads the manager at scrape time; the manager records into the metrics.
  const lateBound: { manager?: ComputeManager } = {};
  const metrics = new SchedulerMetrics(() => lateBound.manager?.countByState() ?? new Map());
  const computes = new ComputeManager({
    backend,
    store: new ComputeStateStore(join(config.stateDir, STATE_FILE)),
    metrics,
    log,
    defaultAutoSuspendSeconds: config.defaultAutoSuspendSeconds,
    defaultActivityTtlSeconds: config.defaultActivityTtlSeconds,
    maxComputes: config.maxComputes,
  });
  lateBound.manager = computes;
  await computes.restore();

  const server = new Server({ "grpc.max_receive_message_length": MAX_REQUEST_BYTES });
  server.addService(schedulerServiceDefinition(), createSchedulerService(computes, createTokenCheck(config.token), log));
  const listen = parseListenAddress(config.listen)!;
  const credentials = config.tls
    ? ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(config.tls.cert), private_key: Buffer.from(config.tls.key) }], false)
    : ServerCredentials.createInsecure();
  const host = listen.host.includes(":") ? `[${listen.host}]` : listen.host;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${listen.port}`, credentials, (err, boundPort) => (err ? reject(err) : resolve(boundPort))),
  );

  const sweeper = setInterval(() => {
    computes.sweep().catch((err: unknown) => log.error({ err }, "idle sweep failed"));
  }, config.idleCheckIntervalMs);
  sweeper.unref();

  let closing = false;
  let health: HealthServer | undefined;
  try {
    if (config.http) health = await startHealthServer({ ...config.http, registry: metrics.registry, ready: () => !closing });
  } catch (err) {
    clearInterval(sweeper);
    server.forceShutdown();
    throw err;
  }
  const address = `${host}:${port}`;
  log.info({ address, http_port: health?.port, backend: backend.kind, tls: Boolean(config.tls), token_required: config.token !== undefined }, "scheduler listening");

  return {
    address,
    port,
    httpPort: health?.port,
    registry: metrics.registry,
    config,
    sweep: () => computes.sweep(),
    async close(options = {}) {
      if (closing) return;
      closing = true;
      clearInterval(sweeper);
      await shutdown(server, config.shutdownGraceMs);
      if (options.suspendComputes) await computes.suspendAll();
      await computes.flush();
      await health?.close();
      log.info({ address, suspended_computes: Boolean(options.suspendComputes) }, "scheduler stopped");
    },
  };
}

/** Let in-flight calls finish for up to `graceMs`, then cancel them. */
function shutdown(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

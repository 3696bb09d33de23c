import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { createLogger } from "../common/log.js";
import { resolveControlPlaneConfig, type ControlPlaneConfig, type ControlPlaneConfigInput } from "./config.js";
import type { ConnectionConfig } from "./connection-strings.js";
import { SecretBox } from "./crypto/secret-box.js";
import { loadSecretKey } from "./crypto/secret-key.js";
import { buildApp } from "./http/app.js";
import { bootstrapLocalAdmin } from "./identity/bootstrap.js";
import { RateLimiter } from "./identity/rate-limit.js";
import { loadOrCreateInternalToken } from "./internal-token.js";
import { createPgCatPooler } from "./pooler/pgcat.js";
import { startPgBouncer } from "./pooler/pgbouncer.js";
import type { Pooler } from "./pooler/port.js";
import { errorSummary, type ProvisioningContext } from "./provisioning/context.js";
import { EndpointEvents } from "./provisioning/events.js";
import { KeyedMutex } from "./provisioning/keyed-mutex.js";
import { syncPooler } from "./provisioning/pooler-sync.js";
import { startReconciler, type Reconciler } from "./provisioning/reconciler.js";
import { allRoutes } from "./routes/index.js";
import { connectSchedulerByAddress } from "./scheduler/connect.js";
import type { SchedulerPort } from "./scheduler/port.js";
import { createStorePool } from "./store/db.js";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./store/embedded-postgres.js";
import { migrate } from "./store/migrate.js";
import { ControlPlaneMetrics } from "./metrics.js";

export interface ControlPlane {
  readonly host: string;
  readonly port: number;
  /** http://host:port */
  readonly url: string;
  readonly config: ControlPlaneConfig;
  /** Local mode: where the admin key was saved. */
  readonly adminKeyFile: string | null;
  /** The token proxies send to /internal/v1. */
  readonly internalToken: string;
  /** "endpoint-changed" events: proxies' caches must drop older versions. */
  readonly events: EndpointEvents;
  /** Where the pooler listens, when there is one. */
  readonly pooler: { kind: "pgbouncer" | "pgcat"; host: string; port: number } | null;
  /** Run one reconcile pass now (tests, and after a dependency comes back). */
  reconcile(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Start the control plane in-process: store (migrated), secrets, identity bootstrap (local mode),
 * scheduler client, pooler, reconciler and the HTTP API. Everything started here is stopped by
 * close(), in reverse order; a failure midway stops what had started.
 */
export async function startControlPlane(input: ControlPlaneConfigInput = {}): Promise<ControlPlane> {
  const config = resolveControlPlaneConfig(input);
  const logger = config.logger ?? createLogger("controlplane");
  const cleanups: (() => Promise<void> | void)[] = [];
  const closeAll = async () => {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch((err: unknown) => logger.warn({ err: errorSummary(err) }, "shutdown step failed"));
    cleanups.length = 0;
  };
  try {
    // Traversable by the Postgres/PgBouncer server user; the secrets inside are files of mode 0600.
    if (config.local) mkdirSync(config.stateDir, { recursive: true, mode: 0o755 });

    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const embedded: EmbeddedPostgres = await startEmbeddedPostgres(config.stateDir);
      cleanups.push(() => embedded.stop());
      databaseUrl = embedded.url;
    }
    const pool = createStorePool(databaseUrl);
    cleanups.push(() => pool.end());
    const applied = await migrate(pool);
    if (applied.length > 0) logger.info({ versions: applied }, "migrations applied");

    const box = new SecretBox(
      loadSecretKey(
        config.secretKey
          ? { value: config.secretKey }
          : { file: config.secretKeyFile ?? join(config.stateDir, "secret.key"), create: config.local && !config.secretKeyFile },
      ),
    );
    const internalToken = config.internalToken ?? loadOrCreateInternalToken(config.stateDir);
    const adminKeyFile = config.local ? (await bootstrapLocalAdmin(pool, config.stateDir, logger)).keyFile : null;

    let scheduler: SchedulerPort | null = config.scheduler;
    if (!scheduler && config.schedulerAddress) {
      scheduler = await connectSchedulerByAddress(config.schedulerAddress, config.schedulerToken);
      const owned = scheduler;
      cleanups.push(() => owned.close());
    }

    let pooler: Pooler | null = null;
    let poolerAddress: ControlPlane["pooler"] = null;
    if (config.pooler.kind === "pgbouncer") {
      const p = config.pooler;
      pooler = await startPgBouncer({ dir: p.dir ?? join(config.stateDir, "pgbouncer"), host: p.host, port: p.port, allowFrom: p.allowFrom, binary: p.binary, logger });
      poolerAddress = { kind: "pgbouncer", host: p.host, port: p.port };
    } else if (config.pooler.kind === "pgcat") {
      pooler = createPgCatPooler({ ...config.pooler, logger });
      poolerAddress = { kind: "pgcat", host: config.pooler.host, port: config.pooler.port };
    }
    if (pooler) {
      const owned = pooler;
      cleanups.push(() => owned.close());
    }

    const events = new EndpointEvents();
    const ctx: ProvisioningContext = {
      pool,
      box,
      scheduler,
      pooler,
      events,
      mutex: new KeyedMutex(),
      logger,
      region: config.region,
      retentionMs: config.retentionMs,
    };
    // The pooler starts empty (or with stale entries): fill it from the store before serving.
    await syncPooler(ctx).catch((err: unknown) => logger.warn({ err: errorSummary(err) }, "initial pooler sync failed; the reconciler retries"));
    const reconciler: Reconciler = startReconciler(ctx, config.reconcileIntervalMs);
    cleanups.push(() => reconciler.stop());
    void reconciler.runOnce().catch((err: unknown) => logger.warn({ err: errorSummary(err) }, "initial reconcile failed"));

    const connection: ConnectionConfig = {
      proxyAddress: config.proxyAddress,
      proxyPort: config.proxyPort,
      region: config.region,
      domain: config.domain,
      caFile: config.caFile,
    };
    const rateLimiter = new RateLimiter(config.rateLimits);
    const metrics = new ControlPlaneMetrics(pool);
    const app = await buildApp({
      pool,
      routes: allRoutes({ ctx, connection, rateLimiter, internalToken, metrics }),
      rateLimiter,
      internalToken,
      bodyLimitBytes: config.bodyLimitBytes,
      logger,
      metrics,
    });
    await app.listen({ host: config.host, port: config.port });
    cleanups.push(() => app.close());
    const port = (app.server.address() as AddressInfo).port;
    const hostForUrl = config.host.includes(":") ? `[${config.host}]` : config.host;
    logger.info({ host: config.host, port, local: config.local, pooler: poolerAddress?.kind ?? "none", scheduler: scheduler !== null }, "control plane listening");
    return {
      host: config.host,
      port,
      url: `http://${hostForUrl}:${port}`,
      config,
      adminKeyFile,
      internalToken,
      events,
      pooler: poolerAddress,
      reconcile: () => reconciler.runOnce(),
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

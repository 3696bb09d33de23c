import { existsSync } from "node:fs";
import { join } from "node:path";
import { createLogger, type Logger } from "../common/log.js";
import { publishInvalidations, startControlPlane, type ControlPlane } from "../controlplane/index.js";
import { startProxy, type RunningProxy, ensureLocalCertificates, PROXY_DEFAULTS } from "../proxy/index.js";
import { startScheduler, type RunningScheduler } from "../wakeup/index.js";

/** DESIGN.md "Default local ports" (each overridable). */
export const LOCAL_STACK_PORTS = {
  proxy: PROXY_DEFAULTS.port,
  proxyHttp: PROXY_DEFAULTS.httpPort,
  controlPlane: 7432,
  scheduler: 50051,
  schedulerHttp: 9433,
  pooler: 6432,
} as const;

export const PGBOUNCER_BINARY = "/usr/sbin/pgbouncer";

export interface LocalStackOptions {
  stateDir: string;
  ports?: Partial<Record<keyof typeof LOCAL_STACK_PORTS, number>>;
  /** Use this database for the control plane instead of starting one. */
  databaseUrl?: string;
  /** "auto": PgBouncer when installed. */
  pooler?: "auto" | "pgbouncer" | "none";
  host?: string;
  /** Redis shared by the control plane and the proxy (redis://host:port); without it, in-memory state. */
  redisUrl?: string;
  log?: Logger;
}

export interface LocalStack {
  readonly scheduler: RunningScheduler;
  readonly controlPlane: ControlPlane;
  readonly proxy: RunningProxy;
  readonly caFile: string;
  readonly poolerPort: number | null;
  stop(): Promise<void>;
}

/**
 * The whole data plane on one machine (`orochi up`): the scheduler with its local process
 * backend, the control plane (with its own Postgres unless a URL is given, and PgBouncer as the
 * pooler when installed), and the proxy reading routes from the control plane and waking computes
 * through the scheduler. Everything keeps its state under one directory, so a second start
 * finds the clusters of the first.
 */
export async function startLocalStack(opts: LocalStackOptions): Promise<LocalStack> {
  const log = opts.log ?? createLogger("stack");
  const ports = { ...LOCAL_STACK_PORTS, ...opts.ports };
  const host = opts.host ?? "127.0.0.1";
  const domain = PROXY_DEFAULTS.domains[0]!;
  // The proxy's local CA first: connection strings name its path.
  const tls = await ensureLocalCertificates(join(opts.stateDir, "tls"), [domain]);
  const usePgBouncer = opts.pooler === "pgbouncer" || (opts.pooler !== "none" && existsSync(PGBOUNCER_BINARY));
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((err: unknown) => log.error({ err: (err as Error).message }, "stop failed"));
  };
  try {
    const scheduler = await startScheduler({
      listen: `${host}:${ports.scheduler}`,
      stateDir: join(opts.stateDir, "scheduler"),
      http: { host, port: ports.schedulerHttp },
    });
    stops.push(() => scheduler.close({ suspendComputes: true }));
    const controlPlane = await startControlPlane({
      stateDir: opts.stateDir,
      host,
      port: ports.controlPlane,
      ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}),
      schedulerAddress: scheduler.address,
      pooler: usePgBouncer ? { kind: "pgbouncer", host, port: ports.pooler } : { kind: "none" },
      proxyAddress: host,
      proxyPort: ports.proxy,
      caFile: tls.caFile,
    });
    stops.push(() => controlPlane.close());
    if (opts.redisUrl) {
      const invalidations = publishInvalidations({ events: controlPlane.events, url: opts.redisUrl, log });
      stops.push(() => invalidations.close());
    }
    const proxy = await startProxy({
      stateDir: opts.stateDir,
      controlPlane: { url: controlPlane.url, token: controlPlane.internalToken },
      usage: { url: controlPlane.url, token: controlPlane.internalToken },
      scheduler: { address: scheduler.address },
      redis: opts.redisUrl ? { url: opts.redisUrl } : null,
      config: { listenHost: host, port: ports.proxy, httpHost: host, httpPort: ports.proxyHttp, domains: [domain] },
    });
    stops.push(() => proxy.close());
    // Rotations, deletes and scale changes reach the proxy's cache at once (in-process, and through
    // Redis for other replicas when it is configured).
    controlPlane.events.on("endpoint-changed", (e: { endpoint_id: string; reason: string }) => {
      proxy.router.invalidateEndpoint(e.endpoint_id);
      log.info({ endpoint: e.endpoint_id, reason: e.reason }, "route invalidated");
    });
    return { scheduler, controlPlane, proxy, caFile: tls.caFile, poolerPort: usePgBouncer ? ports.pooler : null, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

import { join } from "node:path";
import { createLogger, type Logger } from "../common/log.js";
import { startHealthServer, type HealthServer } from "../common/health-server.js";
import {
  ControlPlaneRouteSource,
  SharedRedis,
  StaticRouteSource,
  createRouter,
  resolveRouterSettings,
  schedulerWaker,
  type RouteCacheOptions,
  type RouteSource,
  type Router,
  type RouterSettings,
} from "../router/index.js";
import { createSchedulerClient, createWakeMetrics, type SchedulerClient } from "../wakeup/index.js";
import { startActivityReporter, type ActivityReporter } from "./activity-reporter.js";
import { ProxyMetrics } from "./metrics.js";
import { proxyConfig, type ProxyConfigInput, type ProxyConfig } from "./config.js";
import { loadFakeSecretKey } from "./fake-secret-key.js";
import { startUsageMeter, type UsageMeter, type UsageMeterOptions } from "./metering/index.js";
import { ProxyServer } from "./server.js";
import { ensureLocalCertificates } from "./tls/local-ca.js";
import type { CertificatePair } from "./tls/cert-store.js";

export interface StartProxyOptions {
  /** Static route table file (`--routes`). */
  routesFile?: string;
  /** Or the control plane's internal API (cached: see router/route-cache.ts). */
  controlPlane?: { url: string; token: string; cache?: Omit<RouteCacheOptions, "onResult" | "now"> } | null;
  /** Or any route source (tests). */
  routeSource?: RouteSource;
  /** Where the local CA and keys live when no certificates are given. */
  stateDir: string;
  /** The scheduler that owns managed computes: woken after authentication, told about sessions. */
  scheduler?: { address: string; token?: string | undefined; ca?: Buffer | undefined } | null;
  /** Shared state with the other replicas (route cache, limits, cancel keys, wakes); without it, in memory. */
  redis?: { url: string } | null;
  /** Usage accounting delivered to the control plane (proxy/metering); without it, no meter. */
  usage?: { url: string; token: string; spoolDir?: string | undefined; limits?: UsageMeterOptions["limits"] } | null;
  /** Limits and shared-state timings (router/settings.ts defaults). */
  router?: Partial<RouterSettings>;
  /** Overrides of the defaults; certificates/fakeSecretKey are filled in when absent. */
  config?: Partial<ProxyConfigInput>;
  log?: Logger;
}

export interface RunningProxy {
  readonly config: ProxyConfig;
  readonly server: ProxyServer;
  readonly router: Router;
  readonly scheduler: SchedulerClient | null;
  readonly meter: UsageMeter | null;
  readonly port: number;
  readonly httpPort: number | null;
  /** Local CA certificate, when the proxy generated its own. */
  readonly caFile: string | null;
  /** SIGHUP: re-read the route file and certificates. */
  reload(): Promise<boolean>;
  drain(timeoutMs?: number): Promise<{ forced: number }>;
  close(): Promise<void>;
}

/** Build and start a proxy: certificates, route source, router, listener and side HTTP server. */
export async function startProxy(opts: StartProxyOptions): Promise<RunningProxy> {
  const log = opts.log ?? createLogger("proxy");
  const domains = opts.config?.domains ?? ["local.orochi.localhost"];
  let certificates: readonly CertificatePair[] = opts.config?.certificates ?? [];
  let caFile: string | null = null;
  if (certificates.length === 0) {
    const local = await ensureLocalCertificates(join(opts.stateDir, "tls"), domains);
    certificates = [local];
    caFile = local.caFile;
    log.info({ ca: local.caFile, cert: local.certFile }, "using the local CA's certificate");
  }
  const config = proxyConfig({
    ...opts.config,
    domains,
    certificates,
    fakeSecretKey: opts.config?.fakeSecretKey ?? loadFakeSecretKey(join(opts.stateDir, "proxy", "fake-secret.key")),
  });
  const settings = resolveRouterSettings(opts.router);
  const metrics = new ProxyMetrics();
  let staticSource: StaticRouteSource | null = null;
  let controlPlaneSource: ControlPlaneRouteSource | null = null;
  let source = opts.routeSource;
  if (!source && opts.controlPlane) {
    controlPlaneSource = new ControlPlaneRouteSource({ url: opts.controlPlane.url, token: opts.controlPlane.token });
    source = controlPlaneSource;
    log.info({ control_plane: opts.controlPlane.url }, "routes come from the control plane");
  } else if (!source) {
    if (!opts.routesFile) throw new Error("a route source is required (--routes FILE or --control-plane URL)");
    staticSource = await StaticRouteSource.open(opts.routesFile, log);
    source = staticSource;
  }
  const scheduler = opts.scheduler
    ? createSchedulerClient({
        address: opts.scheduler.address,
        token: opts.scheduler.token,
        tls: opts.scheduler.ca ? { ca: opts.scheduler.ca } : undefined,
        hooks: createWakeMetrics(metrics.registry),
      })
    : null;
  const redis = opts.redis ? await connectRedis(opts.redis.url, settings, metrics, log) : null;
  const router = createRouter({
    source,
    cache: controlPlaneSource ? (opts.controlPlane?.cache ?? {}) : null,
    waker: scheduler ? schedulerWaker(scheduler) : null,
    redis,
    settings,
    replicaId: config.proxyId,
    log,
    observer: { routeCache: (result) => metrics.routeCache.inc({ result }), rejection: (kind) => metrics.rejections.inc({ kind }) },
  });
  let server: ProxyServer;
  try {
    server = await ProxyServer.start({ config, router, log, metrics });
  } catch (err) {
    await router.close();
    await redis?.close();
    scheduler?.close();
    throw err;
  }
  const activity: ActivityReporter | null = scheduler
    ? startActivityReporter({ scheduler, sessions: server.sessions, proxyId: config.proxyId, log })
    : null;
  let meter: UsageMeter | null = null;
  // After the listener closed and sessions ended, so every session's end is counted.
  const shutdownExtras = async () => {
    await meter?.close();
    await activity?.stop();
    await router.close();
    await redis?.close();
    scheduler?.close();
    await controlPlaneSource?.close();
  };
  if (opts.usage) {
    try {
      meter = await startUsageMeter({
        sessions: server.sessions,
        proxyId: config.proxyId,
        spoolDir: opts.usage.spoolDir ?? join(opts.stateDir, "proxy", "usage-spool"),
        endpointUrl: opts.usage.url,
        token: opts.usage.token,
        log,
        registry: metrics.registry,
        limits: opts.usage.limits,
      });
    } catch (err) {
      await server.close();
      await shutdownExtras();
      throw err;
    }
  }
  let health: HealthServer | null = null;
  if (config.httpPort !== null) {
    try {
      health = await startHealthServer({ host: config.httpHost, port: config.httpPort, registry: server.metrics.registry, ready: () => server.ready });
    } catch (err) {
      await server.close();
      await shutdownExtras();
      throw err;
    }
  }
  return {
    config,
    server,
    router,
    scheduler,
    get meter() {
      return meter;
    },
    port: server.port,
    httpPort: health?.port ?? null,
    caFile,
    async reload() {
      let ok = true;
      if (staticSource) ok = await staticSource.reload();
      try {
        server.reloadCertificates();
      } catch (err) {
        log.error({ err: (err as Error).message }, "certificate reload failed; keeping the previous certificates");
        ok = false;
      }
      return ok;
    },
    async drain(timeoutMs) {
      const result = await server.drain(timeoutMs);
      await shutdownExtras();
      await health?.close();
      return result;
    },
    async close() {
      await server.close();
      await shutdownExtras();
      await health?.close();
    },
  };
}

/** Connect to Redis, waiting (bounded) for the first connection; a Redis that is down only degrades the proxy. */
async function connectRedis(url: string, settings: RouterSettings, metrics: ProxyMetrics, log: Logger): Promise<SharedRedis> {
  const m = metrics.enableRedis();
  const redis = new SharedRedis({
    url,
    commandTimeoutMs: settings.redisCommandTimeoutMs,
    connectTimeoutMs: settings.redisConnectTimeoutMs,
    log,
    onHealth: (up) => m.up.set(up ? 1 : 0),
    onError: (operation) => m.errors.inc({ operation }),
  });
  if (!(await redis.waitReady(settings.redisConnectTimeoutMs))) {
    log.warn({ waited_ms: settings.redisConnectTimeoutMs }, "Redis not reachable at start; serving with this replica's local state until it is");
  }
  return redis;
}

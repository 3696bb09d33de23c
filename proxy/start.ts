import { join } from "node:path";
import { createLogger, type Logger } from "../common/log.js";
import { startHealthServer, type HealthServer } from "../common/health-server.js";
import { Router, StaticRouteSource, type RouteSource } from "../router/index.js";
import { proxyConfig, type ProxyConfigInput, type ProxyConfig } from "./config.js";
import { loadFakeSecretKey } from "./fake-secret-key.js";
import { ProxyServer } from "./server.js";
import { ensureLocalCertificates } from "./tls/local-ca.js";
import type { CertificatePair } from "./tls/cert-store.js";

export interface StartProxyOptions {
  /** Static route table file (`--routes`). */
  routesFile?: string;
  /** Or any route source (tests, the control-plane source). */
  routeSource?: RouteSource;
  /** Where the local CA and keys live when no certificates are given. */
  stateDir: string;
  /** Overrides of the defaults; certificates/fakeSecretKey are filled in when absent. */
  config?: Partial<ProxyConfigInput>;
  log?: Logger;
}

export interface RunningProxy {
  readonly config: ProxyConfig;
  readonly server: ProxyServer;
  readonly router: Router;
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
  let staticSource: StaticRouteSource | null = null;
  let source = opts.routeSource;
  if (!source) {
    if (!opts.routesFile) throw new Error("a route source is required (--routes FILE)");
    staticSource = await StaticRouteSource.open(opts.routesFile, log);
    source = staticSource;
  }
  const router = new Router({ source, log });
  const server = await ProxyServer.start({ config, router, log });
  let health: HealthServer | null = null;
  if (config.httpPort !== null) {
    try {
      health = await startHealthServer({ host: config.httpHost, port: config.httpPort, registry: server.metrics.registry, ready: () => server.ready });
    } catch (err) {
      await server.close();
      throw err;
    }
  }
  return {
    config,
    server,
    router,
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
      await health?.close();
      return result;
    },
    async close() {
      await server.close();
      await health?.close();
    },
  };
}

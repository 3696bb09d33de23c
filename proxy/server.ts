import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import type { Logger } from "../common/log.js";
import type { Router } from "../router/index.js";
import type { ProxyConfig } from "./config.js";
import { ProxyMetrics } from "./metrics.js";
import { settleBytes } from "./session/bytes.js";
import { handleConnection } from "./session/connection.js";
import { SessionRegistry } from "./session/session-registry.js";
import { CertificateStore } from "./tls/cert-store.js";

/** How often live sessions' byte counters are folded into the metrics. */
const BYTES_SAMPLE_INTERVAL_MS = 5_000;

export interface ProxyServerOptions {
  config: ProxyConfig;
  router: Router;
  log: Logger;
  metrics?: ProxyMetrics;
}

/**
 * The client-facing listener: accepts, tracks every client socket, hands each to
 * handleConnection, and shuts down either by draining (SIGTERM) or at once (SIGINT).
 */
export class ProxyServer {
  readonly metrics: ProxyMetrics;
  readonly sessions = new SessionRegistry();
  private readonly server: Server;
  private readonly clients = new Set<Socket>();
  private certificates: CertificateStore;
  private draining = false;
  private readonly sampler: NodeJS.Timeout;

  private constructor(private readonly opts: ProxyServerOptions) {
    this.metrics = opts.metrics ?? new ProxyMetrics();
    // The denominator of the connection pool exhaustion alert (ops/prometheus/rules.yml).
    this.metrics.clientConnectionsLimit.set(opts.config.maxClientConnections);
    this.certificates = CertificateStore.load(opts.config.certificates);
    // No Nagle and TCP keepalive on every client socket, set by the listener (no per-connection calls).
    this.server = createServer(
      { allowHalfOpen: true, noDelay: true, keepAlive: true, keepAliveInitialDelay: opts.config.keepAliveInitialDelayMs },
      (socket) => this.accept(socket),
    );
    this.server.on("error", (err) => opts.log.error({ err: err.message }, "listener error"));
    this.sampler = setInterval(() => {
      for (const s of this.sessions.all()) settleBytes(s, this.metrics);
    }, BYTES_SAMPLE_INTERVAL_MS).unref();
  }

  static async start(opts: ProxyServerOptions): Promise<ProxyServer> {
    const proxy = new ProxyServer(opts);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once("error", reject);
      proxy.server.listen(opts.config.port, opts.config.listenHost, () => {
        proxy.server.off("error", reject);
        resolve();
      });
    });
    opts.log.info({ host: opts.config.listenHost, port: proxy.port }, "proxy listening");
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get router(): Router {
    return this.opts.router;
  }

  /** Accepting connections (false once draining). */
  get ready(): boolean {
    return !this.draining && this.server.listening;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Swap in new certificates (e.g. on SIGHUP); used by new connections only. */
  reloadCertificates(): void {
    this.certificates = CertificateStore.load(this.opts.config.certificates);
  }

  private accept(socket: Socket): void {
    const overLimit = this.clients.size >= this.opts.config.maxClientConnections;
    this.clients.add(socket);
    this.metrics.activeClients.inc();
    socket.once("close", () => {
      this.clients.delete(socket);
      this.metrics.activeClients.dec();
    });
    // Errors are handled by the connection; this keeps a late one from crashing the process.
    socket.on("error", () => undefined);
    void handleConnection(
      socket,
      {
        config: this.opts.config,
        router: this.opts.router,
        certificates: () => this.certificates,
        metrics: this.metrics,
        sessions: this.sessions,
        log: this.opts.log,
      },
      overLimit,
    ).catch((err: unknown) => {
      this.opts.log.error({ err: (err as Error).stack }, "unhandled connection error");
      socket.destroy();
    });
  }

  /**
   * Graceful shutdown: stop accepting, let open sessions finish for up to timeoutMs, then close
   * whatever is left. Resolves when every client socket is gone.
   */
  async drain(timeoutMs = this.opts.config.drainTimeoutMs): Promise<{ forced: number }> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.opts.log.info({ sessions: this.sessions.size, clients: this.clients.size, timeout_ms: timeoutMs }, "draining");
    const idle = await this.waitForClients(timeoutMs);
    const forced = idle ? 0 : this.clients.size;
    if (!idle) this.opts.log.warn({ sessions: this.sessions.size, clients: forced }, "drain deadline reached; closing remaining connections");
    await this.close();
    await closed;
    return { forced };
  }

  /** Immediate shutdown: close the listener and every connection now. */
  async close(): Promise<void> {
    this.draining = true;
    clearInterval(this.sampler);
    if (this.server.listening) this.server.close();
    for (const s of this.sessions.all()) s.close();
    for (const c of this.clients) c.destroy();
    while (this.clients.size > 0) await new Promise((r) => setTimeout(r, 5));
  }

  private async waitForClients(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.clients.size > 0) {
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }
}

import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { CertificatePair } from "./tls/cert-store.js";
import { PROXY_DEFAULTS } from "./defaults.js";

/** The proxy's settings after validation; frozen at start. */
export interface ProxyConfig {
  readonly listenHost: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly httpHost: string;
  /** null: no HTTP side server. */
  readonly httpPort: number | null;
  /** SNI suffixes: `<endpoint>.<domain>` for each (region included, e.g. "local.orochi.localhost"). */
  readonly domains: readonly string[];
  readonly certificates: readonly CertificatePair[];
  readonly requireTls: boolean;
  /** Every connection starts with a PROXY protocol v2 header (behind a TCP load balancer). */
  readonly proxyProtocol: boolean;
  readonly handshakeTimeoutMs: number;
  readonly maxStartupPacketBytes: number;
  readonly maxPasswordMessageBytes: number;
  readonly maxSaslMessageBytes: number;
  readonly maxComputeLoginMessageBytes: number;
  readonly maxClientConnections: number;
  readonly drainTimeoutMs: number;
  readonly computeConnectTimeoutMs: number;
  readonly keepAliveInitialDelayMs: number;
  /** Key that derives stable fake SCRAM verifiers for unknown roles (same on every replica). */
  readonly fakeSecretKey: Buffer;
  /** Names this proxy in logs and activity reports. */
  readonly proxyId: string;
}

export type ProxyConfigInput = Partial<ProxyConfig> & Pick<ProxyConfig, "certificates" | "fakeSecretKey">;

export function proxyConfig(input: ProxyConfigInput): ProxyConfig {
  const cfg: ProxyConfig = {
    listenHost: PROXY_DEFAULTS.listenHost,
    port: PROXY_DEFAULTS.port,
    httpHost: input.listenHost ?? PROXY_DEFAULTS.listenHost,
    httpPort: PROXY_DEFAULTS.httpPort,
    domains: PROXY_DEFAULTS.domains,
    requireTls: PROXY_DEFAULTS.requireTls,
    proxyProtocol: PROXY_DEFAULTS.proxyProtocol,
    handshakeTimeoutMs: PROXY_DEFAULTS.handshakeTimeoutMs,
    maxStartupPacketBytes: PROXY_DEFAULTS.maxStartupPacketBytes,
    maxPasswordMessageBytes: PROXY_DEFAULTS.maxPasswordMessageBytes,
    maxSaslMessageBytes: PROXY_DEFAULTS.maxSaslMessageBytes,
    maxComputeLoginMessageBytes: PROXY_DEFAULTS.maxComputeLoginMessageBytes,
    maxClientConnections: PROXY_DEFAULTS.maxClientConnections,
    drainTimeoutMs: PROXY_DEFAULTS.drainTimeoutMs,
    computeConnectTimeoutMs: PROXY_DEFAULTS.computeConnectTimeoutMs,
    keepAliveInitialDelayMs: PROXY_DEFAULTS.keepAliveInitialDelayMs,
    // Unique per instance: several proxies may share a process (tests) or a pid namespace.
    proxyId: `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`,
    ...input,
  };
  const positive: Array<keyof ProxyConfig> = [
    "handshakeTimeoutMs",
    "maxStartupPacketBytes",
    "maxPasswordMessageBytes",
    "maxSaslMessageBytes",
    "maxComputeLoginMessageBytes",
    "maxClientConnections",
    "computeConnectTimeoutMs",
  ];
  for (const k of positive) {
    const v = cfg[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) throw new Error(`proxy setting ${k} must be a positive integer (got ${String(v)})`);
  }
  if (cfg.maxStartupPacketBytes < 8) throw new Error("proxy setting maxStartupPacketBytes must be at least 8");
  if (cfg.domains.length === 0) throw new Error("proxy setting domains must name at least one domain");
  if (cfg.certificates.length === 0) throw new Error("proxy needs at least one TLS certificate");
  return Object.freeze(cfg);
}

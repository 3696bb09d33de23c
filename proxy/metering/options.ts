import { ENDPOINT_ID_PATTERN } from "../../common/endpoint-id.js";
import type { Registry } from "prom-client";
import { z } from "zod";
import type { Logger } from "../../common/log.js";
import { MAX_USAGE_BATCH_BYTES, MAX_USAGE_BATCH_RECORDS } from "../../controlplane/usage-api.js";
import type { SessionRegistry } from "../session/session-registry.js";
import { USAGE_METER_DEFAULTS as D } from "./defaults.js";

const ms = (min: number, max: number, dflt: number) => z.number().int().min(min).max(max).default(dflt);

/** Tunables, each bounded; the defaults are USAGE_METER_DEFAULTS. */
const LimitsSchema = z.strictObject({
  tickIntervalMs: ms(50, 10_000, D.tickIntervalMs),
  recordIntervalMs: ms(100, 60_000, D.recordIntervalMs),
  sendIntervalMs: ms(50, 300_000, D.sendIntervalMs),
  batchMaxRecords: z.number().int().min(1).max(MAX_USAGE_BATCH_RECORDS).default(D.batchMaxRecords),
  batchMaxBytes: z.number().int().min(4 * 1024).max(MAX_USAGE_BATCH_BYTES - 1024).default(D.batchMaxBytes),
  spoolMaxBytes: z.number().int().min(64 * 1024).max(64 * 1024 * 1024 * 1024).default(D.spoolMaxBytes),
  segmentMaxBytes: z.number().int().min(4 * 1024).max(256 * 1024 * 1024).default(D.segmentMaxBytes),
  maxPendingEntries: z.number().int().min(100).max(10_000_000).default(D.maxPendingEntries),
  sendAttempts: z.number().int().min(1).max(20).default(D.sendAttempts),
  retryBaseDelayMs: ms(1, 60_000, D.retryBaseDelayMs),
  retryMaxDelayMs: ms(1, 300_000, D.retryMaxDelayMs),
  closeDeliveryTimeoutMs: ms(0, 120_000, D.closeDeliveryTimeoutMs),
  connectTimeoutMs: ms(10, 120_000, D.connectTimeoutMs),
  requestTimeoutMs: ms(10, 300_000, D.requestTimeoutMs),
  keepAliveTimeoutMs: ms(100, 600_000, D.keepAliveTimeoutMs),
  connections: z.number().int().min(1).max(16).default(D.connections),
  maxLabeledEndpoints: z.number().int().min(0).max(10_000).default(D.maxLabeledEndpoints),
  labelIdleReleaseMs: ms(1_000, 86_400_000, D.labelIdleReleaseMs),
  /** Endpoints that always get their own label value, on top of maxLabeledEndpoints. */
  labeledEndpoints: z.array(z.string().regex(ENDPOINT_ID_PATTERN)).max(1_000).default([]),
});

export type UsageMeterLimits = z.output<typeof LimitsSchema>;

export interface UsageMeterOptions {
  /** The proxy's live sessions (`RunningProxy.server.sessions`). */
  sessions: SessionRegistry;
  /** Names this proxy in batches and logs (`ProxyConfig.proxyId`). */
  proxyId: string;
  /** Directory of the spool (created if missing; one meter per directory). */
  spoolDir: string;
  /** Base URL of the control plane, e.g. http://127.0.0.1:7432 (the path is fixed). */
  endpointUrl: string;
  /** The control plane's internal token. */
  token: string;
  log: Logger;
  /** The proxy's metrics registry: the meter adds its metrics to it. */
  registry: Registry;
  limits?: Partial<z.input<typeof LimitsSchema>>;
}

/** Validate once (each bad option named), then freeze. */
export function resolveLimits(input: UsageMeterOptions["limits"] = {}): Readonly<UsageMeterLimits> {
  const parsed = LimitsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`usage meter option ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  const l = parsed.data;
  if (l.spoolMaxBytes < 4 * l.segmentMaxBytes) throw new Error("usage meter option spoolMaxBytes: must be at least 4 × segmentMaxBytes");
  if (l.retryMaxDelayMs < l.retryBaseDelayMs) throw new Error("usage meter option retryMaxDelayMs: must not be below retryBaseDelayMs");
  return Object.freeze({ ...l, labeledEndpoints: Object.freeze([...l.labeledEndpoints]) as string[] });
}

/** The control plane URL must be http(s) without credentials, query or fragment. */
export function parseEndpointUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`usage meter option endpointUrl: not a URL: "${text}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("usage meter option endpointUrl: must be http:// or https://");
  if (url.username || url.password || url.search || url.hash) throw new Error("usage meter option endpointUrl: no credentials, query or fragment (the token is passed separately)");
  return url;
}

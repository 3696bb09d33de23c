import { join } from "node:path";
import { z } from "zod";
import { defaultStateDir } from "../../common/paths.js";
import type { Logger } from "../../common/log.js";
import type { ComputeBackend } from "../backend/compute-backend.js";
import { DEFAULT_START_TIMEOUT_MS, DEFAULT_STOP_TIMEOUT_MS } from "../backend/local/local-backend.js";
import { DEFAULT_COMPUTE_PORT_RANGE } from "../backend/local/port-allocator.js";
import { MAX_ACTIVITY_TTL_SECONDS } from "./requests.js";

/** DESIGN.md "Default local ports": scheduler gRPC 50051. */
export const DEFAULT_SCHEDULER_LISTEN = "127.0.0.1:50051";
/** /metrics, /healthz, /readyz: next to the proxy's 9432. */
export const DEFAULT_SCHEDULER_HTTP_PORT = 9433;
export const DEFAULT_SCHEDULER_HTTP_HOST = "127.0.0.1";
export const SCHEDULER_TOKEN_ENV = "OROCHI_SCHEDULER_TOKEN";
/** ProvisionRequest.auto_suspend_seconds when unset (issue 3). */
export const DEFAULT_AUTO_SUSPEND_SECONDS = 300;
/** How often idle and dead computes are looked for; the auto-suspend delay is accurate to this. */
export const DEFAULT_IDLE_CHECK_INTERVAL_MS = 1_000;
/** ReportActivityRequest.ttl_seconds when 0: a proxy reporting every ~10 s misses a few before it counts as gone. */
export const DEFAULT_ACTIVITY_TTL_SECONDS = 60;
export const DEFAULT_MAX_COMPUTES = 500;
/** In-flight calls get this long to finish at close before they are cancelled. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 5_000;

/** The scheduler's state directory: `<OROCHI_HOME or .orochi>/scheduler`. */
export function defaultSchedulerStateDir(): string {
  return join(defaultStateDir(), "scheduler");
}

const pem = z.union([z.string().min(1), z.instanceof(Buffer)]);
const port = z.number().int().min(0).max(65_535);
const gucValue = z.union([z.string(), z.number(), z.boolean()]);

const schedulerConfigSchema = z
  .object({
    /** host:port of the gRPC listener ([::1]:port for IPv6); port 0 picks a free one. */
    listen: z.string().default(DEFAULT_SCHEDULER_LISTEN),
    stateDir: z.string().min(1).default(defaultSchedulerStateDir),
    /** Shared token every call must carry; required unless the listener is loopback-only. */
    token: z.string().min(1).optional(),
    tls: z.object({ cert: pem, key: pem }).optional(),
    /** The /metrics, /healthz, /readyz server; false = none. */
    http: z.union([z.literal(false), z.object({ host: z.string().default(DEFAULT_SCHEDULER_HTTP_HOST), port })]).default({
      host: DEFAULT_SCHEDULER_HTTP_HOST,
      port: DEFAULT_SCHEDULER_HTTP_PORT,
    }),
    /** Local backend: template data directory (default under the state directory). */
    templateDir: z.string().min(1).optional(),
    /** Local backend: ports handed to computes. */
    computePortRange: z
      .object({ min: port.min(1), max: port })
      .refine((r) => r.min <= r.max, "computePortRange.min must not exceed computePortRange.max")
      .default(DEFAULT_COMPUTE_PORT_RANGE),
    /** Local backend: extra GUCs for every compute (e.g. { fsync: "off" } for throwaway test computes). */
    computeSettings: z.record(z.string(), gucValue).default({}),
    startTimeoutMs: z.number().int().positive().default(DEFAULT_START_TIMEOUT_MS),
    stopTimeoutMs: z.number().int().positive().default(DEFAULT_STOP_TIMEOUT_MS),
    defaultAutoSuspendSeconds: z.number().int().nonnegative().default(DEFAULT_AUTO_SUSPEND_SECONDS),
    idleCheckIntervalMs: z.number().int().positive().default(DEFAULT_IDLE_CHECK_INTERVAL_MS),
    defaultActivityTtlSeconds: z.number().int().positive().max(MAX_ACTIVITY_TTL_SECONDS).default(DEFAULT_ACTIVITY_TTL_SECONDS),
    maxComputes: z.number().int().positive().default(DEFAULT_MAX_COMPUTES),
    shutdownGraceMs: z.number().int().nonnegative().default(DEFAULT_SHUTDOWN_GRACE_MS),
    /** Logger (default: the process logger, component "scheduler"). */
    logger: z.custom<Logger>((v) => typeof v === "object" && v !== null && "child" in v).optional(),
    /** Another compute backend (default: local processes). */
    backend: z.custom<ComputeBackend>((v) => typeof v === "object" && v !== null && "start" in v).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const address = parseListenAddress(c.listen);
    if (!address) ctx.addIssue({ code: "custom", path: ["listen"], message: `listen must be host:port, got "${c.listen}"` });
    else if (c.token === undefined && !isLoopback(address.host)) {
      ctx.addIssue({ code: "custom", path: ["token"], message: `a token is required when listening beyond loopback (${c.listen})` });
    }
  });

export type SchedulerConfigInput = z.input<typeof schedulerConfigSchema>;
export type SchedulerConfig = Readonly<z.output<typeof schedulerConfigSchema>>;

/** Validate once at start; each bad option is named in the message. */
export function parseSchedulerConfig(input: SchedulerConfigInput): SchedulerConfig {
  const parsed = schedulerConfigSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "config"}: ${i.message}`);
    throw new Error(`invalid scheduler configuration: ${problems.join("; ")}`);
  }
  return Object.freeze(parsed.data);
}

export function parseListenAddress(listen: string): { host: string; port: number } | null {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  if (!m) return null;
  const portNumber = Number(m[3]);
  if (portNumber > 65_535) return null;
  return { host: (m[1] ?? m[2])!, port: portNumber };
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

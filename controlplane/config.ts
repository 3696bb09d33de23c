import { join } from "node:path";
import { z } from "zod";
import type { Logger } from "../common/log.js";
import { defaultStateDir } from "../common/paths.js";
import type { RateLimit } from "./identity/rate-limit.js";
import type { SchedulerPort } from "./scheduler/port.js";
import type { Plan } from "./store/organizations.js";

/** Defaults (DESIGN.md local stack contract where it has one). */
export const DEFAULT_CONTROL_PLANE_PORT = 7432;
export const DEFAULT_PROXY_PORT = 4432;
export const DEFAULT_POOLER_PORT = 6432;
export const DEFAULT_REGION = "local";
export const DEFAULT_DOMAIN = "orochi.localhost";
export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;
export const DEFAULT_RECONCILE_INTERVAL_MS = 10_000;
export const SOFT_DELETE_RETENTION_MS = 7 * 86_400_000;

const PoolerConfig = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("none") }),
  z.object({
    kind: z.literal("pgbouncer"),
    host: z.string().default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).default(DEFAULT_POOLER_PORT),
    /** Default: <state dir>/pgbouncer. */
    dir: z.string().optional(),
    binary: z.string().optional(),
    /** CIDRs the proxies connect from. */
    allowFrom: z.array(z.string()).optional(),
  }),
  z.object({
    kind: z.literal("pgcat"),
    configFile: z.string(),
    host: z.string(),
    port: z.number().int().min(1).max(65535),
    adminUser: z.string().min(1),
    adminPassword: z.string().min(1),
  }),
]);

const ConfigSchema = z.strictObject({
  /** Local mode: embedded store, generated keys and tokens, the admin key file. */
  local: z.boolean().default(true),
  host: z.string().default("127.0.0.1"),
  port: z.number().int().min(0).max(65535).default(DEFAULT_CONTROL_PLANE_PORT),
  stateDir: z.string().default(() => defaultStateDir()),
  /** The store; unset in local mode = a Postgres of our own under <state dir>/controlplane/postgres. */
  databaseUrl: z.string().min(1).optional(),
  /** 32 bytes, base64 or hex (OROCHI_SECRET_KEY); else secretKeyFile; else <state dir>/secret.key in local mode. */
  secretKey: z.string().optional(),
  secretKeyFile: z.string().optional(),
  /** Shared token of the proxies; local mode generates <state dir>/internal-token. */
  internalToken: z.string().min(16).optional(),
  /** A ready client (tests, `orochi up`), an address of the wakeup scheduler, or none. */
  scheduler: z.custom<SchedulerPort>((v) => typeof v === "object" && v !== null && "provision" in v).nullable().default(null),
  schedulerAddress: z.string().optional(),
  schedulerToken: z.string().optional(),
  pooler: PoolerConfig.default({ kind: "none" }),
  /** Connection strings (see connection-strings.ts). */
  proxyAddress: z.string().nullable().default("127.0.0.1"),
  proxyPort: z.number().int().min(1).max(65535).default(DEFAULT_PROXY_PORT),
  region: z.string().regex(/^[a-z0-9-]{1,63}$/).default(DEFAULT_REGION),
  domain: z.string().min(1).default(DEFAULT_DOMAIN),
  /** Default in local mode: <state dir>/tls/ca.crt (the proxy's local CA). */
  caFile: z.string().nullable().optional(),
  bodyLimitBytes: z.number().int().min(1024).default(DEFAULT_BODY_LIMIT_BYTES),
  reconcileIntervalMs: z.number().int().min(10).default(DEFAULT_RECONCILE_INTERVAL_MS),
  retentionMs: z.number().int().min(0).default(SOFT_DELETE_RETENTION_MS),
  /** Override the plans' rate limits (tests). */
  rateLimits: z.custom<Record<Plan, RateLimit>>().optional(),
  logger: z.custom<Logger>().optional(),
});

export type ControlPlaneConfigInput = z.input<typeof ConfigSchema>;
export type ControlPlaneConfig = Readonly<z.output<typeof ConfigSchema> & { caFile: string | null }>;

/** Validate once with defaults, name the bad option, freeze. */
export function resolveControlPlaneConfig(input: ControlPlaneConfigInput): ControlPlaneConfig {
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`control plane option ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  const c = parsed.data;
  if (!c.local && !c.databaseUrl) throw new Error("control plane option databaseUrl: required outside local mode (--database-url)");
  if (!c.local && !c.internalToken) throw new Error("control plane option internalToken: required outside local mode (--internal-token)");
  if (!c.local && !c.secretKey && !c.secretKeyFile) throw new Error("control plane option secretKey: set OROCHI_SECRET_KEY or --secret-key-file outside local mode");
  const caFile = c.caFile !== undefined ? c.caFile : c.local ? join(c.stateDir, "tls", "ca.crt") : null;
  return Object.freeze({ ...c, caFile });
}

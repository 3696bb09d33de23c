import { isIP } from "node:net";
import { z } from "zod";
import { CLUSTER_NAME_PATTERN, ENDPOINT_ID_PATTERN, SQL_NAME_PATTERN } from "../names.js";
import { SIZE_NAMES, TIERS } from "../sizes.js";
import { SCOPES } from "../store/api-keys.js";
import { CLUSTER_STATUSES } from "../store/clusters.js";
import { PLANS } from "../store/organizations.js";
import { USAGE_GRANULARITIES } from "../store/usage.js";
import { MAX_USAGE_BATCH_RECORDS } from "../usage-api.js";

/** Request and response shapes of the API: the validators and the OpenAPI document. */

export const ClusterName = z.string().regex(CLUSTER_NAME_PATTERN, "must be 1-63 lowercase letters, digits or '-', starting with a letter");

export const SqlName = z
  .string()
  .regex(SQL_NAME_PATTERN, "must be 1-63 lowercase letters, digits or '_', not starting with a digit")
  .refine((s) => s !== "postgres" && !s.startsWith("pg_"), "is reserved");

function isCidr(s: string): boolean {
  const [addr, bits, ...rest] = s.split("/");
  if (rest.length > 0 || addr === undefined || bits === undefined || !/^\d{1,3}$/.test(bits)) return false;
  const family = isIP(addr);
  return family !== 0 && Number(bits) <= (family === 4 ? 32 : 128);
}

export const Cidr = z.string().max(64).refine(isCidr, "must be a CIDR such as 203.0.113.0/24 or 2001:db8::/32");
export const ComputeUnits = z.number().min(0.25).max(8);

export const ComputeSettings = z.strictObject({
  min_cu: ComputeUnits.optional(),
  max_cu: ComputeUnits.optional(),
  auto_suspend_seconds: z.number().int().min(0).max(7 * 86_400).optional(),
});

export const CreateClusterBody = z.strictObject({
  name: ClusterName,
  region: z.string().min(1).max(63).optional(),
  tier: z.enum(TIERS).optional(),
  size: z.enum(SIZE_NAMES).optional(),
  settings: z
    .strictObject({
      compute: ComputeSettings.optional(),
      allowed_cidrs: z.array(Cidr).max(100).optional(),
      database: SqlName.optional(),
      role: SqlName.optional(),
    })
    .optional(),
});

export const PatchClusterBody = z.strictObject({
  name: ClusterName.optional(),
  settings: z.strictObject({ compute: ComputeSettings.optional(), allowed_cidrs: z.array(Cidr).max(100).optional() }).optional(),
});

export const ScaleBody = z.strictObject({ size: z.enum(SIZE_NAMES) });
/** start/stop/rotate take no fields; an empty object (or no body) is accepted. */
export const EmptyBody = z.strictObject({}).optional();

export const ClusterParams = z.strictObject({
  id: z.string().min(1).max(64).describe("cluster id (cl_…) or name"),
});

export const ListClustersQuery = z.strictObject({
  include_deleted: z.enum(["true", "false"]).optional().describe("also list soft-deleted (restorable) clusters"),
});

export const UsageQuery = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional().describe("start (inclusive), default 30 days before `to`"),
  to: z.iso.datetime({ offset: true }).optional().describe("end (exclusive), default now"),
  granularity: z.enum(USAGE_GRANULARITIES).optional().describe("bucket size (UTC), default day"),
});

export const Cluster = z.object({
  id: z.string(),
  name: z.string(),
  endpoint: z.string().describe("endpoint id, e.g. ep-quiet-river-a1b2c3d4"),
  host: z.string().describe("<endpoint>.<region>.<domain>"),
  region: z.string(),
  tier: z.enum(TIERS),
  size: z.enum(SIZE_NAMES),
  status: z.enum(CLUSTER_STATUSES),
  cu: z.number(),
  max_connections: z.number().int(),
  settings: z.object({
    compute: z.object({ min_cu: z.number(), max_cu: z.number(), auto_suspend_seconds: z.number().int() }),
    allowed_cidrs: z.array(z.string()),
    database: z.string(),
    role: z.string(),
  }),
  created_at: z.string(),
  updated_at: z.string(),
  deleted_at: z.string().nullable(),
  restorable_until: z.string().nullable(),
});

export const ConnectionInfo = z.object({
  connection_string: z.string(),
  pooled_connection_string: z.string(),
  host: z.string(),
  port: z.number().int(),
  database: z.string(),
  user: z.string(),
  password: z.string(),
  sslmode: z.literal("verify-full"),
  options: z.string().nullable(),
  pooled_options: z.string().nullable(),
  server_name: z.string(),
  pooled_server_name: z.string(),
  sslrootcert: z.string().nullable(),
});

export const CreatedCluster = Cluster.extend({
  connection_string: z.string(),
  pooled_connection_string: z.string(),
  password: z.string().describe("shown here and by GET …/connection-string; never logged"),
});

export const ClusterList = z.object({ clusters: z.array(Cluster) });
export const RotatedPassword = z.object({ cluster: Cluster, connection: ConnectionInfo });

const UsageFigures = {
  cu_seconds: z.number().describe("active seconds × the CU in force (a second counts once whichever proxies served it)"),
  active_seconds: z.number().int().describe("seconds with at least one open session"),
  bytes_in: z.number().int().describe("bytes client → compute"),
  bytes_out: z.number().int().describe("bytes compute → client"),
};

export const Usage = z.object({
  cluster_id: z.string(),
  endpoint: z.string(),
  from: z.string(),
  to: z.string(),
  granularity: z.enum(USAGE_GRANULARITIES),
  ...UsageFigures,
  buckets: z.array(z.object({ start: z.string().describe("UTC start of the bucket"), ...UsageFigures })).describe("buckets with usage, oldest first"),
});

export const CreateApiKeyBody = z.strictObject({ name: z.string().min(1).max(100), scope: z.enum(SCOPES) });
export const ApiKeyParams = z.strictObject({ id: z.string().min(1).max(64) });
export const ApiKey = z.object({
  id: z.string(),
  name: z.string(),
  scope: z.enum(SCOPES),
  prefix: z.string().describe("first characters of the key"),
  created_at: z.string(),
  revoked_at: z.string().nullable(),
});
export const CreatedApiKey = ApiKey.extend({ key: z.string().nullable().describe("the key itself, shown once (null on an idempotent replay)") });
export const ApiKeyList = z.object({ api_keys: z.array(ApiKey) });

export const Organization = z.object({ id: z.string(), name: z.string(), plan: z.enum(PLANS), created_at: z.string() });
export const CreateOrganizationBody = z.strictObject({ name: z.string().min(1).max(100), plan: z.enum(PLANS).optional() });
export const CreatedOrganization = z.object({ organization: Organization, admin_key: CreatedApiKey });

export const ErrorResponse = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export const EndpointParams = z.strictObject({ endpoint_id: z.string().regex(ENDPOINT_ID_PATTERN, "must be an endpoint id (ep-…)") });
export const AccessQuery = z.strictObject({ role: z.string().min(1).max(63).optional() });

/** The usage ingestion contract (controlplane/usage-api.ts). */
export const UsageRecord = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, "must be 1-64 letters, digits or ._:-"),
  endpoint_id: z.string().regex(ENDPOINT_ID_PATTERN, "must be an endpoint id (ep-…)"),
  minute: z.iso.datetime().refine((s) => Date.parse(s) % 60_000 === 0, "must be the start of a UTC minute"),
  cu: z.number().positive().max(1024),
  // 15 hex digits are 60 bits: the regex alone bounds the mask.
  mask: z.string().regex(/^[0-9a-f]{1,15}$/, "must be a 60-bit mask in lowercase hex"),
  bytes_in: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  bytes_out: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});
export const UsageBatch = z.strictObject({
  proxy_id: z.string().min(1).max(200),
  records: z.array(UsageRecord).max(MAX_USAGE_BATCH_RECORDS),
});
export const UsageBatchResult = z.object({ accepted: z.number().int(), duplicates: z.number().int() });
export const EndpointAccess = z.object({
  endpoint_id: z.string(),
  state: z.enum(["provisioning", "running", "suspended", "failed"]),
  cu: z.number(),
  max_connections: z.number().int(),
  allowed_cidrs: z.array(z.string()),
  compute: z.object({ host: z.string(), port: z.number().int() }).nullable(),
  pooler: z.object({ host: z.string(), port: z.number().int(), database: z.string(), user: z.string() }).nullable(),
  role: z.object({ name: z.string(), scram_secret: z.string() }).nullable(),
  database: z.string(),
  version: z.number().int(),
});

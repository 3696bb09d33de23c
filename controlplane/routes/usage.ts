import { ApiError } from "../errors.js";
import { callerOrganization, route, type RouteSpec } from "../http/route.js";
import { requireCluster } from "../provisioning/operations.js";
import { ingestUsage, usageBuckets, usageTotals, type UsageGranularity } from "../store/usage.js";
import { MAX_USAGE_BATCH_BYTES } from "../usage-api.js";
import type { ApiDeps } from "./deps.js";
import * as S from "./schemas.js";

const DAY_MS = 86_400_000;
const DEFAULT_USAGE_PERIOD_MS = 30 * DAY_MS;
const GRANULARITY_MS: Record<UsageGranularity, number> = { minute: 60_000, hour: 3_600_000, day: DAY_MS };
/** Most buckets one answer may span (7 days of minutes; decades of days). */
export const MAX_USAGE_BUCKETS = 10_080;

/** Customers read usage; proxies write it (controlplane/usage-api.ts). */
export function usageRoutes(deps: ApiDeps): RouteSpec[] {
  const { ctx, metrics } = deps;
  return [
    route({
      method: "GET",
      path: "/v1/clusters/{id}/usage",
      operationId: "getUsage",
      summary: "CU-seconds and bytes for a period, in total and per minute, hour or day (UTC)",
      tag: "clusters",
      auth: { kind: "api-key", scope: "read" },
      params: S.ClusterParams,
      query: S.UsageQuery,
      responses: { 200: { description: "usage of the minutes starting in [from, to)", schema: S.Usage }, 404: { description: "no such cluster in your organisation", schema: S.ErrorResponse } },
      async handler({ params, query, principal }) {
        const c = await requireCluster(ctx, callerOrganization(principal), params.id);
        const granularity = query.granularity ?? "day";
        const to = query.to ? new Date(query.to) : new Date();
        const from = query.from ? new Date(query.from) : new Date(to.getTime() - DEFAULT_USAGE_PERIOD_MS);
        if (from > to) throw new ApiError("invalid_request", "query.from: must not be after to");
        if ((to.getTime() - from.getTime()) / GRANULARITY_MS[granularity] > MAX_USAGE_BUCKETS) {
          throw new ApiError("invalid_request", `query.granularity: more than ${MAX_USAGE_BUCKETS} ${granularity} buckets; narrow from/to or choose a coarser granularity`);
        }
        const buckets = await usageBuckets(ctx.pool, c.endpointId, from, to, granularity);
        const t = usageTotals(buckets);
        return {
          status: 200,
          body: {
            cluster_id: c.id,
            endpoint: c.endpointId,
            from: from.toISOString(),
            to: to.toISOString(),
            granularity,
            cu_seconds: t.cuSeconds,
            active_seconds: t.activeSeconds,
            bytes_in: t.bytesIn,
            bytes_out: t.bytesOut,
            buckets: buckets.map((b) => ({
              start: b.start.toISOString(),
              cu_seconds: b.cuSeconds,
              active_seconds: b.activeSeconds,
              bytes_in: b.bytesIn,
              bytes_out: b.bytesOut,
            })),
          },
        };
      },
    }),
    route({
      method: "POST",
      path: "/internal/v1/usage",
      operationId: "ingestUsage",
      summary: "Usage records from a proxy (internal token): masks merged with OR per (endpoint, minute, CU), bytes once per record id",
      tag: "internal",
      auth: { kind: "internal" },
      body: S.UsageBatch,
      bodyLimitBytes: MAX_USAGE_BATCH_BYTES,
      responses: { 200: { description: "stored (duplicates included)", schema: S.UsageBatchResult }, 413: { description: "batch too large", schema: S.ErrorResponse } },
      async handler({ body }) {
        const records = body.records.map((r) => ({
          id: r.id,
          endpointId: r.endpoint_id,
          minute: r.minute,
          cu: r.cu,
          mask: BigInt(`0x${r.mask}`),
          bytesIn: r.bytes_in,
          bytesOut: r.bytes_out,
        }));
        const result = await ingestUsage(ctx.pool, body.proxy_id, records);
        metrics.usageRecords.inc({ result: "accepted" }, result.accepted);
        metrics.usageRecords.inc({ result: "duplicate" }, result.duplicates);
        return { status: 200, body: result };
      },
    }),
  ];
}

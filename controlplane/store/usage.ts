import type pg from "pg";
import { withTransaction, type Queryable } from "./db.js";

/** A usage record as stored (controlplane/usage-api.ts), already validated. */
export interface UsageRecordRow {
  id: string;
  endpointId: string;
  /** ISO start of the UTC minute. */
  minute: string;
  cu: number;
  /** 60-bit mask of active seconds. */
  mask: bigint;
  bytesIn: number;
  bytesOut: number;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
}

/**
 * Store one batch in one transaction: record ids go to the ledger first (an id already there is
 * a duplicate: its bytes are not added again), then every record's mask is ORed into its
 * (endpoint, minute, CU) row and the new records' bytes are added. Rows are touched in key
 * order so concurrent batches cannot deadlock on each other.
 */
export async function ingestUsage(pool: pg.Pool, proxyId: string, records: readonly UsageRecordRow[]): Promise<IngestResult> {
  if (records.length === 0) return { accepted: 0, duplicates: 0 };
  // One ledger row per id (a batch may repeat one), in id order.
  const byId = [...new Map(records.map((r) => [r.id, r])).values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return withTransaction(pool, async (client) => {
    const inserted = await client.query<{ record_id: string }>(
      `INSERT INTO usage_records (record_id, endpoint_id, minute, cu, bytes_in, bytes_out, proxy_id)
       SELECT r.*, $7 FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::float8[], $5::int8[], $6::int8[]) AS r
       ON CONFLICT (record_id) DO NOTHING
       RETURNING record_id`,
      [byId.map((r) => r.id), byId.map((r) => r.endpointId), byId.map((r) => r.minute), byId.map((r) => r.cu), byId.map((r) => r.bytesIn), byId.map((r) => r.bytesOut), proxyId],
    );
    const fresh = new Set(inserted.rows.map((r) => r.record_id));
    const merged = mergeByMinute(records, fresh);
    await client.query(
      `INSERT INTO usage_minutes (endpoint_id, minute, cu, active_mask, bytes_in, bytes_out)
       SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::float8[], $4::int8[], $5::int8[], $6::int8[])
       ON CONFLICT (endpoint_id, minute, cu) DO UPDATE SET
         active_mask = usage_minutes.active_mask | excluded.active_mask,
         bytes_in = usage_minutes.bytes_in + excluded.bytes_in,
         bytes_out = usage_minutes.bytes_out + excluded.bytes_out`,
      [merged.map((m) => m.endpointId), merged.map((m) => m.minute), merged.map((m) => m.cu), merged.map((m) => m.mask.toString()), merged.map((m) => m.bytesIn), merged.map((m) => m.bytesOut)],
    );
    return { accepted: fresh.size, duplicates: records.length - fresh.size };
  });
}

/** One row per (endpoint, minute, CU), in key order: masks ORed, bytes of fresh records (once per id). */
function mergeByMinute(records: readonly UsageRecordRow[], fresh: ReadonlySet<string>): Omit<UsageRecordRow, "id">[] {
  const rows = new Map<string, Omit<UsageRecordRow, "id">>();
  const bytesCounted = new Set<string>();
  for (const r of records) {
    const minute = new Date(r.minute).toISOString();
    const key = `${r.endpointId}\u0000${minute}\u0000${r.cu}`;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { endpointId: r.endpointId, minute, cu: r.cu, mask: 0n, bytesIn: 0, bytesOut: 0 }));
    row.mask |= r.mask;
    if (fresh.has(r.id) && !bytesCounted.has(r.id)) {
      bytesCounted.add(r.id);
      row.bytesIn += r.bytesIn;
      row.bytesOut += r.bytesOut;
    }
  }
  return [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}

export const USAGE_GRANULARITIES = ["minute", "hour", "day"] as const;
export type UsageGranularity = (typeof USAGE_GRANULARITIES)[number];

export interface UsageTotals {
  cuSeconds: number;
  activeSeconds: number;
  bytesIn: number;
  bytesOut: number;
}

export interface UsageBucket extends UsageTotals {
  /** Start of the UTC minute, hour or day. */
  start: Date;
}

/**
 * Usage of one endpoint over the minutes starting in [from, to), per UTC bucket (buckets
 * without usage are left out). A second is active when any proxy marked it; when a minute has
 * rows for several CUs (the compute was resized), each second is billed once, at the highest
 * CU marked for it: a row's mask loses the bits already set by rows of a higher CU.
 */
export async function usageBuckets(db: Queryable, endpointId: string, from: Date, to: Date, granularity: UsageGranularity): Promise<UsageBucket[]> {
  const { rows } = await db.query<{ bucket: Date; active_seconds: string; cu_seconds: number; bytes_in: string; bytes_out: string }>(
    `WITH billed AS (
       SELECT minute, cu, bytes_in, bytes_out,
              active_mask & ~coalesce(bit_or(active_mask) OVER (PARTITION BY minute ORDER BY cu DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS mask
         FROM usage_minutes
        WHERE endpoint_id = $1 AND minute >= $2 AND minute < $3
     )
     SELECT date_trunc($4, minute, 'UTC') AS bucket,
            sum(bit_count(mask::bit(64))) AS active_seconds,
            sum(bit_count(mask::bit(64)) * cu) AS cu_seconds,
            sum(bytes_in) AS bytes_in, sum(bytes_out) AS bytes_out
       FROM billed GROUP BY 1 ORDER BY 1`,
    [endpointId, from, to, granularity],
  );
  return rows.map((r) => ({
    start: r.bucket,
    activeSeconds: Number(r.active_seconds),
    cuSeconds: Number(r.cu_seconds),
    bytesIn: Number(r.bytes_in),
    bytesOut: Number(r.bytes_out),
  }));
}

/** Sum of buckets. */
export function usageTotals(buckets: readonly UsageTotals[]): UsageTotals {
  const t: UsageTotals = { cuSeconds: 0, activeSeconds: 0, bytesIn: 0, bytesOut: 0 };
  for (const b of buckets) {
    t.cuSeconds += b.cuSeconds;
    t.activeSeconds += b.activeSeconds;
    t.bytesIn += b.bytesIn;
    t.bytesOut += b.bytesOut;
  }
  return t;
}

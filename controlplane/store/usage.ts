import type { Queryable } from "./db.js";

export interface UsageTotals {
  cuSeconds: number;
  bytesIn: number;
  bytesOut: number;
  activeSeconds: number;
}

/**
 * Totals over [from, to) from the per-minute records proxies send (DESIGN.md "Usage"): active
 * seconds are the set bits of each minute's mask, CU-seconds weigh them by that minute's CU.
 */
export async function usageTotals(db: Queryable, endpointId: string, from: Date, to: Date): Promise<UsageTotals> {
  const { rows } = await db.query<{ active_seconds: string | null; cu_seconds: string | null; bytes_in: string | null; bytes_out: string | null }>(
    `SELECT sum(bit_count(active_mask::bit(64))) AS active_seconds,
            sum(bit_count(active_mask::bit(64)) * cu) AS cu_seconds,
            sum(bytes_in) AS bytes_in, sum(bytes_out) AS bytes_out
       FROM usage_minutes WHERE endpoint_id = $1 AND minute >= $2 AND minute < $3`,
    [endpointId, from, to],
  );
  const r = rows[0];
  return {
    activeSeconds: Number(r?.active_seconds ?? 0),
    cuSeconds: Number(r?.cu_seconds ?? 0),
    bytesIn: Number(r?.bytes_in ?? 0),
    bytesOut: Number(r?.bytes_out ?? 0),
  };
}

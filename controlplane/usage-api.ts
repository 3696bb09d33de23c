/**
 * The usage ingestion contract between proxies and the control plane: types and limits, with no
 * imports, so the proxy's meter can use it without pulling in the control plane. The zod schemas
 * that enforce it are in routes/schemas.ts.
 *
 *   POST /internal/v1/usage
 *   Authorization: Bearer <internal token>
 *   Content-Type: application/json
 *   body: UsageBatch (at most MAX_USAGE_BATCH_RECORDS records, MAX_USAGE_BATCH_BYTES bytes)
 *
 * 200 → UsageBatchResult: every record is stored (a record id seen before counts as a
 * duplicate and changes nothing). The whole batch is applied in one transaction: any error means
 * nothing was applied and the proxy sends the same batch again.
 *   400 invalid_request / unknown_field   a record breaks the contract: re-sending cannot help
 *   401 unauthenticated                   missing or wrong internal token
 *   413 body_too_large                    over MAX_USAGE_BATCH_BYTES
 *   5xx                                   retry later
 *
 * Semantics (DESIGN.md "Usage"): records are merged per (endpoint_id, minute, cu) with bitwise
 * OR of `mask`, so a record sent twice, or two proxies reporting the same second, count it once.
 * Bytes are added once per record `id`. A proxy therefore keeps a record's id for as long as it
 * may re-send it, and never reuses one for other bytes.
 */
export interface UsageRecord {
  /** Unique per record, chosen by the proxy when the record is made (a UUID). */
  id: string;
  endpoint_id: string;
  /** Start of the UTC minute, ISO 8601 with "Z" and zero seconds: "2030-01-02T03:04:00.000Z". */
  minute: string;
  /** Compute units in force for these seconds (> 0). */
  cu: number;
  /** Seconds of the minute with at least one open session: bit i = second i, as lowercase hex (≤ 15 digits). */
  mask: string;
  /** Bytes client → compute, and compute → client, counted into this record (not cumulative). */
  bytes_in: number;
  bytes_out: number;
}

export interface UsageBatch {
  /** Who sent it (logs and the ledger; not part of any key). */
  proxy_id: string;
  records: UsageRecord[];
}

export interface UsageBatchResult {
  /** Records whose id was new. */
  accepted: number;
  /** Records whose id was already stored (their mask is merged again, harmlessly). */
  duplicates: number;
}

/** Limits of one batch (the proxy's defaults stay below them). */
export const MAX_USAGE_BATCH_RECORDS = 2_000;
export const MAX_USAGE_BATCH_BYTES = 1024 * 1024;

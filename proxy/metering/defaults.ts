/**
 * Defaults of the usage meter. Every size and interval is bounded (see options.ts for the
 * accepted ranges); the figures below are sized for one proxy serving thousands of endpoints.
 */
export const USAGE_METER_DEFAULTS = {
  /** Open sessions are folded into the minute masks this often (cheap: one pass over sessions). */
  tickIntervalMs: 1_000,
  /**
   * Accumulated usage becomes spooled records this often (and at close). This is also what a
   * crash (kill -9) can lose: usage not yet written to the spool.
   */
  recordIntervalMs: 10_000,
  /** The spool is sent to the control plane this often (and after each record interval). */
  sendIntervalMs: 5_000,
  /** Records per batch; one record is about 200 bytes of JSON. */
  batchMaxRecords: 500,
  batchMaxBytes: 256 * 1024,
  /** Whole spool on disk. At ~200 B a record and one record per endpoint and record interval, 64 MiB hold hours of outage for hundreds of busy endpoints. */
  spoolMaxBytes: 64 * 1024 * 1024,
  /** A segment file is sealed at this size; fully acknowledged segments are deleted. */
  segmentMaxBytes: 1024 * 1024,
  /**
   * (endpoint, minute, CU) entries kept in memory when the spool is full. Beyond this the
   * oldest minutes are dropped, with an error log and orochi_usage_records_dropped_total.
   */
  maxPendingEntries: 100_000,
  /** Attempts per batch in one delivery pass, with exponential backoff and full jitter. */
  sendAttempts: 4,
  retryBaseDelayMs: 250,
  retryMaxDelayMs: 10_000,
  /** close() waits this long for a last delivery; what is left stays in the spool for the next start. */
  closeDeliveryTimeoutMs: 5_000,
  /** HTTP to the control plane (undici pool, kept alive between batches). */
  connectTimeoutMs: 5_000,
  requestTimeoutMs: 15_000,
  keepAliveTimeoutMs: 30_000,
  connections: 2,
  /** Endpoints with their own `endpoint` label value on orochi_compute_units_consumed (see endpoint-labels.ts). */
  maxLabeledEndpoints: 100,
  /** A labelled endpoint without sessions on this proxy for this long gives its label slot back. */
  labelIdleReleaseMs: 15 * 60_000,
} as const;

/** Path of the ingestion call under the control plane's base URL (controlplane/usage-api.ts). */
export const USAGE_INGEST_PATH = "/internal/v1/usage";

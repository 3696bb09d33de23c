-- Usage ingestion (issue 6). Records from proxies merge per (endpoint, minute, CU): the masks with
-- bitwise OR, so re-sent records and seconds reported by several proxies count once; a minute in
-- which the CU changed keeps one row per CU (the report bills each second at the highest CU it
-- had). Bytes count once per record id: the ledger below remembers every id it has added.
ALTER TABLE usage_minutes DROP CONSTRAINT usage_minutes_pkey;
ALTER TABLE usage_minutes ADD PRIMARY KEY (endpoint_id, minute, cu);
-- 60 bits: second i of the minute is bit i; the sign bit is never used.
ALTER TABLE usage_minutes ADD CONSTRAINT usage_minutes_mask_60_bits CHECK (active_mask >= 0 AND active_mask < 1152921504606846976);
ALTER TABLE usage_minutes ADD CONSTRAINT usage_minutes_cu_positive CHECK (cu > 0);
ALTER TABLE usage_minutes ADD CONSTRAINT usage_minutes_bytes_nonnegative CHECK (bytes_in >= 0 AND bytes_out >= 0);

CREATE TABLE usage_records (
  record_id   text PRIMARY KEY,
  endpoint_id text NOT NULL,
  minute      timestamptz NOT NULL,
  cu          double precision NOT NULL,
  bytes_in    bigint NOT NULL,
  bytes_out   bigint NOT NULL,
  -- Which proxy sent it first (for investigations; not part of any key).
  proxy_id    text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX usage_records_endpoint_minute ON usage_records (endpoint_id, minute);

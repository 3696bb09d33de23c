import { ENDPOINT_ID_PATTERN } from "../../common/endpoint-id.js";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { UsageRecord } from "../../controlplane/usage-api.js";
import { MS_PER_MINUTE, maskFromHex, maskToHex } from "./minute-mask.js";

export type { UsageRecord };

/** What the meter accumulated for one (endpoint, minute, CU) since the last record. */
export interface UsageEntry {
  endpointId: string;
  /** Epoch ms of the UTC minute's start. */
  minute: number;
  cu: number;
  mask: bigint;
  bytesIn: number;
  bytesOut: number;
}

/** A record with a fresh id: the id is what makes its bytes count once, however often it is sent. */
export function recordOf(entry: UsageEntry): UsageRecord {
  return {
    id: randomUUID(),
    endpoint_id: entry.endpointId,
    minute: new Date(entry.minute).toISOString(),
    cu: entry.cu,
    mask: maskToHex(entry.mask),
    bytes_in: entry.bytesIn,
    bytes_out: entry.bytesOut,
  };
}

/** A spool line: the record exactly as it is sent (controlplane/usage-api.ts). */
const SpoolRecord = z.strictObject({
  id: z.string().min(1).max(64),
  endpoint_id: z.string().regex(ENDPOINT_ID_PATTERN),
  minute: z.iso.datetime().refine((s) => Date.parse(s) % MS_PER_MINUTE === 0, "not the start of a minute"),
  cu: z.number().positive().finite(),
  mask: z.string().refine((s) => maskFromHex(s) !== null, "not a 60-bit hex mask"),
  bytes_in: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  bytes_out: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
});

/** Parse one spool line; a reason instead when it is not a whole, valid record. */
export function parseSpoolLine(line: string): { record: UsageRecord } | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { error: "not JSON (truncated or corrupt)" };
  }
  const parsed = SpoolRecord.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { error: `invalid record: ${issue.path.join(".") || "(root)"}: ${issue.message}` };
  }
  return { record: parsed.data };
}

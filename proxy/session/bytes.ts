import type { ProxyMetrics } from "../metrics.js";
import type { LiveSession } from "./session-registry.js";

/**
 * Fold the bytes a session moved since it was last counted into the metrics; returns its
 * totals. Read from the compute socket's own counters (minus the login), so the splice itself
 * does no per-message counting.
 */
export function settleBytes(s: LiveSession, metrics: ProxyMetrics): { in: number; out: number } {
  const totalIn = Math.max(0, s.compute.bytesWritten - s.loginBytesWritten);
  const totalOut = Math.max(0, s.compute.bytesRead - s.loginBytesRead);
  if (totalIn > s.countedIn) metrics.bytes.inc({ direction: "in" }, totalIn - s.countedIn);
  if (totalOut > s.countedOut) metrics.bytes.inc({ direction: "out" }, totalOut - s.countedOut);
  s.countedIn = totalIn;
  s.countedOut = totalOut;
  return { in: totalIn, out: totalOut };
}

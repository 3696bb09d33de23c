import { intervalMasks, minuteStart, MS_PER_MINUTE, popcount } from "./minute-mask.js";
import type { UsageEntry } from "./usage-record.js";

/** Minutes behind the current one whose counted seconds are remembered (late session ends). */
const COUNTED_MINUTES_KEPT = 2;

const keyOf = (endpointId: string, minute: number, cu: number) => `${endpointId}\u0000${minute}\u0000${cu}`;

/**
 * Usage accumulated in memory between two record intervals, per (endpoint, UTC minute, CU):
 * the seconds marked active and the bytes moved. `take()` hands the lot over as entries (which
 * become records) and starts afresh; masks of later records of the same minute simply OR in.
 *
 * It also remembers which seconds this proxy has already counted into its CU-seconds metric,
 * so seconds marked again (every tick re-marks the second it ends in, and several sessions of
 * one endpoint mark the same seconds) are counted once per proxy.
 */
export class UsageAccumulator {
  private readonly entries = new Map<string, UsageEntry>();
  private readonly counted = new Map<string, { minute: number; mask: bigint }>();

  get size(): number {
    return this.entries.size;
  }

  /**
   * Mark the seconds [startMs, endMs] overlaps as active for (endpoint, cu). Returns the
   * CU-seconds not counted before by this proxy.
   */
  markActive(endpointId: string, cu: number, startMs: number, endMs: number): number {
    let fresh = 0;
    for (const slice of intervalMasks(startMs, endMs)) {
      const key = keyOf(endpointId, slice.minute, cu);
      this.entry(key, endpointId, slice.minute, cu).mask |= slice.mask;
      const seen = this.counted.get(key);
      const newBits = slice.mask & ~(seen?.mask ?? 0n);
      if (newBits === 0n) continue;
      fresh += popcount(newBits);
      this.counted.set(key, { minute: slice.minute, mask: (seen?.mask ?? 0n) | slice.mask });
    }
    return fresh * cu;
  }

  /** Bytes moved by (endpoint, cu), attributed to the minute they were sampled in. */
  addBytes(endpointId: string, cu: number, atMs: number, bytesIn: number, bytesOut: number): void {
    if (bytesIn <= 0 && bytesOut <= 0) return;
    const minute = minuteStart(atMs);
    const e = this.entry(keyOf(endpointId, minute, cu), endpointId, minute, cu);
    e.bytesIn += Math.max(0, bytesIn);
    e.bytesOut += Math.max(0, bytesOut);
  }

  /** Everything accumulated so far (entries with usage only), leaving the accumulator empty. */
  take(): UsageEntry[] {
    const out = [...this.entries.values()].filter((e) => e.mask !== 0n || e.bytesIn > 0 || e.bytesOut > 0);
    this.entries.clear();
    return out;
  }

  /** Put entries back (they could not be spooled): masks OR in, bytes add up. */
  restore(entries: readonly UsageEntry[]): void {
    for (const r of entries) {
      const e = this.entry(keyOf(r.endpointId, r.minute, r.cu), r.endpointId, r.minute, r.cu);
      e.mask |= r.mask;
      e.bytesIn += r.bytesIn;
      e.bytesOut += r.bytesOut;
    }
  }

  /** Drop the oldest entries beyond `max` (memory bound when nothing can be spooled); returns them. */
  dropOldest(max: number): UsageEntry[] {
    if (this.entries.size <= max) return [];
    const byAge = [...this.entries.entries()].sort((a, b) => a[1].minute - b[1].minute);
    const dropped = byAge.slice(0, this.entries.size - max);
    for (const [key] of dropped) this.entries.delete(key);
    return dropped.map(([, e]) => e);
  }

  /** Forget counted seconds of minutes no session can mark any more. */
  pruneCounted(nowMs: number): void {
    const oldest = minuteStart(nowMs) - COUNTED_MINUTES_KEPT * MS_PER_MINUTE;
    for (const [key, c] of this.counted) if (c.minute < oldest) this.counted.delete(key);
  }

  private entry(key: string, endpointId: string, minute: number, cu: number): UsageEntry {
    let e = this.entries.get(key);
    if (!e) {
      e = { endpointId, minute, cu, mask: 0n, bytesIn: 0, bytesOut: 0 };
      this.entries.set(key, e);
    }
    return e;
  }
}

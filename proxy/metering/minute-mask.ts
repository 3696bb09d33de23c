/**
 * Second masks of UTC minutes (DESIGN.md "Usage"): bit i of a minute's mask is second i of that
 * minute (bit 0 = hh:mm:00). 60 bits fit a Postgres int8 without touching the sign bit, and two
 * masks of the same minute merge with bitwise OR, so repeats and overlaps never count twice.
 *
 * Times are epoch milliseconds; epoch time has no leap seconds, so every UTC minute is exactly
 * 60 000 ms and its start is a multiple of 60 000.
 */
export const MS_PER_SECOND = 1_000;
export const MS_PER_MINUTE = 60_000;
export const SECONDS_PER_MINUTE = 60;
export const FULL_MINUTE_MASK = (1n << 60n) - 1n;

/** Start (epoch ms) of the UTC minute holding `ms`. */
export function minuteStart(ms: number): number {
  return Math.floor(ms / MS_PER_MINUTE) * MS_PER_MINUTE;
}

/** Mask with bits `fromSecond`..`toSecond` (inclusive, 0–59) set. */
export function secondsMask(fromSecond: number, toSecond: number): bigint {
  if (toSecond < fromSecond) return 0n;
  const width = BigInt(toSecond - fromSecond + 1);
  return ((1n << width) - 1n) << BigInt(fromSecond);
}

/** One minute's share of an interval. */
export interface MinuteSlice {
  /** Epoch ms of the minute's start. */
  minute: number;
  mask: bigint;
}

/**
 * The seconds an interval [startMs, endMs] overlaps, split per UTC minute. A second s covers
 * [s, s+1): it is marked when the interval overlaps it at all, so a 200 ms session marks one
 * second (two when it straddles a boundary), and an instant (startMs = endMs) marks its second.
 * An end exactly on a second boundary does not mark the second that starts there.
 */
export function intervalMasks(startMs: number, endMs: number): MinuteSlice[] {
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) throw new RangeError("interval bounds must be finite");
  if (endMs < startMs) throw new RangeError(`interval ends (${endMs}) before it starts (${startMs})`);
  const firstSecond = Math.floor(startMs / MS_PER_SECOND);
  const lastSecond = Math.max(firstSecond, Math.ceil(endMs / MS_PER_SECOND) - 1);
  const slices: MinuteSlice[] = [];
  for (let minuteFirst = Math.floor(firstSecond / SECONDS_PER_MINUTE) * SECONDS_PER_MINUTE; minuteFirst <= lastSecond; minuteFirst += SECONDS_PER_MINUTE) {
    const from = Math.max(firstSecond, minuteFirst) - minuteFirst;
    const to = Math.min(lastSecond, minuteFirst + SECONDS_PER_MINUTE - 1) - minuteFirst;
    slices.push({ minute: minuteFirst * MS_PER_SECOND, mask: secondsMask(from, to) });
  }
  return slices;
}

/** Number of set bits (active seconds). */
export function popcount(mask: bigint): number {
  let n = 0;
  for (let m = mask; m > 0n; m &= m - 1n) n++;
  return n;
}

/** A mask as it travels in usage records: lowercase hex, no prefix, at most 15 digits. */
export function maskToHex(mask: bigint): string {
  if (mask < 0n || mask > FULL_MINUTE_MASK) throw new RangeError("a minute mask has 60 bits");
  return mask.toString(16);
}

export const MASK_HEX_PATTERN = /^[0-9a-f]{1,15}$/;

/** Parse a record's hex mask; null when it is not a 60-bit mask. */
export function maskFromHex(text: string): bigint | null {
  if (!MASK_HEX_PATTERN.test(text)) return null;
  const mask = BigInt(`0x${text}`);
  return mask <= FULL_MINUTE_MASK ? mask : null;
}

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  FULL_MINUTE_MASK,
  intervalMasks,
  maskFromHex,
  maskToHex,
  minuteStart,
  popcount,
  secondsMask,
} from "../../proxy/metering/minute-mask.js";

const T = Date.UTC(2030, 0, 2, 3, 4, 0); // 2030-01-02T03:04:00Z, a minute start
const bits = (mask: bigint) => [...Array(60).keys()].filter((i) => (mask >> BigInt(i)) & 1n);

describe("minute masks", () => {
  it("finds the UTC minute of an instant", () => {
    expect(minuteStart(T)).toBe(T);
    expect(minuteStart(T + 59_999)).toBe(T);
    expect(minuteStart(T + 60_000)).toBe(T + 60_000);
    expect(minuteStart(T - 1)).toBe(T - 60_000);
    expect(new Date(minuteStart(Date.UTC(2031, 5, 30, 23, 59, 59, 999))).toISOString()).toBe("2031-06-30T23:59:00.000Z");
  });

  it("marks a 200 ms session's one second, two when it straddles a second boundary", () => {
    expect(intervalMasks(T + 5_100, T + 5_300)).toEqual([{ minute: T, mask: 1n << 5n }]);
    expect(intervalMasks(T + 5_900, T + 6_100)).toEqual([{ minute: T, mask: 0b11n << 5n }]);
  });

  it("marks an instant's second, and not the second an interval ends exactly on", () => {
    expect(intervalMasks(T + 7_000, T + 7_000)).toEqual([{ minute: T, mask: 1n << 7n }]);
    expect(intervalMasks(T + 7_000, T + 9_000)).toEqual([{ minute: T, mask: 0b11n << 7n }]);
    expect(intervalMasks(T + 7_000, T + 9_001)).toEqual([{ minute: T, mask: 0b111n << 7n }]);
  });

  it("splits an interval crossing a minute boundary into both minutes", () => {
    const slices = intervalMasks(T + 58_500, T + 61_200);
    expect(slices.map((s) => ({ minute: new Date(s.minute).toISOString(), seconds: bits(s.mask) }))).toEqual([
      { minute: "2030-01-02T03:04:00.000Z", seconds: [58, 59] },
      { minute: "2030-01-02T03:05:00.000Z", seconds: [0, 1] },
    ]);
  });

  it("covers whole minutes of a long session, first and last partly", () => {
    const slices = intervalMasks(T + 30_000, T + 3 * 60_000 + 10_000);
    expect(slices.map((s) => s.minute)).toEqual([T, T + 60_000, T + 120_000, T + 180_000]);
    expect(slices.map((s) => popcount(s.mask))).toEqual([30, 60, 60, 10]);
    expect(slices[1]!.mask).toBe(FULL_MINUTE_MASK);
    expect(bits(slices[3]!.mask)).toEqual([...Array(10).keys()]);
  });

  it("rejects intervals that end before they start", () => {
    expect(() => intervalMasks(T + 1, T)).toThrow(RangeError);
    expect(() => intervalMasks(NaN, T)).toThrow(RangeError);
  });

  it("marks exactly the seconds an interval overlaps (property, against a set of seconds)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 60_000 }), fc.integer({ min: 0, max: 5 * 60_000 }), (offset, length) => {
        const start = T + offset;
        const end = start + length;
        const expected = new Set<number>();
        for (let s = Math.floor(start / 1000); s * 1000 < end || s === Math.floor(start / 1000); s++) expected.add(s);
        const got = new Set<number>();
        for (const slice of intervalMasks(start, end)) for (const b of bits(slice.mask)) got.add(slice.minute / 1000 + b);
        expect([...got].sort((a, b) => a - b)).toEqual([...expected].sort((a, b) => a - b));
      }),
    );
  });

  it("builds, counts and encodes masks", () => {
    expect(secondsMask(0, 59)).toBe(FULL_MINUTE_MASK);
    expect(secondsMask(3, 2)).toBe(0n);
    expect(popcount(FULL_MINUTE_MASK)).toBe(60);
    expect(popcount(0n)).toBe(0);
    expect(maskToHex(FULL_MINUTE_MASK)).toBe("fffffffffffffff");
    expect(maskFromHex("fffffffffffffff")).toBe(FULL_MINUTE_MASK);
    expect(maskFromHex(maskToHex(0b1011n))).toBe(0b1011n);
    for (const bad of ["", "1000000000000000", "FF", "0x1", "-1", "g"]) expect(maskFromHex(bad), bad).toBeNull();
    expect(() => maskToHex(FULL_MINUTE_MASK + 1n)).toThrow(RangeError);
  });
});

import { describe, expect, it } from "vitest";
import { popcount } from "../../proxy/metering/minute-mask.js";
import { SessionUsageTracker } from "../../proxy/metering/session-usage-tracker.js";
import { UsageAccumulator } from "../../proxy/metering/usage-accumulator.js";
import { SessionRegistry } from "../../proxy/session/session-registry.js";
import { fakeSession } from "./fake-session.js";

const T = Date.UTC(2030, 0, 2, 3, 4, 0);

describe("usage accumulator", () => {
  it("counts CU-seconds once per second and proxy, however often they are marked", () => {
    const acc = new UsageAccumulator();
    expect(acc.markActive("ep-a", 2, T + 1_000, T + 3_500)).toBe(3 * 2);
    expect(acc.markActive("ep-a", 2, T + 2_000, T + 4_200)).toBe(1 * 2); // only second 4 is new
    expect(acc.markActive("ep-a", 0.25, T + 1_000, T + 1_500)).toBe(0.25); // another CU is another row
    const [a2, a025] = acc.take().sort((x, y) => y.cu - x.cu);
    expect(popcount(a2!.mask)).toBe(4);
    expect(popcount(a025!.mask)).toBe(1);
    // Taken entries do not come back, but already counted seconds stay counted.
    expect(acc.take()).toEqual([]);
    expect(acc.markActive("ep-a", 2, T + 4_000, T + 4_500)).toBe(0);
    expect(popcount(acc.take()[0]!.mask)).toBe(1);
  });

  it("puts back entries that could not be spooled, and drops the oldest beyond a bound", () => {
    const acc = new UsageAccumulator();
    acc.markActive("ep-a", 1, T, T + 10);
    acc.addBytes("ep-a", 1, T + 5, 100, 200);
    const taken = acc.take();
    acc.markActive("ep-a", 1, T + 30_000, T + 30_010);
    acc.addBytes("ep-a", 1, T + 30_000, 1, 2);
    acc.restore(taken);
    const [e] = acc.take();
    expect(popcount(e!.mask)).toBe(2);
    expect([e!.bytesIn, e!.bytesOut]).toEqual([101, 202]);

    for (let m = 0; m < 5; m++) acc.markActive("ep-a", 1, T + m * 60_000, T + m * 60_000);
    const dropped = acc.dropOldest(3);
    expect(dropped.map((d) => d.minute)).toEqual([T, T + 60_000]);
    expect(acc.take().map((d) => d.minute).sort()).toEqual([T + 120_000, T + 180_000, T + 240_000]);
  });
});

describe("session usage tracker", () => {
  it("marks open sessions on ticks and closed ones at their end, and reads bytes without per-message work", () => {
    let now = T + 10_200;
    const sessions = new SessionRegistry();
    const acc = new UsageAccumulator();
    const counted: number[] = [];
    const tracker = new SessionUsageTracker(sessions, acc, { onCuSeconds: (_e, cu) => counted.push(cu) }, () => now);
    tracker.attach();
    const a = fakeSession("a", T + 10_200);
    const b = fakeSession("b", T + 12_500);
    sessions.add(a);
    now = T + 12_500;
    sessions.add(b);
    now = T + 13_100;
    tracker.tick(); // a: 10..13, b: 12..13 → union 10..13
    a.counters.bytesWritten += 1000;
    a.counters.bytesRead += 3000;
    now = T + 15_000;
    sessions.remove(a); // marks 13..14 (ends exactly on 15)
    b.counters.bytesWritten += 10;
    now = T + 61_400;
    tracker.tick(); // b: up to second 61 → 15..59 of this minute, 0..1 of the next
    tracker.sampleBytes();
    const entries = acc.take().sort((x, y) => x.minute - y.minute);
    expect(entries.map((e) => e.minute)).toEqual([T, T + 60_000]);
    expect(popcount(entries[0]!.mask)).toBe(50); // seconds 10..59
    expect(popcount(entries[1]!.mask)).toBe(2); // seconds 0..1
    expect(entries[0]!.bytesIn).toBe(1000);
    expect(entries[0]!.bytesOut).toBe(3000);
    expect(entries[1]!.bytesIn).toBe(10);
    expect(counted.reduce((x, y) => x + y, 0)).toBe(52);
  });

  it("adopts sessions already open when it attaches: seconds from their start, bytes from now", () => {
    const now = T + 5_500;
    const sessions = new SessionRegistry();
    const s = fakeSession("s", T + 1_000);
    s.counters.bytesWritten += 400;
    sessions.add(s);
    const acc = new UsageAccumulator();
    const tracker = new SessionUsageTracker(sessions, acc, { onCuSeconds: () => undefined }, () => now);
    tracker.attach();
    s.counters.bytesWritten += 5;
    tracker.detach();
    const [e] = acc.take();
    expect(popcount(e!.mask)).toBe(5); // seconds 1..5
    expect(e!.bytesIn).toBe(5);
  });
});

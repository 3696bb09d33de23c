import { describe, expect, it } from "vitest";
import { ActivityTracker } from "../../../wakeup/server/activity-tracker.js";

const T0 = 1_000_000;
const report = (proxyId: string, endpoints: [string, number][], fullSnapshot = false, ttlMs = 10_000) => ({
  proxyId,
  endpoints: endpoints.map(([endpointId, openSessions]) => ({ endpointId, openSessions })),
  fullSnapshot,
  ttlMs,
});

describe("ActivityTracker", () => {
  it("sums sessions over proxies; a full snapshot replaces the proxy's picture, an incremental one patches it", () => {
    const t = new ActivityTracker();
    t.record(report("p1", [["ep-a", 2], ["ep-b", 1]], true), T0);
    t.record(report("p2", [["ep-a", 3]]), T0);
    expect(t.openSessions("ep-a", T0)).toBe(5);
    t.record(report("p1", [["ep-b", 0]]), T0);
    expect([t.openSessions("ep-a", T0), t.openSessions("ep-b", T0)]).toEqual([5, 0]);
    t.record(report("p1", [], true), T0);
    expect(t.openSessions("ep-a", T0)).toBe(3);
  });

  it("returns the endpoints that were active through the proxy: still open, or closed by this report", () => {
    const t = new ActivityTracker();
    expect([...t.record(report("p1", [["ep-a", 1], ["ep-idle", 0]], true), T0)]).toEqual(["ep-a"]);
    expect([...t.record(report("p1", [["ep-b", 1]], true), T0)].sort()).toEqual(["ep-a", "ep-b"]);
    expect([...t.record(report("p1", [["ep-idle", 0]], true), T0)]).toEqual(["ep-b"]);
  });

  it("stops counting a report after its TTL, and does not revive it with an incremental report", () => {
    const t = new ActivityTracker();
    t.record(report("p1", [["ep-a", 4]], true, 1_000), T0);
    expect(t.openSessions("ep-a", T0 + 999)).toBe(4);
    expect(t.openSessions("ep-a", T0 + 1_000)).toBe(0);
    t.record(report("p1", [["ep-b", 1]], false, 1_000), T0 + 2_000);
    expect(t.openSessions("ep-a", T0 + 2_000)).toBe(0);
    expect(t.openSessions("ep-b", T0 + 2_000)).toBe(1);
    t.expire(T0 + 5_000);
    expect(t.proxyCount).toBe(0);
  });

  it("forgets a deprovisioned endpoint everywhere", () => {
    const t = new ActivityTracker();
    t.record(report("p1", [["ep-a", 1]]), T0);
    t.record(report("p2", [["ep-a", 1]]), T0);
    t.forget("ep-a");
    expect(t.openSessions("ep-a", T0)).toBe(0);
  });
});

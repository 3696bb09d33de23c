import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { EndpointLabels, MIN_IDLE_BEFORE_TAKEOVER_MS, OTHER_ENDPOINTS_LABEL } from "../../proxy/metering/endpoint-labels.js";
import { startUsageMeter } from "../../proxy/metering/index.js";
import { SessionRegistry } from "../../proxy/session/session-registry.js";
import { tempDir } from "../harness/tempdir.js";
import { fakeSession } from "./fake-session.js";
import { captureLog } from "./log-capture.js";
import { unionSeconds } from "./metering-harness.js";

const MIN = 60_000;

function labels(maxLabeled: number, allowList: string[] = []) {
  const released: string[] = [];
  const l = new EndpointLabels({ maxLabeled, idleReleaseMs: 15 * MIN, allowList, onRelease: (e) => released.push(e) });
  return { l, released };
}

describe("per-endpoint label values: bounded cardinality", () => {
  it("gives slots first come, then 'other'; the allow-list is always labelled", () => {
    const { l } = labels(2, ["ep-vip"]);
    expect(l.labelFor("ep-a", 0)).toBe("ep-a");
    expect(l.labelFor("ep-b", 0)).toBe("ep-b");
    expect(l.labelFor("ep-c", 0)).toBe(OTHER_ENDPOINTS_LABEL);
    expect(l.labelFor("ep-vip", 0)).toBe("ep-vip");
    expect(l.labelFor("ep-a", 1)).toBe("ep-a");
    expect(l.labeled).toBe(2);
  });

  it("releases a slot after the idle period, and lets an active newcomer take one idle for a while", () => {
    const { l, released } = labels(2);
    l.labelFor("ep-a", 0);
    l.labelFor("ep-b", 0);
    l.sessionsChanged("ep-a", 0, 0); // idle from t=0
    l.sessionsChanged("ep-b", 1, 0);
    // Idle, but not long enough to be taken over.
    expect(l.labelFor("ep-c", MIN)).toBe(OTHER_ENDPOINTS_LABEL);
    expect(l.labelFor("ep-c", MIN_IDLE_BEFORE_TAKEOVER_MS)).toBe("ep-c");
    expect(released).toEqual(["ep-a"]);
    // ep-c goes idle; the sweep releases it after 15 minutes, not before.
    l.sessionsChanged("ep-c", 0, 3 * MIN);
    l.sweep(17 * MIN);
    expect(released).toEqual(["ep-a"]);
    l.sweep(18 * MIN);
    expect(released).toEqual(["ep-a", "ep-c"]);
    // An endpoint active again is not idle.
    l.sessionsChanged("ep-b", 0, 20 * MIN);
    l.sessionsChanged("ep-b", 2, 21 * MIN);
    l.sweep(60 * MIN);
    expect(released).toEqual(["ep-a", "ep-c"]);
  });

  it("keeps orochi_compute_units_consumed to maxLabeledEndpoints + 1 series with 500 endpoints, totals intact", async () => {
    const dir = tempDir("orochi-labels-");
    const sessions = new SessionRegistry();
    const registry = new Registry();
    const meter = await startUsageMeter({
      sessions,
      proxyId: "labels",
      spoolDir: dir.path,
      endpointUrl: "http://127.0.0.1:9", // nothing listens: delivery fails, which is beside the point here
      token: "t",
      log: captureLog("fatal").log,
      registry,
      limits: { maxLabeledEndpoints: 10, tickIntervalMs: 10_000, recordIntervalMs: 60_000, sendIntervalMs: 300_000, sendAttempts: 1, closeDeliveryTimeoutMs: 0 },
    });
    try {
      const start = Date.now() - 2_000;
      const all = Array.from({ length: 500 }, (_, i) => fakeSession(`s${i}`, start, `ep-many-${i}`, 0.25));
      for (const s of all) sessions.add(s);
      const before = Date.now();
      for (const s of all) sessions.remove(s);
      const after = Date.now();
      const { values } = await registry.getSingleMetric("orochi_compute_units_consumed")!.get();
      expect(values.length).toBe(11);
      expect(values.filter((v) => v.labels.endpoint === OTHER_ENDPOINTS_LABEL)).toHaveLength(1);
      // Each session marked the seconds from its start to its end, which lies in [before, after].
      const secondsTo = (end: number) => unionSeconds([{ startedAt: start, end }]).size;
      const total = values.reduce((n, v) => n + v.value, 0);
      expect(total).toBeGreaterThanOrEqual(500 * 0.25 * secondsTo(before));
      expect(total).toBeLessThanOrEqual(500 * 0.25 * secondsTo(after));
    } finally {
      await meter.close();
      dir.remove();
    }
  });
});

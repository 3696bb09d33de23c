import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { EndpointAccess } from "../../router/access.js";
import { Admission } from "../../router/limits/admission.js";
import { AuthThrottle } from "../../router/limits/auth-throttle.js";
import { SessionLeases } from "../../router/limits/session-leases.js";
import { resolveRouterSettings } from "../../router/settings.js";

const log = pino({ level: "silent" });
const access = (over: Partial<EndpointAccess> = {}): EndpointAccess => ({
  endpointId: "ep-local-1",
  cu: 1,
  compute: null,
  pooler: null,
  managed: false,
  secret: null,
  allowedCidrs: [],
  ...over,
});

/** The limits without Redis (a single proxy, or any replica while Redis is away), on a fake clock where time matters. */
describe("limits on local state", () => {
  it("auth failures: refused after the limit within the window, for the block time, per endpoint and source", async () => {
    let now = 0;
    const throttle = new AuthThrottle({ limit: 3, windowMs: 1_000, blockMs: 5_000 }, null, () => now);
    await throttle.recordFailure("ep-a-1", "192.0.2.7/32");
    await throttle.recordFailure("ep-a-1", "192.0.2.7/32");
    now = 1_001; // the window ran out: counting starts again
    await throttle.recordFailure("ep-a-1", "192.0.2.7/32");
    await throttle.recordFailure("ep-a-1", "192.0.2.7/32");
    expect(await throttle.blockedForMs("ep-a-1", "192.0.2.7/32")).toBe(0);
    await throttle.recordFailure("ep-a-1", "192.0.2.7/32");
    expect(await throttle.blockedForMs("ep-a-1", "192.0.2.7/32")).toBe(5_000);
    expect(await throttle.blockedForMs("ep-a-1", "192.0.2.8/32")).toBe(0);
    expect(await throttle.blockedForMs("ep-b-2", "192.0.2.7/32")).toBe(0);
    now += 4_000;
    expect(await throttle.blockedForMs("ep-a-1", "192.0.2.7/32")).toBe(1_000);
    now += 1_000;
    expect(await throttle.blockedForMs("ep-a-1", "192.0.2.7/32")).toBe(0);
  });

  it("session leases: at most max per endpoint; a released lease frees its slot once", async () => {
    const leases = new SessionLeases({ redis: null, replicaId: "r1", leaseTtlMs: 1_000, log });
    const first = await leases.acquire("ep-a-1", "s1", 2);
    const second = await leases.acquire("ep-a-1", "s2", 2);
    expect(first && second).toBeTruthy();
    expect(await leases.acquire("ep-a-1", "s3", 2)).toBeNull();
    expect(await leases.acquire("ep-b-2", "s4", 2)).not.toBeNull();
    first!.release();
    first!.release();
    expect(leases.localCount("ep-a-1")).toBe(1);
    expect(await leases.acquire("ep-a-1", "s5", 2)).not.toBeNull();
    expect(await leases.acquire("ep-a-1", "s6", 2)).toBeNull();
    await leases.close();
  });

  it("admission: allow-list first, then the connection rate; pooled sessions do not count against max_connections", async () => {
    const rejected: string[] = [];
    const settings = resolveRouterSettings({ connectRatePerSecond: 1, connectBurst: 2 });
    const admission = new Admission({ redis: null, settings, replicaId: "r1", log, onRejection: (k) => rejected.push(k) });
    const listed = access({ allowedCidrs: ["10.0.0.0/8"] });
    await expect(admission.beforeAuthentication(listed, "192.0.2.1")).rejects.toMatchObject({ code: "address_not_allowed" });
    await admission.beforeAuthentication(listed, "10.1.2.3");
    await admission.beforeAuthentication(listed, "::ffff:10.1.2.3");
    await expect(admission.beforeAuthentication(listed, "10.1.2.3")).rejects.toMatchObject({ code: "rate_limited" });
    const capped = access({ endpointId: "ep-capped-1", maxConnections: 1 });
    await admission.admitSession(capped, "s1", false);
    await expect(admission.admitSession(capped, "s2", false)).rejects.toMatchObject({ code: "too_many_connections" });
    await admission.admitSession(capped, "s3", true);
    expect(rejected).toEqual(["address_not_allowed", "connection_rate", "too_many_sessions"]);
    await admission.close();
  });

  it("settings: every default is there; a bad value is refused with its name", () => {
    expect(resolveRouterSettings().connectBurst).toBe(500);
    expect(() => resolveRouterSettings({ sessionLeaseTtlMs: 0 })).toThrow(/router setting sessionLeaseTtlMs must be a positive number/);
    expect(() => resolveRouterSettings({ authFailureLimit: 2.5 })).toThrow(/router setting authFailureLimit must be a whole number/);
  });
});

import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endpointId, provisionRequest, queryAs, startSchedulerFixture, type SchedulerFixture } from "./scheduler-fixture.js";
import { waitUntil } from "./wait-until.js";

describe("auto-suspend from proxy activity reports", () => {
  let f: SchedulerFixture;
  beforeAll(async () => {
    f = await startSchedulerFixture({ idleCheckIntervalMs: 100 });
  });
  afterAll(async () => f?.dispose());

  const stateOf = async (id: string) => (await f.client.describe(id))[0]!.state;

  it("keeps a compute with open sessions, suspends it once they are gone, and never suspends auto_suspend_seconds=0", async () => {
    const id = endpointId("idle");
    const never = endpointId("never");
    await f.client.provision(await provisionRequest(id, "pw", { autoSuspendSeconds: 1 }));
    await f.client.provision(await provisionRequest(never, "pw", { autoSuspendSeconds: 0 }));
    await Promise.all([f.client.wake(id), f.client.wake(never)]);
    await f.client.reportActivity({ proxyId: "proxy-a", endpoints: [{ endpointId: id, openSessions: 2 }], fullSnapshot: true, ttlSeconds: 60 });

    await sleep(1_500); // longer than auto_suspend_seconds, with sessions open all along
    expect((await f.client.describe(id))[0]).toMatchObject({ state: "COMPUTE_STATE_RUNNING", openSessions: 2 });

    // A full snapshot without the endpoint means its sessions through this proxy are gone.
    await f.client.reportActivity({ proxyId: "proxy-a", endpoints: [], fullSnapshot: true, ttlSeconds: 60 });
    await waitUntil(async () => (await stateOf(id)) === "COMPUTE_STATE_SUSPENDED");
    expect(await stateOf(never)).toBe("COMPUTE_STATE_RUNNING");

    const woken = await f.client.wake(id);
    expect(woken.coldStart).toBe(true);
    expect(await queryAs(woken.host, woken.port, "app_user", "pw")).toBe("app_user@app");
  });

  it("forgets the sessions of a proxy that stops reporting once its TTL passes", async () => {
    const id = endpointId("ttl");
    await f.client.provision(await provisionRequest(id, "pw", { autoSuspendSeconds: 1, start: true }));
    await f.client.reportActivity({ proxyId: "proxy-crashes", endpoints: [{ endpointId: id, openSessions: 1 }], fullSnapshot: true, ttlSeconds: 2 });
    expect((await f.client.describe(id))[0]!.openSessions).toBe(1);
    await waitUntil(async () => (await stateOf(id)) === "COMPUTE_STATE_SUSPENDED");
    expect((await f.client.describe(id))[0]!.openSessions).toBe(0);
  });

  it("adds up sessions over proxies; incremental reports change only the endpoints they list", async () => {
    const id = endpointId("sum");
    const other = endpointId("sum");
    await f.client.provision(await provisionRequest(id, "pw", { autoSuspendSeconds: 0 }));
    await f.client.provision(await provisionRequest(other, "pw", { autoSuspendSeconds: 0 }));
    await f.client.reportActivity({ proxyId: "p1", endpoints: [{ endpointId: id, openSessions: 1 }, { endpointId: other, openSessions: 4 }], fullSnapshot: true });
    await f.client.reportActivity({ proxyId: "p2", endpoints: [{ endpointId: id, openSessions: 2 }] });
    const sessions = async () => Object.fromEntries((await f.client.describe()).map((c) => [c.endpointId, c.openSessions]));
    expect(await sessions()).toMatchObject({ [id]: 3, [other]: 4 });
    await f.client.reportActivity({ proxyId: "p1", endpoints: [{ endpointId: id, openSessions: 0 }] });
    expect(await sessions()).toMatchObject({ [id]: 2, [other]: 4 });
    await f.client.reportActivity({ proxyId: "p2", endpoints: [], fullSnapshot: true });
    expect(await sessions()).toMatchObject({ [id]: 0, [other]: 4 });
  });

  it("a deliberate Suspend, then Wake again", async () => {
    const id = endpointId("again");
    await f.client.provision(await provisionRequest(id, "pw", { autoSuspendSeconds: 0, start: true }));
    expect(await f.client.suspend(id)).toBe(true);
    const woken = await f.client.wake(id);
    expect(woken.coldStart).toBe(true);
    expect(await queryAs(woken.host, woken.port, "app_user", "pw")).toBe("app_user@app");
  });
});

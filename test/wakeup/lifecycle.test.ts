import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endpointId, provisionRequest, queryAs, querySingle, secretFor, startSchedulerFixture, type SchedulerFixture } from "./scheduler-fixture.js";

describe("scheduler lifecycle (local process backend)", () => {
  let f: SchedulerFixture;
  beforeAll(async () => {
    f = await startSchedulerFixture({ http: { host: "127.0.0.1", port: 0 } });
  });
  afterAll(async () => f?.dispose());

  it("provisions suspended, wakes cold, serves SCRAM logins, then wakes warm", async () => {
    const id = endpointId("life");
    const provisioned = await f.client.provision(await provisionRequest(id, "pw-one"));
    expect(provisioned.created).toBe(true);
    expect(provisioned.compute).toMatchObject({ endpointId: id, state: "COMPUTE_STATE_SUSPENDED", host: "127.0.0.1", cu: 0.25, maxConnections: 25, autoSuspendSeconds: 300, coldStarts: 0 });

    const cold = await f.client.wake(id);
    expect(cold).toMatchObject({ host: "127.0.0.1", port: provisioned.compute.port, coldStart: true });
    expect(cold.startupMs).toBeGreaterThan(0);
    expect(await queryAs(cold.host, cold.port, "app_user", "pw-one")).toBe("app_user@app");
    await expect(queryAs(cold.host, cold.port, "app_user", "wrong")).rejects.toThrow(/password authentication failed/);

    const warm = await f.client.wake(id);
    expect(warm).toMatchObject({ port: cold.port, coldStart: false, startupMs: 0 });
    const [described] = await f.client.describe(id);
    expect(described).toMatchObject({ state: "COMPUTE_STATE_RUNNING", coldStarts: 1, database: "app", role: "app_user" });
  });

  it("suspends on request, and the next wake is a cold start on the same port", async () => {
    const id = endpointId("susp");
    const { compute } = await f.client.provision(await provisionRequest(id, "pw", { start: true }));
    expect(compute.state).toBe("COMPUTE_STATE_RUNNING");
    expect(await f.client.suspend(id)).toBe(true);
    expect(await f.client.suspend(id)).toBe(false);
    expect((await f.client.describe(id))[0]!.state).toBe("COMPUTE_STATE_SUSPENDED");
    const woken = await f.client.wake(id);
    expect(woken).toMatchObject({ coldStart: true, port: compute.port });
    expect(await queryAs(woken.host, woken.port, "app_user", "pw")).toBe("app_user@app");
    expect((await f.client.describe(id))[0]!.coldStarts).toBe(1);
  });

  it("provision is an upsert: a new secret reaches a running compute at once and a suspended one at its next start", async () => {
    const id = endpointId("upsert");
    const first = await provisionRequest(id, "old-pw", { start: true });
    const { compute } = await f.client.provision(first);
    const again = await f.client.provision({ ...first, scramSecret: await secretFor("new-pw"), autoSuspendSeconds: 0 });
    expect(again.created).toBe(false);
    expect(again.compute).toMatchObject({ state: "COMPUTE_STATE_RUNNING", port: compute.port, autoSuspendSeconds: 0 });
    expect(await queryAs("127.0.0.1", compute.port, "app_user", "new-pw")).toBe("app_user@app");
    await expect(queryAs("127.0.0.1", compute.port, "app_user", "old-pw")).rejects.toThrow(/password authentication failed/);

    await f.client.suspend(id);
    await f.client.provision({ ...first, start: false, scramSecret: await secretFor("third-pw"), cu: 1 });
    const [suspended] = await f.client.describe(id);
    expect(suspended).toMatchObject({ state: "COMPUTE_STATE_SUSPENDED", cu: 1, maxConnections: 100 });
    const woken = await f.client.wake(id);
    expect(await queryAs(woken.host, woken.port, "app_user", "third-pw")).toBe("app_user@app");
    // Sized for 1 CU now (instance table: 100 connections; 128 MB shared_buffers per CU).
    const show = (name: string) => querySingle(woken.host, woken.port, "app_user", "third-pw", "app", `SHOW ${name}`);
    expect([await show("max_connections"), await show("shared_buffers"), await show("listen_addresses")]).toEqual(["100", "128MB", "127.0.0.1"]);
  });

  it("deprovision stops the compute and deletes its data directory", async () => {
    const id = endpointId("gone");
    await f.client.provision(await provisionRequest(id, "pw", { start: true }));
    const dataDir = join(f.stateDir, "computes", id, "data");
    expect(existsSync(dataDir)).toBe(true);
    expect(await f.client.deprovision(id)).toBe(true);
    expect(existsSync(join(f.stateDir, "computes", id))).toBe(false);
    expect(await f.client.deprovision(id)).toBe(false);
    await expect(f.client.wake(id)).rejects.toMatchObject({ code: "ENDPOINT_NOT_FOUND" });
  });

  it("exposes computes by state, cold starts and wake results on /metrics", async () => {
    const res = await fetch(`http://127.0.0.1:${f.scheduler.httpPort}/metrics`);
    const text = await res.text();
    expect(text).toMatch(/orochi_scheduler_computes\{state="running"\} [1-9]/);
    expect(text).toMatch(/orochi_scheduler_cold_starts_total [1-9]/);
    expect(text).toMatch(/orochi_cold_start_duration_seconds_count [1-9]/);
    expect(text).toMatch(/orochi_scheduler_wake_requests_total\{result="warm"\} [1-9]/);
    expect(text).toContain("process_cpu_user_seconds_total");
    expect((await fetch(`http://127.0.0.1:${f.scheduler.httpPort}/readyz`)).status).toBe(200);
  });
});

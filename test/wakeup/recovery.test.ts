import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPidFile } from "../../common/postgres/index.js";
import { endpointId, provisionRequest, queryAs, startSchedulerFixture, type SchedulerFixture } from "./scheduler-fixture.js";

function postmasterPid(f: SchedulerFixture, id: string): number {
  return Number(readPidFile(join(f.stateDir, "computes", id, "data"))?.[0]);
}

describe("compute death and scheduler restart", () => {
  let f: SchedulerFixture;
  beforeAll(async () => {
    f = await startSchedulerFixture();
  });
  afterAll(async () => f?.dispose());

  it("a compute killed with SIGKILL is restarted by the next wake", async () => {
    const id = endpointId("kill");
    await f.client.provision(await provisionRequest(id, "pw"));
    const first = await f.client.wake(id);
    const pid = postmasterPid(f, id);
    process.kill(pid, "SIGKILL");

    const again = await f.client.wake(id);
    expect(again).toMatchObject({ coldStart: true, port: first.port });
    expect(postmasterPid(f, id)).not.toBe(pid);
    expect(await queryAs(again.host, again.port, "app_user", "pw")).toBe("app_user@app");
    expect((await f.client.describe(id))[0]).toMatchObject({ state: "COMPUTE_STATE_RUNNING", coldStarts: 2 });

    // Twice in a row, so a stale lock file or orphaned shared memory from the first crash
    // cannot hide behind a lucky restart.
    process.kill(postmasterPid(f, id), "SIGKILL");
    const third = await f.client.wake(id);
    expect(third.coldStart).toBe(true);
    expect(await queryAs(third.host, third.port, "app_user", "pw")).toBe("app_user@app");
  });

  it("a restarted scheduler adopts running computes without a cold start and keeps every endpoint", async () => {
    const running = endpointId("adopt");
    const suspended = endpointId("kept");
    await f.client.provision(await provisionRequest(running, "pw-r"));
    await f.client.provision(await provisionRequest(suspended, "pw-s"));
    const woken = await f.client.wake(running);
    const pid = postmasterPid(f, running);
    const before = await f.client.describe();

    await f.restart();
    expect(existsSync(join(f.stateDir, "computes.json"))).toBe(true);
    const after = await f.client.describe();
    expect(after.map((c) => c.endpointId)).toEqual(before.map((c) => c.endpointId));
    expect(after.find((c) => c.endpointId === running)).toMatchObject({ state: "COMPUTE_STATE_RUNNING", port: woken.port, coldStarts: 1 });
    expect(after.find((c) => c.endpointId === suspended)).toMatchObject({ state: "COMPUTE_STATE_SUSPENDED", coldStarts: 0 });

    const warm = await f.client.wake(running);
    expect(warm).toMatchObject({ coldStart: false, port: woken.port });
    expect(postmasterPid(f, running)).toBe(pid);
    expect(await queryAs(warm.host, warm.port, "app_user", "pw-r")).toBe("app_user@app");

    const cold = await f.client.wake(suspended);
    expect(cold.coldStart).toBe(true);
    expect(await queryAs(cold.host, cold.port, "app_user", "pw-s")).toBe("app_user@app");
  });

  it("a compute that died while the scheduler was down is started by the next wake", async () => {
    const id = endpointId("down");
    await f.client.provision(await provisionRequest(id, "pw", { start: true }));
    await f.scheduler.close();
    process.kill(postmasterPid(f, id), "SIGKILL");
    await f.restart();
    expect((await f.client.describe(id))[0]!.state).toBe("COMPUTE_STATE_SUSPENDED");
    const woken = await f.client.wake(id);
    expect(woken.coldStart).toBe(true);
    expect(await queryAs(woken.host, woken.port, "app_user", "pw")).toBe("app_user@app");
  });
});

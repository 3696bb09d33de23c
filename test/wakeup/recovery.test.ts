import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPidFile } from "../../common/postgres/index.js";
import { isPostgresOf } from "../../wakeup/backend/local/postmaster.js";
import { failure } from "./expect-failure.js";
import { endpointId, provisionRequest, queryAs, startSchedulerFixture, type SchedulerFixture } from "./scheduler-fixture.js";
import { waitUntil } from "./wait-until.js";

function postmasterPid(f: SchedulerFixture, id: string): number {
  return Number(readPidFile(join(f.stateDir, "computes", id, "data"))?.[0]);
}

async function queryRows(port: number, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ host: "127.0.0.1", port, user: "app_user", password: "pw", database: "app" });
  await client.connect();
  try {
    return (await client.query({ text: sql, rowMode: "array" })).rows.map((r: unknown[]) => r[0]);
  } finally {
    await client.end();
  }
}

/** kill -9 the compute's postmaster and wait until it is really gone (signals land asynchronously). */
async function killPostmaster(f: SchedulerFixture, id: string): Promise<number> {
  const pid = postmasterPid(f, id);
  process.kill(pid, "SIGKILL");
  await waitUntil(() => !isPostgresOf(pid, join(f.stateDir, "computes", id, "data")));
  return pid;
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
    const pid = await killPostmaster(f, id);

    const again = await f.client.wake(id);
    expect(again).toMatchObject({ coldStart: true, port: first.port });
    expect(postmasterPid(f, id)).not.toBe(pid);
    expect(await queryAs(again.host, again.port, "app_user", "pw")).toBe("app_user@app");
    expect((await f.client.describe(id))[0]).toMatchObject({ state: "COMPUTE_STATE_RUNNING", coldStarts: 2 });

    // Twice in a row, so a stale lock file or orphaned shared memory from the first crash
    // cannot hide behind a lucky restart.
    await killPostmaster(f, id);
    const third = await f.client.wake(id);
    expect(third.coldStart).toBe(true);
    expect(await queryAs(third.host, third.port, "app_user", "pw")).toBe("app_user@app");
  });

  it("after a kill -9, a backend left running (it still holds the old shared memory) does not block the restart", async () => {
    const id = endpointId("orphan");
    await f.client.provision(await provisionRequest(id, "pw"));
    const woken = await f.client.wake(id);
    const session = new pg.Client({ host: woken.host, port: woken.port, user: "app_user", password: "pw", database: "app" });
    await session.connect();
    session.on("error", () => undefined); // its backend is killed below
    // CPU-bound: a backend busy like this does not look for postmaster death, so it outlives it.
    const busy = session.query("SELECT count(*) FROM generate_series(1, 10000000000)").catch(() => undefined);
    let backendPid = 0;
    await waitUntil(async () => {
      const pids = await queryRows(woken.port, "SELECT pid FROM pg_stat_activity WHERE query LIKE '%generate_series%' AND pid <> pg_backend_pid()");
      backendPid = Number(pids[0] ?? 0);
      return backendPid > 0;
    });
    await killPostmaster(f, id);
    expect(isPostgresOf(backendPid, join(f.stateDir, "computes", id, "data"))).toBe(true);

    const again = await f.client.wake(id);
    expect(again.coldStart).toBe(true);
    expect(isPostgresOf(backendPid, join(f.stateDir, "computes", id, "data"))).toBe(false);
    expect(await queryAs(again.host, again.port, "app_user", "pw")).toBe("app_user@app");
    await busy;
    await session.end().catch(() => undefined);
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

  it("a compute whose port is taken fails to start with a retryable COMPUTE_START_FAILED, and starts once it is free", async () => {
    const id = endpointId("busy-port");
    const { compute } = await f.client.provision(await provisionRequest(id, "pw"));
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(compute.port, "127.0.0.1", resolve));
    try {
      const client = f.newClient({ retry: { maxAttempts: 2, initialBackoffMs: 5 } });
      const err = await failure(client.wake(id));
      expect(err).toMatchObject({ code: "COMPUTE_START_FAILED", grpcCode: status.UNAVAILABLE, retryable: true, schedulerFault: false });
      expect(err.message).not.toContain(f.stateDir); // details stay in the scheduler's log
      expect((await f.client.describe(id))[0]!.state).toBe("COMPUTE_STATE_FAILED");
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
    const woken = await f.client.wake(id);
    expect(woken).toMatchObject({ coldStart: true, port: compute.port });
    expect(await queryAs(woken.host, woken.port, "app_user", "pw")).toBe("app_user@app");
  });

  it("a compute that died while the scheduler was down is started by the next wake", async () => {
    const id = endpointId("down");
    await f.client.provision(await provisionRequest(id, "pw", { start: true }));
    await f.scheduler.close();
    await killPostmaster(f, id);
    await f.restart();
    expect((await f.client.describe(id))[0]!.state).toBe("COMPUTE_STATE_SUSPENDED");
    const woken = await f.client.wake(id);
    expect(woken.coldStart).toBe(true);
    expect(await queryAs(woken.host, woken.port, "app_user", "pw")).toBe("app_user@app");
  });
});

import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgBin, readPidFile } from "../../common/postgres/index.js";
import type { Compute } from "../../wakeup/index.js";
import { eventually } from "../harness/eventually.js";
import { startTestProxy, type TestProxy } from "../harness/proxy.js";
import { TEST_TOKEN, endpointId, provisionRequest, secretFor, startSchedulerFixture, type SchedulerFixture } from "../wakeup/scheduler-fixture.js";

const run = promisify(execFile);
const PASSWORD = "wake-me-up";
const ROLE = "app_user";

/** Issue 3: the proxy wakes scheduler-managed computes after authentication. */
describe("proxy with the scheduler: wake on connect", () => {
  let sched: SchedulerFixture;
  let proxy: TestProxy;
  let ca: Buffer;
  const endpoints = { cold: endpointId("cold"), crowd: endpointId("crowd"), idle: endpointId("idle"), kill: endpointId("kill"), down: endpointId("down") };

  beforeAll(async () => {
    sched = await startSchedulerFixture();
    // The compute and the route table must hold the same verifier (same salt).
    const secret = await secretFor(PASSWORD);
    const base = { role: ROLE, scramSecret: secret };
    await Promise.all([
      sched.client.provision(await provisionRequest(endpoints.cold, PASSWORD, base)),
      sched.client.provision(await provisionRequest(endpoints.crowd, PASSWORD, { ...base, cu: 4 })),
      sched.client.provision(await provisionRequest(endpoints.idle, PASSWORD, { ...base, autoSuspendSeconds: 1 })),
      sched.client.provision(await provisionRequest(endpoints.kill, PASSWORD, base)),
      sched.client.provision(await provisionRequest(endpoints.down, PASSWORD, base)),
    ]);
    // The route table names the endpoints; the scheduler owns their computes.
    const routes = Object.fromEntries(Object.values(endpoints).map((id) => [id, { managed: true, cu: 1, roles: { [ROLE]: secret } }]));
    proxy = await startTestProxy(routes, {}, { scheduler: { address: sched.scheduler.address, token: TEST_TOKEN } });
    ca = readFileSync(proxy.caFile);
  });
  afterAll(async () => {
    await proxy?.stop();
    await sched?.dispose();
  });

  const describeCompute = async (id: string): Promise<Compute> => (await sched.client.describe(id))[0]!;
  const client = (id: string, password = PASSWORD) =>
    new pg.Client({ host: "127.0.0.1", port: proxy.port, user: ROLE, password, database: "app", ssl: { ca, servername: proxy.host(id) } });

  it("psql to a suspended endpoint: connects, sees the notice, runs a query", async () => {
    expect((await describeCompute(endpoints.cold)).state).toBe("COMPUTE_STATE_SUSPENDED");
    const { stdout, stderr } = await run(pgBin("psql"), [
      `host=${proxy.host(endpoints.cold)} hostaddr=127.0.0.1 port=${proxy.port} user=${ROLE} password=${PASSWORD} dbname=app sslmode=require`,
      "-XAtc",
      "select 'awake'",
    ]);
    expect(stdout.trim()).toBe("awake");
    expect(stderr).toMatch(/NOTICE: {2}waking up the compute of endpoint/);
    const c = await describeCompute(endpoints.cold);
    expect(c.state).toBe("COMPUTE_STATE_RUNNING");
    expect(c.coldStarts).toBe(1);
  });

  it("a wrong password to a suspended endpoint leaves it suspended", async () => {
    const before = await describeCompute(endpoints.down);
    expect(before.state).toBe("COMPUTE_STATE_SUSPENDED");
    const c = client(endpoints.down, "not-the-password");
    c.on("error", () => undefined);
    await expect(c.connect()).rejects.toMatchObject({ code: "28P01" });
    const after = await describeCompute(endpoints.down);
    expect(after.state).toBe("COMPUTE_STATE_SUSPENDED");
    expect(after.coldStarts).toBe(before.coldStarts);
  });

  it("200 concurrent clients to one suspended endpoint: one cold start, all succeed", async () => {
    expect((await describeCompute(endpoints.crowd)).coldStarts).toBe(0);
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, async (_, i) => {
        const c = client(endpoints.crowd);
        await c.connect();
        try {
          return (await c.query("select $1::int as i", [i])).rows[0].i as number;
        } finally {
          await c.end();
        }
      }),
    );
    const failures = results.filter((r) => r.status === "rejected");
    expect(failures.map((f) => String((f as PromiseRejectedResult).reason))).toEqual([]);
    expect((await describeCompute(endpoints.crowd)).coldStarts).toBe(1);
  });

  it("open sessions keep the compute awake; after they close it auto-suspends, then wakes again", async () => {
    const held = client(endpoints.idle);
    await held.connect();
    await held.query("select 1");
    // Well past auto_suspend_seconds = 1: the proxy's activity reports keep it running.
    await new Promise((r) => setTimeout(r, 2_500));
    expect((await describeCompute(endpoints.idle)).state).toBe("COMPUTE_STATE_RUNNING");
    await held.end();
    await eventually(async () => expect((await describeCompute(endpoints.idle)).state).toBe("COMPUTE_STATE_SUSPENDED"), 15_000);
    const again = client(endpoints.idle);
    await again.connect();
    expect((await again.query("select 'woke again' as s")).rows[0].s).toBe("woke again");
    await again.end();
    expect((await describeCompute(endpoints.idle)).coldStarts).toBe(2);
  });

  it("a compute killed with SIGKILL is woken again by the next connection", async () => {
    const first = client(endpoints.kill);
    await first.connect();
    await first.end();
    const pid = Number(readPidFile(join(sched.stateDir, "computes", endpoints.kill, "data"))![0]);
    process.kill(pid, "SIGKILL");
    await eventually(() => expect(() => process.kill(pid, 0)).toThrow());
    const second = client(endpoints.kill);
    await second.connect();
    expect((await second.query("select 'back' as s")).rows[0].s).toBe("back");
    await second.end();
    expect((await describeCompute(endpoints.kill)).coldStarts).toBe(2);
  });

  it("scheduler down: a clear 57P03 within the deadline; after it restarts, connections work and no endpoint is lost", async () => {
    await sched.scheduler.close();
    const c = client(endpoints.down);
    c.on("error", () => undefined);
    const started = Date.now();
    const err = (await c.connect().then(() => null, (e: pg.DatabaseError) => e)) as pg.DatabaseError;
    expect(err.code).toBe("57P03");
    expect(err.message).toMatch(/could not be started right now/);
    // Within the handshake deadline (15 s), not a hang.
    expect(Date.now() - started).toBeLessThan(15_000);
    await sched.restart();
    // The client's channel reconnects with gRPC backoff (pushed up by the failed wakes): keep asking.
    await eventually(async () => {
      const all = await sched.client.describe();
      expect(all.map((x) => x.endpointId).sort()).toEqual(Object.values(endpoints).sort());
    }, 15_000);
    await eventually(async () => {
      const ok = client(endpoints.down);
      await ok.connect();
      await ok.end();
    }, 15_000);
  });
});

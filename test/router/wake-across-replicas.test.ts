import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEphemeralRedis, type EphemeralRedis } from "../../common/ephemeral-redis.js";
import { tempDir } from "../harness/tempdir.js";
import { TEST_TOKEN, endpointId, provisionRequest, secretFor, startSchedulerFixture, type SchedulerFixture } from "../wakeup/scheduler-fixture.js";
import { connectError, metricSum, startReplica, type Replica } from "./replica-fixture.js";

const ROLE = "app_user";
const PASSWORD = "wake-across";
const CLIENTS = 100;

/** Issue 5 item 3: the wake lock in Redis makes concurrent connects on different replicas cause one Wake. */
describe("single-flight wake across two proxy replicas", () => {
  let sched: SchedulerFixture;
  let redis: EphemeralRedis;
  let replicas: Replica[] = [];
  const dir = tempDir("orochi-wake-replicas-");
  const endpoint = endpointId("crowd");

  beforeAll(async () => {
    [sched, redis] = await Promise.all([startSchedulerFixture(), startEphemeralRedis()]);
    const secret = await secretFor(PASSWORD);
    // cu 4: the compute's max_connections must take the whole crowd.
    await sched.client.provision(await provisionRequest(endpoint, PASSWORD, { role: ROLE, scramSecret: secret, cu: 4 }));
    const routes = join(dir.path, "routes.json");
    writeFileSync(routes, JSON.stringify({ endpoints: { [endpoint]: { managed: true, cu: 4, roles: { [ROLE]: secret } } } }));
    const args = ["--routes", routes, "--state-dir", dir.path, "--redis", redis.url, "--scheduler", sched.scheduler.address, "--scheduler-token", TEST_TOKEN];
    replicas = [await startReplica(args), await startReplica(args)];
  });
  afterAll(async () => {
    for (const r of replicas) await r.proc.kill("SIGINT");
    await redis?.stop();
    await sched?.dispose();
    dir.remove();
  });

  it(`${CLIENTS} concurrent connects spread over both replicas to a suspended endpoint cause exactly one Wake`, async () => {
    expect((await sched.client.describe(endpoint))[0]!.state).toBe("COMPUTE_STATE_SUSPENDED");
    const wakesBefore = metricSum(await sched.scheduler.registry.metrics(), "orochi_scheduler_wake_requests_total");
    const errors = await Promise.all(
      Array.from({ length: CLIENTS }, async (_, i) => {
        const c = replicas[i % 2]!.client(endpoint, { user: ROLE, password: PASSWORD, database: "app" });
        const error = await connectError(c);
        if (error) return String(error);
        const { rows } = await c.query("select $1::int as i", [i]);
        await c.end();
        return rows[0].i === i ? null : "wrong answer";
      }),
    );
    expect(errors.filter((e) => e !== null)).toEqual([]);
    const wakes = metricSum(await sched.scheduler.registry.metrics(), "orochi_scheduler_wake_requests_total") - wakesBefore;
    expect(wakes).toBe(1);
    expect((await sched.client.describe(endpoint))[0]!.coldStarts).toBe(1);
  });
});

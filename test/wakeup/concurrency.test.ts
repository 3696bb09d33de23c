import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endpointId, provisionRequest, queryAs, startSchedulerFixture, type SchedulerFixture } from "./scheduler-fixture.js";

const CLIENTS = 10;
const WAKES_PER_CLIENT = 5;

describe("concurrent wakes", () => {
  let f: SchedulerFixture;
  beforeAll(async () => {
    f = await startSchedulerFixture();
  });
  afterAll(async () => f?.dispose());

  it(`${CLIENTS * WAKES_PER_CLIENT} concurrent wakes of a suspended endpoint start it once`, async () => {
    const id = endpointId("herd");
    await f.client.provision(await provisionRequest(id, "pw"));
    // Several clients (channels) so the scheduler sees concurrent RPCs, several wakes per client
    // so the client's own coalescing is exercised too.
    const clients = Array.from({ length: CLIENTS }, () => f.newClient());
    await Promise.all(clients.map((c) => c.describe(id))); // channels connected, so the wakes arrive together
    const results = await Promise.all(clients.flatMap((c) => Array.from({ length: WAKES_PER_CLIENT }, () => c.wake(id))));
    expect(results).toHaveLength(CLIENTS * WAKES_PER_CLIENT);
    expect(new Set(results.map((r) => `${r.host}:${r.port}`)).size).toBe(1);
    // Whether a late arrival still saw the start in progress is timing; the count is not.
    expect(results.some((r) => r.coldStart)).toBe(true);
    const [compute] = await f.client.describe(id);
    expect(compute).toMatchObject({ state: "COMPUTE_STATE_RUNNING", coldStarts: 1 });
    expect(await queryAs(results[0]!.host, results[0]!.port, "app_user", "pw")).toBe("app_user@app");
  });

  it("wakes of different endpoints proceed in parallel and each starts once", async () => {
    const ids = [endpointId("par"), endpointId("par"), endpointId("par")];
    await Promise.all(ids.map(async (id) => f.client.provision(await provisionRequest(id, `pw-${id}`))));
    const ports = new Set((await f.client.describe()).filter((c) => ids.includes(c.endpointId)).map((c) => c.port));
    expect(ports.size).toBe(ids.length);
    const woken = await Promise.all(ids.flatMap((id) => [f.client.wake(id), f.newClient().wake(id)]));
    expect(woken.filter((w) => w.coldStart).length).toBeGreaterThanOrEqual(ids.length);
    for (const id of ids) expect((await f.client.describe(id))[0]!.coldStarts).toBe(1);
  });
});

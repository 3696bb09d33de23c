import { createServer, type Server, type Socket } from "node:net";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSchedulerClient, type SchedulerClientError, type SchedulerClient, type WakeEvent } from "../../wakeup/index.js";
import { freePort } from "../harness/ports.js";
import { failure } from "./expect-failure.js";
import { endpointId, provisionRequest, startSchedulerFixture, TEST_TOKEN, type SchedulerFixture } from "./scheduler-fixture.js";
import { waitUntil } from "./wait-until.js";

describe("scheduler client against an unreachable scheduler", () => {
  const clients: SchedulerClient[] = [];
  afterAll(() => clients.forEach((c) => c.close()));

  it("fails with a retryable SCHEDULER_UNAVAILABLE after bounded retries, then the breaker fails fast", async () => {
    const events: WakeEvent[] = [];
    const client = createSchedulerClient({
      address: `127.0.0.1:${await freePort()}`, // nothing listens there
      token: TEST_TOKEN,
      retry: { maxAttempts: 2, initialBackoffMs: 5 },
      breaker: { failureThreshold: 4, openMs: 60_000 },
      hooks: { onWake: (e) => events.push(e) },
    });
    clients.push(client);

    const first = await failure(client.wake("ep-unreachable"));
    expect(first).toMatchObject({ code: "SCHEDULER_UNAVAILABLE", grpcCode: status.UNAVAILABLE, retryable: true, schedulerFault: true });
    expect(client.breakerState).toBe("closed");
    await failure(client.describe()); // two more attempts: four failures in a row
    expect(client.breakerState).toBe("open");

    const fast = await failure(client.wake("ep-unreachable"));
    expect(fast).toMatchObject({ code: "CIRCUIT_OPEN", retryable: false });
    expect(fast.message).toMatch(/considered down/);
    expect(events.map((e) => e.result)).toEqual(["scheduler_unavailable", "circuit_open"]);
  });

  describe("a scheduler that accepts connections and never answers", () => {
    let blackHole: Server;
    const sockets: Socket[] = [];
    beforeAll(async () => {
      blackHole = createServer((s) => sockets.push(s));
      await new Promise<void>((resolve) => blackHole.listen(0, "127.0.0.1", resolve));
    });
    afterAll(async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise((resolve) => blackHole.close(resolve));
    });

    it("ends the call at its deadline with SCHEDULER_TIMEOUT, not retried", async () => {
      const { port } = blackHole.address() as { port: number };
      const client = createSchedulerClient({ address: `127.0.0.1:${port}`, deadlinesMs: { Wake: 300 } });
      clients.push(client);
      const err = await failure(client.wake("ep-silent"));
      expect(err).toMatchObject({ code: "SCHEDULER_TIMEOUT", grpcCode: status.DEADLINE_EXCEEDED, retryable: false });
      const viaOption = await failure(client.describe(undefined, { deadlineMs: 200 }));
      expect(viaOption.code).toBe("SCHEDULER_TIMEOUT");
    });

    it("lets a caller abandon a wake with an AbortSignal", async () => {
      const { port } = blackHole.address() as { port: number };
      const client = createSchedulerClient({ address: `127.0.0.1:${port}` });
      clients.push(client);
      const controller = new AbortController();
      const pending = client.wake("ep-abandoned", { signal: controller.signal });
      controller.abort();
      expect((await failure(pending)).code).toBe("CANCELLED");
    });
  });
});

describe("scheduler client across a scheduler restart", () => {
  let f: SchedulerFixture;
  beforeAll(async () => {
    f = await startSchedulerFixture();
  });
  afterAll(async () => f?.dispose());

  it("opens the circuit while the scheduler is down and closes it once a probe succeeds; no endpoint is lost", async () => {
    const id = endpointId("outage");
    await f.client.provision(await provisionRequest(id, "pw"));
    const client = f.newClient({ retry: { maxAttempts: 1 }, breaker: { failureThreshold: 2, openMs: 200 } });
    await client.wake(id);

    await f.scheduler.close();
    await waitUntil(async () => (await failure(client.wake(id))).code === "CIRCUIT_OPEN");
    expect(client.breakerState).toBe("open");

    await f.restart(); // same state directory, same port
    await waitUntil(async () => {
      try {
        await client.wake(id);
        return true;
      } catch (err) {
        // Until the probe goes through: fail-fast answers, or the reconnect not done yet.
        expect((err as SchedulerClientError).code).toMatch(/^(CIRCUIT_OPEN|SCHEDULER_UNAVAILABLE)$/);
        return false;
      }
    });
    expect(client.breakerState).toBe("closed");
    expect((await client.describe()).map((c) => c.endpointId)).toContain(id);
  });
});

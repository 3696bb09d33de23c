import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SchedulerClient } from "../../wakeup/index.js";
import { failure } from "./expect-failure.js";
import { endpointId, provisionRequest, startSchedulerFixture, TEST_TOKEN, type SchedulerFixture } from "./scheduler-fixture.js";

describe("scheduler gRPC: bad input and authentication", () => {
  let f: SchedulerFixture;
  beforeAll(async () => {
    f = await startSchedulerFixture();
  });
  afterAll(async () => f?.dispose());

  it("unknown endpoints: NOT_FOUND for wake, suspend and describe; deprovision says it did not exist", async () => {
    const id = endpointId("unknown");
    for (const call of [f.client.wake(id), f.client.suspend(id), f.client.describe(id)]) {
      const err = await failure(call);
      expect(err).toMatchObject({ code: "ENDPOINT_NOT_FOUND", grpcCode: status.NOT_FOUND, retryable: false });
    }
    expect(await f.client.deprovision(id)).toBe(false);
  });

  it.each(["EP-UPPER", "ep-", "ep_under_score", "x-abc", "ep-a b", "ep-" + "a".repeat(61), "ep-ünï"])("rejects endpoint id %j with INVALID_ARGUMENT", async (bad) => {
    for (const call of [f.client.wake(bad), f.client.suspend(bad), f.client.describe(bad), f.client.deprovision(bad)]) {
      const err = await failure(call);
      expect(err).toMatchObject({ code: "INVALID_ARGUMENT", grpcCode: status.INVALID_ARGUMENT, retryable: false });
      expect(err.message).toMatch(/endpoint_id/);
    }
  });

  it("rejects bad provisioning requests field by field", async () => {
    const good = await provisionRequest(endpointId("bad"), "pw");
    const cases: [Partial<typeof good>, RegExp][] = [
      [{ endpointId: "" }, /endpoint_id is required/],
      [{ cu: 0 }, /cu must be/],
      [{ cu: 8.5 }, /cu must be/],
      [{ cu: Number.NaN }, /cu must be/],
      [{ role: "postgres" }, /role "postgres" is reserved/],
      [{ role: "pg_monitor" }, /reserved/],
      [{ role: "bad-name" }, /role must start/],
      [{ role: "" }, /role must start/],
      [{ database: "template1" }, /reserved/],
      [{ database: "a;drop" }, /database must start/],
      [{ scramSecret: "plain-password" }, /scram_secret/],
      [{ scramSecret: "SCRAM-SHA-256$4096:c2FsdA==$c2hvcnQ=:c2hvcnQ=" }, /scram_secret/],
    ];
    for (const [change, message] of cases) {
      const err = await failure(f.client.provision({ ...good, ...change }));
      expect(err.code).toBe("INVALID_ARGUMENT");
      expect(err.message).toMatch(message);
    }
    expect(await f.client.describe()).toEqual([]);
  });

  it("rejects bad activity reports", async () => {
    for (const report of [
      { proxyId: "", endpoints: [] },
      { proxyId: "p".repeat(201), endpoints: [] },
      { proxyId: "p", endpoints: [{ endpointId: "nope", openSessions: 1 }] },
      { proxyId: "p", endpoints: [], ttlSeconds: 3_601 },
    ]) {
      expect((await failure(f.client.reportActivity(report))).code).toBe("INVALID_ARGUMENT");
    }
  });

  it("answers UNAUTHENTICATED to every call without the right token, and does not retry it", async () => {
    const anonymous = f.newClient({ token: undefined });
    const wrong = f.newClient({ token: TEST_TOKEN + "x" });
    const id = endpointId("auth");
    const calls = (c: SchedulerClient) => [
      c.provision({ endpointId: id, cu: 1, database: "d", role: "r", scramSecret: "x" }),
      c.deprovision(id),
      c.wake(id),
      c.suspend(id),
      c.describe(),
      c.reportActivity({ proxyId: "p", endpoints: [] }),
    ];
    for (const call of [...calls(anonymous), ...calls(wrong)]) {
      const err = await failure(call);
      expect(err).toMatchObject({ code: "UNAUTHENTICATED", grpcCode: status.UNAUTHENTICATED, retryable: false, schedulerFault: false });
    }
    // The scheduler answered, so the circuit stays closed.
    expect(anonymous.breakerState).toBe("closed");
  });
});

import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { createSchedulerClient, DEFAULT_DEADLINES_MS, type SchedulerClientOptions, type WakeEvent, type WakeResponse } from "../../../wakeup/index.js";
import { failure } from "../expect-failure.js";
import { fakeEnvironment, ScriptedTransport, type Step } from "./scripted-transport.js";

const WARM: WakeResponse = { host: "127.0.0.1", port: 20001, coldStart: false, startupMs: 0 };
const COLD: WakeResponse = { ...WARM, coldStart: true, startupMs: 40 };

function clientWith(script: Step[], options: Partial<SchedulerClientOptions> = {}) {
  const transport = new ScriptedTransport(script);
  const clock = fakeEnvironment();
  const events: WakeEvent[] = [];
  const client = createSchedulerClient({
    address: "scheduler.test:50051",
    transport,
    environment: clock.environment,
    hooks: { onWake: (e) => events.push(e) },
    ...options,
  });
  return { client, transport, clock, events };
}

describe("scheduler client: retries", () => {
  it("retries UNAVAILABLE with full-jitter exponential backoff and returns the answer", async () => {
    const { client, transport, clock } = clientWith([
      { method: "Wake", fail: status.UNAVAILABLE },
      { method: "Wake", fail: status.UNAVAILABLE },
      { method: "Wake", answer: COLD },
    ]);
    expect(await client.wake("ep-a")).toEqual(COLD);
    transport.verify();
    expect(clock.sleeps).toEqual([50, 100]); // random() = 1: the ceilings of the first two retries
    // One deadline for all attempts.
    expect(new Set(transport.calls.map((c) => c.deadlineAt)).size).toBe(1);
  });

  it("draws each delay uniformly below the ceiling", async () => {
    const transport = new ScriptedTransport([
      { method: "Describe", fail: status.UNAVAILABLE },
      { method: "Describe", fail: status.UNAVAILABLE },
      { method: "Describe", answer: { computes: [] } },
    ]);
    const clock = fakeEnvironment(() => 0.5);
    const client = createSchedulerClient({ address: "s:1", transport, environment: clock.environment });
    await client.describe();
    expect(clock.sleeps).toEqual([25, 50]);
  });

  it("gives up after maxAttempts with the last, classified error", async () => {
    const { client, transport } = clientWith(Array.from({ length: 3 }, () => ({ method: "Suspend" as const, fail: status.UNAVAILABLE })), {
      retry: { maxAttempts: 3 },
    });
    const err = await failure(client.suspend("ep-a"));
    expect(err).toMatchObject({ code: "SCHEDULER_UNAVAILABLE", retryable: true, method: "Suspend" });
    transport.verify();
  });

  it("does not retry answers about the request", async () => {
    for (const [grpcCode, reason] of [
      [status.NOT_FOUND, "ENDPOINT_NOT_FOUND"],
      [status.INVALID_ARGUMENT, "INVALID_ARGUMENT"],
      [status.UNAUTHENTICATED, "UNAUTHENTICATED"],
      [status.FAILED_PRECONDITION, "ENDPOINT_BUSY"],
      [status.RESOURCE_EXHAUSTED, "CAPACITY_EXHAUSTED"],
      [status.INTERNAL, "INTERNAL"],
    ] as const) {
      const { client, transport } = clientWith([{ method: "Wake", fail: grpcCode, reason }]);
      const err = await failure(client.wake("ep-a"));
      expect(err).toMatchObject({ code: reason, grpcCode, retryable: false, schedulerFault: false });
      transport.verify();
    }
  });

  it("retries a failed or timed-out compute start, which the scheduler reports as retryable", async () => {
    const { client, transport } = clientWith([
      { method: "Wake", fail: status.UNAVAILABLE, reason: "COMPUTE_START_FAILED" },
      { method: "Wake", fail: status.DEADLINE_EXCEEDED, reason: "COMPUTE_START_TIMEOUT" },
      { method: "Wake", answer: COLD },
    ]);
    expect(await client.wake("ep-a")).toEqual(COLD);
    transport.verify();
    expect(client.breakerState).toBe("closed");
  });

  it("does not retry our own deadline, nor sleep past it", async () => {
    const timedOut = clientWith([{ method: "Wake", fail: status.DEADLINE_EXCEEDED }]);
    expect(await failure(timedOut.client.wake("ep-a"))).toMatchObject({ code: "SCHEDULER_TIMEOUT", retryable: false });
    timedOut.transport.verify();

    // 120 ms budget: the first backoff (50) fits, the second (100) would end past the deadline.
    const short = clientWith([
      { method: "Describe", fail: status.UNAVAILABLE },
      { method: "Describe", fail: status.UNAVAILABLE },
    ]);
    expect((await failure(short.client.describe(undefined, { deadlineMs: 120 }))).code).toBe("SCHEDULER_UNAVAILABLE");
    short.transport.verify();
    expect(short.clock.sleeps).toEqual([50]);
  });

  it("gives every call its method's default deadline unless the call sets one", async () => {
    const { client, transport, clock } = clientWith([
      { method: "Wake", answer: WARM },
      { method: "ReportActivity", answer: {} },
      { method: "Describe", answer: { computes: [] } },
    ]);
    const now = clock.environment.now();
    await client.wake("ep-a");
    await client.reportActivity({ proxyId: "p", endpoints: [] });
    await client.describe(undefined, { deadlineMs: 1234 });
    expect(transport.calls.map((c) => c.deadlineAt - now)).toEqual([DEFAULT_DEADLINES_MS.Wake, DEFAULT_DEADLINES_MS.ReportActivity, 1234]);
    expect(transport.calls[1]!.request).toEqual({ proxyId: "p", endpoints: [], fullSnapshot: false, ttlSeconds: 0 });
  });
});

describe("scheduler client: circuit breaker", () => {
  it("opens after consecutive scheduler failures, fails fast, and closes after a successful probe", async () => {
    const { client, transport, clock } = clientWith(
      [
        { method: "Wake", fail: status.UNAVAILABLE },
        { method: "Wake", fail: status.UNAVAILABLE },
        // open: the next call never reaches the transport
        { method: "Wake", fail: status.UNAVAILABLE }, // failed probe: open again
        { method: "Wake", answer: WARM }, // successful probe: closed
        { method: "Describe", answer: { computes: [] } },
      ],
      { retry: { maxAttempts: 1 }, breaker: { failureThreshold: 2, openMs: 1_000 } },
    );
    await failure(client.wake("ep-a"));
    expect(client.breakerState).toBe("closed");
    await failure(client.wake("ep-a"));
    expect(client.breakerState).toBe("open");
    expect(await failure(client.wake("ep-a"))).toMatchObject({ code: "CIRCUIT_OPEN", grpcCode: status.UNAVAILABLE, retryable: false });
    expect(transport.calls).toHaveLength(2);

    clock.advance(1_000);
    expect(client.breakerState).toBe("half-open");
    await failure(client.wake("ep-a"));
    expect(client.breakerState).toBe("open");

    clock.advance(1_000);
    expect(await client.wake("ep-a")).toEqual(WARM);
    expect(client.breakerState).toBe("closed");
    await client.describe();
    transport.verify();
  });

  it("lets one probe through while half-open; others fail fast", async () => {
    let release: (v: unknown) => void = () => undefined;
    const held = new Promise((resolve) => (release = resolve));
    const { client, transport, clock } = clientWith(
      [
        { method: "Describe", fail: status.UNAVAILABLE },
        { method: "Describe", hold: held },
      ],
      { retry: { maxAttempts: 1 }, breaker: { failureThreshold: 1, openMs: 10 } },
    );
    await failure(client.describe());
    clock.advance(10);
    const probe = client.describe();
    expect((await failure(client.describe())).code).toBe("CIRCUIT_OPEN");
    release({ computes: [] });
    expect(await probe).toEqual([]);
    expect(client.breakerState).toBe("closed");
    transport.verify();
  });

  it("does not count answers about the request (the scheduler is up)", async () => {
    const { client } = clientWith(
      Array.from({ length: 5 }, () => ({ method: "Wake" as const, fail: status.NOT_FOUND, reason: "ENDPOINT_NOT_FOUND" as const })),
      { breaker: { failureThreshold: 2 } },
    );
    for (let i = 0; i < 5; i++) await failure(client.wake("ep-a"));
    expect(client.breakerState).toBe("closed");
  });
});

describe("scheduler client: wake coalescing", () => {
  it("shares one RPC between concurrent wakes of one endpoint, not across endpoints", async () => {
    let release: (v: unknown) => void = () => undefined;
    const held = new Promise((resolve) => (release = resolve));
    const { client, transport, events } = clientWith([
      { method: "Wake", hold: held },
      { method: "Wake", answer: WARM },
    ]);
    const same = Array.from({ length: 10 }, () => client.wake("ep-a"));
    const other = client.wake("ep-b");
    expect(await other).toEqual(WARM);
    release(COLD);
    for (const r of await Promise.all(same)) expect(r).toEqual(COLD);
    transport.verify();
    const a = events.filter((e) => e.endpointId === "ep-a");
    expect(a.map((e) => e.result)).toEqual(Array(10).fill("cold_start"));
    expect(a.filter((e) => !e.coalesced)).toHaveLength(1);
    expect(events.find((e) => e.endpointId === "ep-b")).toMatchObject({ result: "warm", coalesced: false });
  });

  it("a caller that gives up does not cancel the shared wake for the others", async () => {
    let release: (v: unknown) => void = () => undefined;
    const held = new Promise((resolve) => (release = resolve));
    const { client, transport } = clientWith([{ method: "Wake", hold: held }]);
    const first = client.wake("ep-a");
    const controller = new AbortController();
    const quitter = client.wake("ep-a", { signal: controller.signal });
    controller.abort();
    expect((await failure(quitter)).code).toBe("CANCELLED");
    release(COLD);
    expect(await first).toEqual(COLD);
    transport.verify();
  });

  it("starts a new RPC once the previous wake has settled", async () => {
    const { client, transport } = clientWith([
      { method: "Wake", answer: COLD },
      { method: "Wake", answer: WARM },
    ]);
    expect((await client.wake("ep-a")).coldStart).toBe(true);
    expect((await client.wake("ep-a")).coldStart).toBe(false);
    transport.verify();
  });
});

describe("scheduler client: options", () => {
  it.each([
    [{ address: "" }, /address is required/],
    [{ deadlinesMs: { Wake: 0 } }, /deadlinesMs.Wake/],
    [{ retry: { maxAttempts: 0 } }, /retry.maxAttempts/],
    [{ retry: { initialBackoffMs: 100, maxBackoffMs: 10 } }, /retry.maxBackoffMs/],
    [{ breaker: { failureThreshold: -1 } }, /breaker.failureThreshold/],
  ])("rejects %j", (options, message) => {
    expect(() => createSchedulerClient({ address: "s:1", transport: new ScriptedTransport([]), ...options })).toThrow(message);
  });
});

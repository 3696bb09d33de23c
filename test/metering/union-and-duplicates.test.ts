import "../controlplane/quiet-logs.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { minuteStart, MS_PER_MINUTE } from "../../proxy/metering/minute-mask.js";
import { startDuplicatingForwarder } from "./duplicating-forwarder.js";
import { eventually } from "../harness/eventually.js";
import {
  metricSum,
  sleep,
  spansWithEnd,
  startMeteredProxy,
  startMeteringStack,
  unionSeconds,
  type MeteredProxy,
  type MeteringStack,
  type SessionSpan,
} from "./metering-harness.js";

const CU = 2;

/** Wait until the proxies have seen every session end (a client's end() can resolve first). */
async function allEnded(...proxies: MeteredProxy[]): Promise<SessionSpan[]> {
  const spans = () => proxies.flatMap((p) => p.spans);
  await eventually(() => expect(spans().every((s) => s.endedHi !== undefined)).toBe(true));
  return spans();
}

/** The window of whole minutes around some spans, for the usage query. */
function windowOf(spans: readonly SessionSpan[]): { from: Date; to: Date } {
  const first = Math.min(...spans.map((s) => s.startedAt));
  const last = Math.max(...spans.map((s) => s.endedHi!));
  return { from: new Date(minuteStart(first)), to: new Date(minuteStart(last) + MS_PER_MINUTE) };
}

/**
 * The billed seconds must be the union of the sessions' seconds. Each session's start is the
 * instant the meter used (LiveSession.startedAt); its end is read by an observer registered just
 * before the meter's and by one just after it, so the meter's own end lies between the two
 * (they differ only when the clock ticks over a millisecond in between). The union computed
 * with the early ends is a lower bound and with the late ends an upper bound; they are nearly
 * always equal, and differ only if a session's end straddles a second boundary within that
 * millisecond.
 */
function expectBilledIsUnion(billedSeconds: number, spans: readonly SessionSpan[]): void {
  const lo = unionSeconds(spansWithEnd(spans, "lo")).size;
  const hi = unionSeconds(spansWithEnd(spans, "hi")).size;
  expect(billedSeconds).toBeGreaterThanOrEqual(lo);
  expect(billedSeconds).toBeLessThanOrEqual(hi);
}

describe("usage metering end to end: proxies → spool → control plane → usage API", () => {
  let stack: MeteringStack;
  const proxies: MeteredProxy[] = [];

  beforeAll(async () => {
    stack = await startMeteringStack();
  });
  afterAll(async () => {
    for (const p of proxies) await p.stop().catch(() => undefined);
    await stack?.dispose();
  });

  it("bills the union of seconds of overlapping sessions on two proxies, not the sum", async () => {
    const cluster = await stack.addCluster("union");
    const a = await startMeteredProxy(stack, cluster, { cu: CU });
    const b = await startMeteredProxy(stack, cluster, { cu: CU });
    proxies.push(a, b);

    const a1 = await a.connect();
    await sleep(1_200);
    const b1 = await b.connect();
    await b1.query("SELECT repeat('x', 20000)");
    await sleep(1_500); // a1 and b1 overlap at least this long
    await a1.end();
    const a2 = await a.connect(); // short, inside b1
    await a2.query("SELECT 1");
    await a2.end();
    await sleep(800);
    await b1.end();
    await sleep(1_300);
    const b2 = await b.connect(); // short, alone
    await b2.end();
    const spans = await allEnded(a, b);
    await a.meter.flush();
    await b.meter.flush();

    const { from, to } = windowOf(spans);
    const usage = await stack.usage(cluster, from, to);
    expectBilledIsUnion(usage.active_seconds, spans);
    expect(usage.cu_seconds).toBe(usage.active_seconds * CU);
    // Each session on its own counts more seconds than the union: the overlap was real.
    const sumOfSessions = spansWithEnd(spans, "hi").reduce((n, s) => n + unionSeconds([s]).size, 0);
    expect(sumOfSessions).toBeGreaterThan(unionSeconds(spansWithEnd(spans, "hi")).size);
    // Minute by minute too.
    for (const bucket of usage.buckets) {
      const m = Date.parse(bucket.start) / 1000;
      const inMinute = (set: Set<number>) => [...set].filter((s) => s >= m && s < m + 60).length;
      expect(bucket.active_seconds).toBeGreaterThanOrEqual(inMinute(unionSeconds(spansWithEnd(spans, "lo"))));
      expect(bucket.active_seconds).toBeLessThanOrEqual(inMinute(unionSeconds(spansWithEnd(spans, "hi"))));
    }

    // Each proxy's own CU-seconds counter is the union of its own sessions (no cross-proxy merge there).
    for (const p of [a, b]) {
      const counted = await metricSum(p.proxy.server.metrics.registry, "orochi_compute_units_consumed");
      expect(counted).toBeGreaterThanOrEqual(unionSeconds(spansWithEnd(p.spans, "lo")).size * CU);
      expect(counted).toBeLessThanOrEqual(unionSeconds(spansWithEnd(p.spans, "hi")).size * CU);
      expect(await metricSum(p.proxy.server.metrics.registry, "orochi_compute_units_consumed", { endpoint: cluster.endpointId })).toBe(counted);
    }
    // Bytes: exactly what the proxies spliced (their own transfer counters read the same sockets).
    const spliced = async (direction: string) =>
      (await metricSum(a.proxy.server.metrics.registry, "orochi_data_transfer_bytes", { direction })) +
      (await metricSum(b.proxy.server.metrics.registry, "orochi_data_transfer_bytes", { direction }));
    expect(usage.bytes_out).toBeGreaterThan(20_000);
    expect(usage.bytes_in).toBe(await spliced("in"));
    expect(usage.bytes_out).toBe(await spliced("out"));
  });

  it("keeps totals unchanged when every batch reaches the control plane twice", async () => {
    const cluster = await stack.addCluster("twice");
    const forwarder = await startDuplicatingForwarder(stack.url);
    const p = await startMeteredProxy(stack, cluster, { cu: CU, endpointUrl: forwarder.url });
    proxies.push(p);
    try {
      for (let i = 0; i < 4; i++) {
        const c = await p.connect();
        await c.query("SELECT repeat('y', 5000)");
        await sleep(400);
        await c.end();
        await sleep(300);
      }
      const spans = await allEnded(p);
      const outcome = await p.meter.flush();
      expect(outcome.pending).toBe(false);

      const registry = p.proxy.server.metrics.registry;
      const spooled = await metricSum(registry, "orochi_usage_records_spooled_total");
      expect(await metricSum(registry, "orochi_usage_records_sent_total", { result: "accepted" })).toBe(0);
      expect(await metricSum(registry, "orochi_usage_records_sent_total", { result: "duplicate" })).toBe(spooled);
      expect(forwarder.received).toBeGreaterThan(1);
      expect(forwarder.forwarded).toBe(2 * forwarder.received);

      const { from, to } = windowOf(spans);
      const usage = await stack.usage(cluster, from, to);
      expectBilledIsUnion(usage.active_seconds, spans);
      expect(usage.cu_seconds).toBe(usage.active_seconds * CU);
      expect(usage.bytes_in).toBe(await metricSum(registry, "orochi_data_transfer_bytes", { direction: "in" }));
      expect(usage.bytes_out).toBe(await metricSum(registry, "orochi_data_transfer_bytes", { direction: "out" }));
    } finally {
      await forwarder.close();
    }
  });
});

import "../controlplane/quiet-logs.js";
import { appendFileSync, readdirSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maskToHex, minuteStart, MS_PER_MINUTE, secondsMask } from "../../proxy/metering/minute-mask.js";
import { startUsageMeter } from "../../proxy/metering/index.js";
import { eventually } from "../harness/eventually.js";
import { tempDir } from "../harness/tempdir.js";
import { captureLog } from "./log-capture.js";
import {
  FAST_LIMITS,
  metricSum,
  sleep,
  spansWithEnd,
  startMeteredProxy,
  startMeteringStack,
  unionSeconds,
  type MeteredProxy,
  type MeteringStack,
} from "./metering-harness.js";
import { Registry } from "prom-client";
import { SessionRegistry } from "../../proxy/session/session-registry.js";

describe("usage metering through outages and restarts", () => {
  let stack: MeteringStack;
  const cleanups: Array<() => Promise<void> | void> = [];

  beforeAll(async () => {
    stack = await startMeteringStack();
  });
  afterAll(async () => {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined);
    await stack?.dispose();
  });

  it("misses no second when the control plane is down for a while and the proxy restarts with records pending", async () => {
    const cluster = await stack.addCluster("outage");
    const spool = tempDir("orochi-outage-spool-");
    cleanups.push(() => spool.remove());
    const instances: MeteredProxy[] = [];
    const start = async () => {
      const p = await startMeteredProxy(stack, cluster, { spoolDir: spool.path });
      instances.push(p);
      cleanups.push(() => p.stop());
      return p;
    };
    let current = await start();

    // Traffic: one short session after another, through whichever proxy instance is current.
    let running = true;
    let sessions = 0;
    const traffic = (async () => {
      while (running) {
        try {
          const c = await current.connect();
          await c.query("SELECT repeat('z', 3000)");
          await sleep(250);
          await c.end();
          sessions++;
        } catch {
          await sleep(30); // the proxy is restarting
        }
      }
    })();

    await sleep(1_000);
    await stack.stopControlPlane();
    await sleep(1_500);
    const before = current.proxy.server.metrics.registry;
    await eventually(async () => expect(await metricSum(before, "orochi_usage_spool_bytes")).toBeGreaterThan(0));
    expect(await metricSum(before, "orochi_usage_batches_total", { result: "gave_up" })).toBeGreaterThan(0);
    // Restart the proxy (sessions end, the meter spools and closes) while records are pending.
    await current.stop();
    current = await start();
    await sleep(1_500);
    await stack.restartControlPlane();
    await sleep(1_000);
    running = false;
    await traffic;
    expect(sessions).toBeGreaterThan(5);

    await eventually(() => expect(current.spans.every((s) => s.endedHi !== undefined)).toBe(true));
    await current.stop(); // closing the meter runs a last delivery
    const spans = instances.flatMap((p) => p.spans);
    const first = Math.min(...spans.map((s) => s.startedAt));
    const last = Math.max(...spans.map((s) => s.endedHi!));
    const usage = await stack.usage(cluster, new Date(minuteStart(first)), new Date(minuteStart(last) + MS_PER_MINUTE));
    // Ends are bracketed as in union-and-duplicates.test.ts; nothing may be missing, nothing doubled.
    expect(usage.active_seconds).toBeGreaterThanOrEqual(unionSeconds(spansWithEnd(spans, "lo")).size);
    expect(usage.active_seconds).toBeLessThanOrEqual(unionSeconds(spansWithEnd(spans, "hi")).size);
    let bytesIn = 0;
    let bytesOut = 0;
    for (const p of instances) {
      bytesIn += await metricSum(p.proxy.server.metrics.registry, "orochi_data_transfer_bytes", { direction: "in" });
      bytesOut += await metricSum(p.proxy.server.metrics.registry, "orochi_data_transfer_bytes", { direction: "out" });
    }
    expect(usage.bytes_in).toBe(bytesIn);
    expect(usage.bytes_out).toBe(bytesOut);
  });

  it("skips corrupt and truncated spool lines with a log line and replays the rest on start", async () => {
    const cluster = await stack.addCluster("replay");
    const spool = tempDir("orochi-replay-spool-");
    cleanups.push(() => spool.remove());
    const minute = minuteStart(Date.now()) - 5 * MS_PER_MINUTE;
    const record = (fromSecond: number, toSecond: number, bytes: number) => ({
      id: randomUUID(),
      endpoint_id: cluster.endpointId,
      minute: new Date(minute).toISOString(),
      cu: 1,
      mask: maskToHex(secondsMask(fromSecond, toSecond)),
      bytes_in: bytes,
      bytes_out: 2 * bytes,
    });
    // A spool as a crashed proxy leaves it: good lines, a corrupt one, and a last line cut short.
    const segment = join(spool.path, "segment-000000000001.jsonl");
    appendFileSync(segment, JSON.stringify(record(0, 9, 100)) + "\n");
    appendFileSync(segment, '{"id": "broken", "endpoint_id": \n');
    appendFileSync(segment, JSON.stringify(record(20, 24, 10)) + "\n");
    appendFileSync(segment, JSON.stringify(record(40, 59, 1000)).slice(0, 50));

    const captured = captureLog();
    const registry = new Registry();
    const meter = await startUsageMeter({
      sessions: new SessionRegistry(),
      proxyId: "replay-test",
      spoolDir: spool.path,
      endpointUrl: stack.url,
      token: stack.internalToken,
      log: captured.log,
      registry,
      limits: FAST_LIMITS,
    });
    cleanups.push(() => meter.close());
    const outcome = await meter.flush();
    expect(outcome.pending).toBe(false);

    const usage = await stack.usage(cluster, new Date(minute), new Date(minute + MS_PER_MINUTE));
    expect(usage.active_seconds).toBe(15);
    expect([usage.bytes_in, usage.bytes_out]).toEqual([110, 220]);
    const skipped = captured.lines.filter((l) => l.msg === "usage spool line skipped");
    expect(skipped.map((l) => l.reason)).toEqual(["not JSON (truncated or corrupt)", "truncated last line (the writer stopped mid-line)"]);
    expect(skipped.every((l) => l.level === 50 && l.segment === "segment-000000000001.jsonl")).toBe(true);
    expect(await metricSum(registry, "orochi_usage_spool_corrupt_lines_total")).toBe(2);
    // Delivered: the old segment is gone.
    await eventually(() => expect(readdirSync(spool.path).filter((f) => f === "segment-000000000001.jsonl")).toEqual([]));
  });
});

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { startUsageMeter, type UsageMeterOptions } from "../../proxy/metering/index.js";
import { minuteStart, MS_PER_MINUTE } from "../../proxy/metering/minute-mask.js";
import { REJECTED_FILE } from "../../proxy/metering/spool.js";
import { SessionRegistry } from "../../proxy/session/session-registry.js";
import { tempDir } from "../harness/tempdir.js";
import { fakeSession } from "./fake-session.js";
import { captureLog } from "./log-capture.js";
import { metricSum } from "./metering-harness.js";
import { startScriptedIngest, type ScriptStep, type ScriptedIngest } from "./scripted-ingest.js";

const TOKEN = "meter-unit-test-token";
/** Only explicit flush() calls act: the timers are far apart. */
const QUIET: UsageMeterOptions["limits"] = {
  tickIntervalMs: 10_000,
  recordIntervalMs: 60_000,
  sendIntervalMs: 300_000,
  retryBaseDelayMs: 1,
  retryMaxDelayMs: 5,
  sendAttempts: 2,
  batchMaxRecords: 50,
};

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function setup(script: ScriptStep[], limits: UsageMeterOptions["limits"] = {}, endpoints = 3) {
  const ingest = await startScriptedIngest(script);
  const dir = tempDir("orochi-meter-unit-");
  // One usage entry per endpoint: sessions that start and end within one minute.
  if (Date.now() % MS_PER_MINUTE > MS_PER_MINUTE - 2_000) await new Promise((r) => setTimeout(r, MS_PER_MINUTE - (Date.now() % MS_PER_MINUTE)));
  const started = Math.max(minuteStart(Date.now()), Date.now() - 1_500);
  const sessions = new SessionRegistry();
  const open = Array.from({ length: endpoints }, (_, i) => fakeSession(`s${i}`, started, `ep-unit-${String(i).padStart(4, "0")}`));
  for (const s of open) sessions.add(s);
  const registry = new Registry();
  const captured = captureLog();
  const meter = await startUsageMeter({ sessions, proxyId: "unit", spoolDir: dir.path, endpointUrl: ingest.url, token: TOKEN, log: captured.log, registry, limits: { ...QUIET, ...limits } });
  cleanups.push(() => dir.remove(), () => ingest.close(), () => meter.close());
  for (const s of open) sessions.remove(s);
  return { ingest, dir: dir.path, sessions, registry, lines: captured.lines, meter };
}

/** Endpoints whose usage reached the (fake) control plane with a 200. */
function deliveredEndpoints(ingest: ScriptedIngest, acknowledgedFrom = 0): Set<string> {
  return new Set(ingest.batches.slice(acknowledgedFrom).flatMap((b) => b.records.map((r) => r.endpoint_id)));
}

const metric = (m: { registry: Registry }, name: string, labels: Record<string, string> = {}) => metricSum(m.registry, name, labels);

describe("usage meter delivery (against a scripted control plane)", () => {
  it("retries with backoff, keeps records through failures, and sends them until acknowledged", async () => {
    const m = await setup([{ status: 503 }, "reset", { status: 401 }]);
    const first = await m.meter.flush();
    expect(first.pending).toBe(true); // 503, then a dropped connection: both attempts used
    expect(await metric(m, "orochi_usage_batches_total", { result: "gave_up" })).toBe(1);
    expect(await metric(m, "orochi_usage_spool_bytes")).toBeGreaterThan(0);
    const second = await m.meter.flush(); // 401, then acknowledged
    expect(second).toEqual({ sent: 3, pending: false });
    expect(m.ingest.authorizations.every((a) => a === `Bearer ${TOKEN}`)).toBe(true);
    expect(m.lines.some((l) => l.level === 50 && l.msg.includes("check the internal token"))).toBe(true);
    // The same records each time (same ids): resending is idempotent.
    const ids = m.ingest.batches.map((b) => b.records.map((r) => r.id).sort().join());
    expect(new Set(ids).size).toBe(1);
    expect(await metric(m, "orochi_usage_records_sent_total", { result: "accepted" })).toBe(3);
    expect(await metric(m, "orochi_usage_batches_total", { result: "retry" })).toBe(2);
    expect(await metric(m, "orochi_usage_spool_bytes")).toBe(0);
    expect(await metric(m, "orochi_usage_oldest_pending_seconds")).toBe(0);
  });

  it("re-sends a refused batch record by record and keeps the refused records in rejected.jsonl", async () => {
    const m = await setup([{ status: 400 }, { status: 400 }]); // the batch, then its first record
    const outcome = await m.meter.flush();
    expect(outcome).toEqual({ sent: 2, pending: false });
    const rejected = readFileSync(join(m.dir, REJECTED_FILE), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(rejected).toHaveLength(1);
    expect(rejected[0].record.id).toBe(m.ingest.batches[0]!.records[0]!.id);
    const logged = m.lines.filter((l) => l.msg.startsWith("usage record rejected"));
    expect(logged.map((l) => l.endpoint)).toEqual([rejected[0].record.endpoint_id]);
    expect(await metric(m, "orochi_usage_records_sent_total", { result: "rejected" })).toBe(1);
    expect(await metric(m, "orochi_usage_records_sent_total", { result: "accepted" })).toBe(2);
  });

  it("reports a full spool loudly, keeps the overflow in memory and delivers all of it later", async () => {
    const down: ScriptStep[] = Array.from({ length: 1_000 }, () => ({ status: 503 }));
    // About 150 bytes a record: 64 KiB hold some 450 of 700.
    const m = await setup(down, { spoolMaxBytes: 64 * 1024, segmentMaxBytes: 16 * 1024 }, 700);
    await m.meter.flush();
    expect(await metric(m, "orochi_usage_spool_full")).toBe(1);
    expect(m.lines.some((l) => l.level === 50 && l.msg.startsWith("usage spool FULL"))).toBe(true);
    const spooled = await metric(m, "orochi_usage_records_spooled_total");
    expect(spooled).toBeGreaterThan(0);
    expect(spooled).toBeLessThan(700);

    m.ingest.script.length = 0; // the control plane is back
    const from = m.ingest.batches.length;
    for (let i = 0; i < 3 && (await metric(m, "orochi_usage_spool_full")) === 1; i++) await m.meter.flush();
    await m.meter.flush();
    expect(await metric(m, "orochi_usage_spool_full")).toBe(0);
    expect(m.lines.some((l) => l.msg === "usage spool has room again")).toBe(true);
    expect(deliveredEndpoints(m.ingest, from).size).toBe(700);
    expect(await metric(m, "orochi_usage_records_dropped_total")).toBe(0);
  });

  it("drops the oldest usage only beyond the in-memory bound, each entry with an error log line", async () => {
    const down: ScriptStep[] = Array.from({ length: 1_000 }, () => ({ status: 503 }));
    // Some 450 of 1 000 entries fit the spool, 100 may wait in memory: the rest is dropped.
    const m = await setup(down, { spoolMaxBytes: 64 * 1024, segmentMaxBytes: 16 * 1024, maxPendingEntries: 100 }, 1_000);
    await m.meter.flush();
    const dropped = await metric(m, "orochi_usage_records_dropped_total");
    expect(dropped).toBeGreaterThan(0);
    const lines = m.lines.filter((l) => l.msg.startsWith("usage DROPPED"));
    expect(lines).toHaveLength(dropped);
    expect(lines.every((l) => l.level === 50 && typeof l.endpoint === "string" && typeof l.minute === "string")).toBe(true);
    // What was not dropped is delivered once the control plane is back.
    m.ingest.script.length = 0;
    const from = m.ingest.batches.length;
    for (let i = 0; i < 4; i++) await m.meter.flush();
    const delivered = deliveredEndpoints(m.ingest, from);
    expect(delivered.size + dropped).toBe(1_000);
    for (const l of lines) expect(delivered.has(l.endpoint as string)).toBe(false);
  });

  it("replays a spool left by an earlier meter before anything else", async () => {
    const m = await setup(Array.from({ length: 100 }, () => ({ status: 503 })));
    await m.meter.flush();
    await m.meter.close();
    expect(readdirSync(m.dir).some((f) => f.startsWith("segment-"))).toBe(true);
    m.ingest.script.length = 0;
    const from = m.ingest.batches.length;
    const captured = captureLog();
    const again = await startUsageMeter({
      sessions: new SessionRegistry(),
      proxyId: "unit-2",
      spoolDir: m.dir,
      endpointUrl: m.ingest.url,
      token: TOKEN,
      log: captured.log,
      registry: new Registry(),
      limits: QUIET,
    });
    cleanups.push(() => again.close());
    expect(await again.flush()).toMatchObject({ pending: false });
    expect(deliveredEndpoints(m.ingest, from)).toEqual(new Set(["ep-unit-0000", "ep-unit-0001", "ep-unit-0002"]));
    expect(captured.lines.some((l) => l.msg.includes("replaying"))).toBe(true);
  });

  it("refuses bad options, naming them", async () => {
    const base = { sessions: new SessionRegistry(), proxyId: "x", spoolDir: "/nonexistent", token: "t", log: captureLog().log, registry: new Registry() };
    await expect(startUsageMeter({ ...base, endpointUrl: "ftp://x" })).rejects.toThrow(/endpointUrl/);
    await expect(startUsageMeter({ ...base, endpointUrl: "http://u:p@x" })).rejects.toThrow(/endpointUrl/);
    await expect(startUsageMeter({ ...base, endpointUrl: "http://x", token: "" })).rejects.toThrow(/token/);
    await expect(startUsageMeter({ ...base, endpointUrl: "http://x", limits: { tickIntervalMs: 1 } })).rejects.toThrow(/tickIntervalMs/);
    await expect(startUsageMeter({ ...base, endpointUrl: "http://x", limits: { spoolMaxBytes: 64 * 1024, segmentMaxBytes: 32 * 1024 } })).rejects.toThrow(/spoolMaxBytes/);
  });
});

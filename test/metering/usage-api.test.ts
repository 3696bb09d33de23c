import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Api, startTestControlPlane, startTestStore, type TestControlPlane, type TestStore } from "../controlplane/harness.js";
import { orochiBin } from "../harness/orochi-process.js";

const run = promisify(execFile);
const MINUTE = 60_000;
const T = Date.UTC(2030, 0, 2, 3, 4, 0);
/** Mask of seconds from..to (inclusive) as the contract's hex. */
const seconds = (from: number, to: number) => ((((1n << BigInt(to - from + 1)) - 1n) << BigInt(from)).toString(16));

describe("usage API: ingestion contract, merge, report, CLI", () => {
  let store: TestStore;
  let t: TestControlPlane;
  let internal: Api;
  let endpoint: string;
  let clusterId: string;

  beforeAll(async () => {
    store = await startTestStore();
    t = await startTestControlPlane(store);
    internal = t.api.as(t.cp.internalToken);
    await t.api.post("/v1/clusters", { name: "billing", size: "small" }); // 503 without a scheduler; the row is recorded
    const shown = await t.api.get("/v1/clusters/billing");
    endpoint = shown.body.endpoint;
    clusterId = shown.body.id;
  });
  afterAll(async () => {
    await t?.close();
    await store?.stop();
  });

  const rec = (minute: number, mask: string, over: Record<string, unknown> = {}) => ({
    id: randomUUID(),
    endpoint_id: endpoint,
    minute: new Date(minute).toISOString(),
    cu: 1,
    mask,
    bytes_in: 0,
    bytes_out: 0,
    ...over,
  });
  const send = (records: unknown[]) => internal.post("/internal/v1/usage", { proxy_id: "test", records });
  const usage = async (from: number, to: number, granularity = "minute") => {
    const res = await t.api.get(`/v1/clusters/${clusterId}/usage?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&granularity=${granularity}`);
    expect(res.status).toBe(200);
    return res.body;
  };

  it("takes batches only with the internal token", async () => {
    expect((await t.api.as(null).post("/internal/v1/usage", { proxy_id: "x", records: [] })).status).toBe(401);
    expect((await t.api.post("/internal/v1/usage", { proxy_id: "x", records: [] })).status).toBe(401); // an API key is not the token
    expect((await send([])).body).toEqual({ accepted: 0, duplicates: 0 });
  });

  it("rejects records that break the contract, naming the field", async () => {
    const cases: Array<[unknown, string]> = [
      [rec(T, "1000000000000000"), "mask"], // 61 bits
      [rec(T, "FF"), "mask"],
      [rec(T + 1_000, "1"), "minute"],
      [rec(T, "1", { cu: 0 }), "cu"],
      [rec(T, "1", { bytes_in: -1 }), "bytes_in"],
      [rec(T, "1", { endpoint_id: "not-an-endpoint" }), "endpoint_id"],
      [rec(T, "1", { extra: true }), "extra"],
    ];
    for (const [record, field] of cases) {
      const res = await send([record]);
      expect(res.status, field).toBe(400);
      expect(res.body.error.message, field).toContain(field);
    }
    const tooMany = await send(Array.from({ length: 2_001 }, () => rec(T, "1")));
    expect([400, 413]).toContain(tooMany.status);
  });

  it("ORs masks per (endpoint, minute, CU), counts bytes once per record id, bills a second at its highest CU", async () => {
    const a = rec(T, seconds(0, 9), { bytes_in: 100, bytes_out: 1000 });
    const b = rec(T, seconds(5, 14), { bytes_in: 50, bytes_out: 500 });
    expect((await send([a, b])).body).toEqual({ accepted: 2, duplicates: 0 });
    let u = await usage(T, T + MINUTE);
    expect(u).toMatchObject({ active_seconds: 15, cu_seconds: 15, bytes_in: 150, bytes_out: 1500 });
    // The same records again, and one id twice in a batch: nothing changes.
    expect((await send([a, b, a])).body).toEqual({ accepted: 0, duplicates: 3 });
    const c = rec(T, seconds(0, 0), { bytes_in: 7 });
    expect((await send([c, c])).body).toEqual({ accepted: 1, duplicates: 1 });
    u = await usage(T, T + MINUTE);
    expect(u).toMatchObject({ active_seconds: 15, cu_seconds: 15, bytes_in: 157, bytes_out: 1500 });
    // Resized within the minute: seconds 10..19 at 2 CU; 10..14 were at 1 CU too, billed once at 2.
    await send([rec(T, seconds(10, 19), { cu: 2 })]);
    u = await usage(T, T + MINUTE);
    expect(u).toMatchObject({ active_seconds: 20, cu_seconds: 10 * 1 + 10 * 2 });
  });

  it("reports per minute, hour and day (UTC), over the minutes starting in [from, to)", async () => {
    const base = Date.UTC(2030, 5, 1, 23, 58, 0);
    await send([
      rec(base, seconds(0, 59), { bytes_out: 1 }), // 23:58
      rec(base + MINUTE, seconds(0, 29), { bytes_out: 2 }), // 23:59
      rec(base + 2 * MINUTE, seconds(0, 9), { bytes_out: 4 }), // 00:00 next day
      rec(base + 62 * MINUTE, seconds(0, 0), { bytes_out: 8 }), // 01:00 next day
    ]);
    const minutes = await usage(base, base + 63 * MINUTE);
    expect(minutes.buckets.map((b: { start: string; active_seconds: number }) => [b.start, b.active_seconds])).toEqual([
      ["2030-06-01T23:58:00.000Z", 60],
      ["2030-06-01T23:59:00.000Z", 30],
      ["2030-06-02T00:00:00.000Z", 10],
      ["2030-06-02T01:00:00.000Z", 1],
    ]);
    expect(minutes).toMatchObject({ granularity: "minute", active_seconds: 101, cu_seconds: 101, bytes_out: 15 });
    const hours = await usage(base, base + 63 * MINUTE, "hour");
    expect(hours.buckets.map((b: { start: string; bytes_out: number }) => [b.start, b.bytes_out])).toEqual([
      ["2030-06-01T23:00:00.000Z", 3],
      ["2030-06-02T00:00:00.000Z", 4],
      ["2030-06-02T01:00:00.000Z", 8],
    ]);
    const days = await usage(base - 86_400_000, base + 86_400_000, "day");
    expect(days.buckets.map((b: { start: string; active_seconds: number }) => [b.start, b.active_seconds])).toEqual([
      ["2030-06-01T00:00:00.000Z", 90],
      ["2030-06-02T00:00:00.000Z", 11],
    ]);
    // `to` is exclusive: the minute starting at `to` is not in.
    expect((await usage(base, base + 2 * MINUTE)).active_seconds).toBe(90);
    const tooFine = await t.api.get(`/v1/clusters/${clusterId}/usage?granularity=minute`);
    expect(tooFine.status).toBe(400);
    expect(tooFine.body.error.message).toContain("granularity");
  });

  it("describes both usage calls in the OpenAPI document, from the validating schemas", async () => {
    const doc = (await t.api.as(null).get("/v1/openapi.json")).body;
    const get = doc.paths["/v1/clusters/{id}/usage"].get;
    expect(get.parameters.map((p: { name: string }) => p.name)).toEqual(["id", "from", "to", "granularity"]);
    expect(get.parameters.find((p: { name: string }) => p.name === "granularity").schema.enum).toEqual(["minute", "hour", "day"]);
    expect(Object.keys(get.responses["200"].content["application/json"].schema.properties)).toEqual(
      expect.arrayContaining(["cu_seconds", "active_seconds", "bytes_in", "bytes_out", "granularity", "buckets"]),
    );
    const post = doc.paths["/internal/v1/usage"].post;
    expect(post.security).toEqual([{ internalToken: [] }]);
    const record = post.requestBody.content["application/json"].schema.properties.records.items;
    expect(record.additionalProperties).toBe(false);
    expect(record.required.sort()).toEqual(["bytes_in", "bytes_out", "cu", "endpoint_id", "id", "mask", "minute"]);
    expect(post.requestBody.content["application/json"].schema.properties.records.maxItems).toBe(2_000);
  });

  it("orochi usage prints the buckets and a total (table, json)", async () => {
    const env = { ...process.env, OROCHI_API_URL: t.cp.url, OROCHI_API_KEY: t.adminKey };
    const range = ["--from", new Date(T).toISOString(), "--to", new Date(T + MINUTE).toISOString(), "--granularity", "minute"];
    const table = await run(process.execPath, [orochiBin(), "usage", "billing", ...range], { env });
    const lines = table.stdout.trim().split("\n");
    expect(lines[0]).toContain(endpoint);
    expect(lines[1]).toMatch(/^START \(UTC\)\s+CU-SECONDS\s+ACTIVE SECONDS\s+BYTES IN\s+BYTES OUT$/);
    expect(lines[2]).toMatch(/^2030-01-02T03:04:00.000Z\s+30\s+20\s+157\s+1500$/);
    expect(lines[3]).toMatch(/^TOTAL\s+30\s+20\s+157\s+1500$/);
    const json = JSON.parse((await run(process.execPath, [orochiBin(), "usage", "billing", ...range, "-o", "json"], { env })).stdout);
    expect(json).toMatchObject({ cluster_id: clusterId, cu_seconds: 30, active_seconds: 20, granularity: "minute" });
    const missing = await run(process.execPath, [orochiBin(), "usage", "nope"], { env }).catch((err: { code: number; stderr: string }) => err);
    expect((missing as { code: number }).code).toBe(3);
    const badTime = await run(process.execPath, [orochiBin(), "usage", "billing", "--from", "yesterday"], { env }).catch((err: { code: number; stderr: string }) => err);
    expect((badTime as { code: number }).code).toBe(2);
  });
});

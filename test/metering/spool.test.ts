import { appendFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { REJECTED_FILE, SpoolFullError, UsageSpool } from "../../proxy/metering/spool.js";
import type { UsageRecord } from "../../proxy/metering/usage-record.js";
import { tempDir } from "../harness/tempdir.js";
import { captureLog } from "./log-capture.js";

const record = (n: number): UsageRecord => ({
  id: `rec-${n}`,
  endpoint_id: "ep-spool-1",
  minute: new Date(Date.UTC(2030, 0, 1, 0, n % 60)).toISOString(),
  cu: 1,
  mask: (n + 1).toString(16),
  bytes_in: n,
  bytes_out: 2 * n,
});
const records = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => record(from + i));

const dirs: Array<{ remove(): void }> = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

function newDir(): string {
  const d = tempDir("orochi-spool-");
  dirs.push(d);
  return d.path;
}

async function openSpool(dir: string, overrides: Partial<Parameters<typeof UsageSpool.open>[0]> = {}) {
  const captured = captureLog();
  let corrupt = 0;
  const spool = await UsageSpool.open({ dir, maxBytes: 1024 * 1024, segmentMaxBytes: 16 * 1024, log: captured.log, onCorruptLine: () => corrupt++, ...overrides });
  return { spool, lines: captured.lines, corrupt: () => corrupt };
}

/** Read and acknowledge everything; returns the ids in order. */
async function drain(spool: UsageSpool, batch = 7): Promise<string[]> {
  const ids: string[] = [];
  for (let b = await spool.readBatch(batch, 64 * 1024); b; b = await spool.readBatch(batch, 64 * 1024)) {
    ids.push(...b.records.map((r) => r.id));
    await spool.ack(b.end);
  }
  return ids;
}

const segmentFiles = (dir: string) => readdirSync(dir).filter((f) => f.startsWith("segment-")).sort();

describe("usage spool", () => {
  it("gives records back in order, in bounded batches, and keeps only what is not acknowledged", async () => {
    const dir = newDir();
    const { spool } = await openSpool(dir);
    await spool.append(records(0, 10));
    await spool.append(records(10, 25));
    const first = await spool.readBatch(10, 64 * 1024);
    expect(first!.records.map((r) => r.id)).toEqual(records(0, 10).map((r) => r.id));
    // Not acknowledged: read again from the same place.
    expect((await spool.readBatch(10, 64 * 1024))!.records[0]!.id).toBe("rec-0");
    await spool.ack(first!.end);
    expect(await drain(spool)).toEqual(records(10, 25).map((r) => r.id));
    expect(await spool.readBatch(10, 64 * 1024)).toBeNull();
    expect(spool.pendingBytes).toBe(0);
    // Fully acknowledged: the data is gone from disk.
    expect(spool.bytes).toBe(0);
    await spool.close();
  });

  it("replays what was not acknowledged after a restart, and not what was", async () => {
    const dir = newDir();
    const a = await openSpool(dir);
    await a.spool.append(records(0, 30));
    const b = await a.spool.readBatch(12, 64 * 1024);
    await a.spool.ack(b!.end);
    await a.spool.close();

    const again = await openSpool(dir);
    expect(again.lines.some((l) => l.msg.includes("replaying"))).toBe(true);
    await again.spool.append(records(30, 35));
    expect(await drain(again.spool)).toEqual(records(12, 35).map((r) => r.id));
    await again.spool.close();
  });

  it("skips corrupt and truncated lines with a log line each, and replays the rest", async () => {
    const dir = newDir();
    const a = await openSpool(dir);
    await a.spool.append(records(0, 3));
    await a.spool.close();
    const [segment] = segmentFiles(dir);
    const path = join(dir, segment!);
    appendFileSync(path, "this is not json\n");
    appendFileSync(path, JSON.stringify({ ...record(3), mask: "not-hex" }) + "\n");
    appendFileSync(path, JSON.stringify(record(4)) + "\n");
    // A writer killed mid-line: the segment ends without a newline.
    appendFileSync(path, JSON.stringify(record(5)).slice(0, 40));

    const b = await openSpool(dir);
    await b.spool.append(records(6, 8));
    expect(await drain(b.spool)).toEqual(["rec-0", "rec-1", "rec-2", "rec-4", "rec-6", "rec-7"]);
    const skipped = b.lines.filter((l) => l.msg === "usage spool line skipped");
    expect(skipped.map((l) => l.reason)).toEqual([
      "not JSON (truncated or corrupt)",
      expect.stringContaining("invalid record: mask"),
      "truncated last line (the writer stopped mid-line)",
    ]);
    expect(skipped.every((l) => l.segment === segment && typeof l.offset === "number")).toBe(true);
    expect(b.corrupt()).toBe(3);
    await b.spool.close();
  });

  it("skips a line longer than a batch may be", async () => {
    const dir = newDir();
    const a = await openSpool(dir);
    await a.spool.close();
    const path = join(dir, segmentFiles(dir)[0]!);
    writeFileSync(path, "x".repeat(10_000) + "\n" + JSON.stringify(record(1)) + "\n");
    const b = await openSpool(dir);
    const ids: string[] = [];
    for (let batch = await b.spool.readBatch(10, 4096); batch; batch = await b.spool.readBatch(10, 4096)) {
      ids.push(...batch.records.map((r) => r.id));
      await b.spool.ack(batch.end);
    }
    expect(ids).toEqual(["rec-1"]);
    expect(b.lines.find((l) => l.msg === "usage spool line skipped")?.reason).toBe("line longer than 4096 bytes");
    await b.spool.close();
  });

  it("appends what fits up to its size, refuses the rest with SpoolFullError, and takes more once acknowledged", async () => {
    const dir = newDir();
    const { spool } = await openSpool(dir, { maxBytes: 64 * 1024, segmentMaxBytes: 16 * 1024 });
    const all = records(0, 1000); // about 150 KB of lines
    const written = await spool.append(all);
    expect(written).toBeGreaterThan(100);
    expect(written).toBeLessThan(all.length);
    expect(spool.bytes).toBeLessThanOrEqual(64 * 1024);
    await expect(spool.append(all.slice(written))).rejects.toBeInstanceOf(SpoolFullError);
    expect(await drain(spool, 100)).toEqual(all.slice(0, written).map((r) => r.id));
    expect(await spool.append(all.slice(written, written + 50))).toBe(50);
    await spool.close();
  });

  it("rolls segments over at their size and deletes the acknowledged ones", async () => {
    const dir = newDir();
    const { spool } = await openSpool(dir, { maxBytes: 1024 * 1024, segmentMaxBytes: 4096 });
    for (let i = 0; i < 10; i++) await spool.append(records(i * 20, i * 20 + 20));
    expect(segmentFiles(dir).length).toBeGreaterThan(5);
    const b = await spool.readBatch(1000, 64 * 1024);
    await spool.ack(b!.end); // one segment at a time
    const left = segmentFiles(dir).length;
    expect(await drain(spool, 1000)).toHaveLength(200 - b!.records.length);
    expect(segmentFiles(dir).length).toBeLessThan(left);
    expect(segmentFiles(dir)).toHaveLength(1); // the (empty) active segment
    await spool.close();
  });

  it("replays everything when the cursor file is unreadable", async () => {
    const dir = newDir();
    const a = await openSpool(dir);
    await a.spool.append(records(0, 5));
    const b = await a.spool.readBatch(2, 64 * 1024);
    await a.spool.ack(b!.end);
    await a.spool.close();
    writeFileSync(join(dir, "cursor.json"), "{garbage");
    const again = await openSpool(dir);
    expect(again.lines.some((l) => l.msg.includes("cursor unreadable"))).toBe(true);
    // Acknowledged records come again too: re-sending is harmless (ids and masks are idempotent), losing is not.
    expect(await drain(again.spool)).toEqual(records(0, 5).map((r) => r.id));
    await again.spool.close();
  });

  it("moves refused records to rejected.jsonl and acknowledges them", async () => {
    const dir = newDir();
    const { spool } = await openSpool(dir);
    await spool.append(records(0, 3));
    const b = await spool.readBatch(10, 64 * 1024);
    await spool.reject({ records: [b!.records[1]!], end: b!.end }, "invalid_request: test");
    expect(await spool.readBatch(10, 64 * 1024)).toBeNull();
    const rejected = readFileSync(join(dir, REJECTED_FILE), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(rejected).toEqual([{ rejected_at: expect.any(String), reason: "invalid_request: test", record: record(1) }]);
    await spool.close();
  });
});

import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ComputeStateStore, type ComputeRecord } from "../../../wakeup/server/state-store.js";
import { tempDir } from "../../harness/tempdir.js";

const record = (endpointId: string, port: number): ComputeRecord => ({
  endpointId,
  cu: 1,
  database: "app",
  role: "app_user",
  scramSecret: "SCRAM-SHA-256$4096:c2FsdA==$x:y",
  autoSuspendSeconds: 300,
  host: "127.0.0.1",
  port,
  coldStarts: 0,
  accessApplied: true,
  createdAtMs: 1,
});

describe("ComputeStateStore", () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir("orochi-store-");
  });
  afterEach(() => dir.remove());

  it("writes in call order, privately, and reads back what was last saved", async () => {
    const store = new ComputeStateStore(join(dir.path, "computes.json"));
    expect(store.load()).toEqual([]);
    void store.save([record("ep-a", 1)]);
    void store.save([record("ep-a", 1), record("ep-b", 2)]);
    await store.flush();
    expect(store.load().map((r) => r.endpointId)).toEqual(["ep-a", "ep-b"]);
    expect(statSync(store.file).mode & 0o777).toBe(0o600);
  });

  it("refuses a corrupt file instead of starting with an empty registry", () => {
    const file = join(dir.path, "bad.json");
    writeFileSync(file, JSON.stringify({ version: 1, computes: [{ endpointId: "ep-a" }] }));
    expect(() => new ComputeStateStore(file).load()).toThrow(/not valid/);
    expect(readFileSync(file, "utf8")).toContain("ep-a");
  });
});

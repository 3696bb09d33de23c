import "./quiet-logs.js";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSchedulerClient } from "../../wakeup/index.js";
import { schedulerPortFromClient } from "../../controlplane/index.js";
import { loadMigrations, migrate } from "../../controlplane/store/migrate.js";
import { freePort } from "../harness/ports.js";
import { tempDir } from "../harness/tempdir.js";
import { Api, startTestControlPlane, startTestStore, type TestStore } from "./harness.js";
import { startTestScheduler, type TestScheduler } from "./scheduler-harness.js";

describe("store migrations", () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await startTestStore();
  });
  afterAll(async () => store?.stop());

  it("apply once, in one transaction, even when replicas start together", async () => {
    const pools = [0, 1, 2].map(() => null as pg.Pool | null);
    const url = await store.newDatabaseUrl();
    try {
      for (let i = 0; i < pools.length; i++) pools[i] = new pg.Pool({ connectionString: url });
      const results = await Promise.all(pools.map((p) => migrate(p!)));
      const all = loadMigrations().map((m) => m.version);
      expect(results.flat().sort()).toEqual(all);
      expect(await migrate(pools[0]!)).toEqual([]);
      const { rows } = await pools[0]!.query("SELECT version FROM schema_migrations ORDER BY version");
      expect(rows.map((r) => r.version)).toEqual(all);
    } finally {
      await Promise.all(pools.map((p) => p?.end()));
    }
  });
});

describe("a create that fails midway", () => {
  let store: TestStore;
  let scheduler: TestScheduler;
  beforeAll(async () => {
    [store, scheduler] = await Promise.all([startTestStore(), startTestScheduler()]);
  });
  afterAll(async () => {
    await scheduler?.close();
    await store?.stop();
  });

  it("answers 503, keeps a consistent row, and converges on retry with the same Idempotency-Key", async () => {
    const databaseUrl = await store.newDatabaseUrl();
    const state = tempDir("orochi-cp-");
    // A real client to an address where nothing listens: the scheduler is down.
    const down = schedulerPortFromClient(createSchedulerClient({ address: `127.0.0.1:${await freePort()}`, deadlinesMs: { Provision: 300, Describe: 300, Suspend: 300 } }));
    const first = await startTestControlPlane(store, { databaseUrl, stateDir: state.path, scheduler: down, reconcileIntervalMs: 3_600_000 });
    const headers = { "idempotency-key": "create-delta" };
    let id: string;
    try {
      const failed = await first.api.post("/v1/clusters", { name: "delta" }, headers);
      expect(failed.status).toBe(503);
      expect(failed.body.error.code).toBe("scheduler_unavailable");
      const [row] = (await first.api.get("/v1/clusters")).body.clusters;
      expect(row).toMatchObject({ name: "delta", status: "provisioning" });
      id = row.id;
      // Proxies see it as not provisioned yet: no compute, no pooler.
      const access = await new Api(first.cp.url, first.cp.internalToken).get(`/internal/v1/endpoints/${row.endpoint}/access?role=app`);
      expect(access.body).toMatchObject({ state: "provisioning", compute: null, pooler: null });
    } finally {
      await first.cp.close();
      await down.close();
    }

    // The scheduler is back (another control plane process): the same key resumes the same cluster.
    const second = await startTestControlPlane(store, { databaseUrl, stateDir: state.path, scheduler: scheduler.port, reconcileIntervalMs: 3_600_000 });
    try {
      const retried = await second.api.post("/v1/clusters", { name: "delta" }, headers);
      expect(retried.status).toBe(201);
      expect(retried.body).toMatchObject({ id, name: "delta", status: "suspended" });
      expect(retried.body.password).toMatch(/^[A-Za-z0-9]{32}$/);
      expect((await second.api.get("/v1/clusters")).body.clusters).toHaveLength(1);
      await second.cp.reconcile(); // waits for the start-up pass too
      expect(await second.cp.reconcile()).toBe(0); // nothing left to converge
    } finally {
      await second.close();
      state.remove();
    }
  });

  it("deprovisions a deleted cluster once its restore period has passed", async () => {
    // A zero-length restore period: the delete's own convergence purges at once.
    const t = await startTestControlPlane(store, { scheduler: scheduler.port, retentionMs: 0, reconcileIntervalMs: 3_600_000 });
    try {
      const created = await t.api.post("/v1/clusters", { name: "zeta" });
      expect(created.status).toBe(201);
      expect(await scheduler.port.describe(created.body.endpoint)).toMatchObject({ endpointId: created.body.endpoint });
      expect((await t.api.delete("/v1/clusters/zeta")).status).toBe(202);
      expect(await scheduler.port.describe(created.body.endpoint)).toBeNull();
      // Purged: gone from every view, and the restore is refused.
      expect((await t.api.get(`/v1/clusters/${created.body.id}`)).status).toBe(404);
      expect((await t.api.get("/v1/clusters?include_deleted=true")).body.clusters).toEqual([]);
      // The name is free again.
      expect((await t.api.post("/v1/clusters", { name: "zeta" })).status).toBe(201);
    } finally {
      await t.close();
    }
  });
});

import "./quiet-logs.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EndpointAccess, EndpointChanged } from "../../controlplane/index.js";
import { freePort } from "../harness/ports.js";
import { Api, startTestControlPlane, startTestStore, type TestControlPlane, type TestStore } from "./harness.js";
import { startTestScheduler, type TestScheduler } from "./scheduler-harness.js";

/** Log in with node-postgres; resolves to current_user, or rejects with the server's error. */
async function login(target: { host: string; port: number; database: string; user: string }, password: string): Promise<string> {
  const client = new pg.Client({ ...target, password, connectionTimeoutMillis: 10_000 });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return (await client.query<{ u: string }>("select current_user as u")).rows[0]!.u;
  } finally {
    await client.end();
  }
}

describe("provisioning flow against the real scheduler and PgBouncer", () => {
  let store: TestStore;
  let scheduler: TestScheduler;
  let t: TestControlPlane;
  let api: Api;
  let internal: Api;
  let databaseUrl: string;
  const events: EndpointChanged[] = [];

  const access = async (endpoint: string, role = "app"): Promise<EndpointAccess> => {
    const res = await internal.get(`/internal/v1/endpoints/${endpoint}/access?role=${role}`);
    expect(res.status).toBe(200);
    return res.body;
  };
  const compute = (a: EndpointAccess) => ({ host: a.compute!.host, port: a.compute!.port, database: a.database, user: a.role!.name });
  const pooled = (a: EndpointAccess) => a.pooler!;

  beforeAll(async () => {
    [store, scheduler] = await Promise.all([startTestStore(), startTestScheduler()]);
    databaseUrl = await store.newDatabaseUrl();
    t = await startTestControlPlane(store, {
      databaseUrl,
      scheduler: scheduler.port,
      pooler: { kind: "pgbouncer", port: await freePort() },
    });
    t.cp.events.on("endpoint-changed", (e) => events.push(e));
    api = t.api;
    internal = new Api(t.cp.url, t.cp.internalToken);
  });
  afterAll(async () => {
    await t?.close();
    await scheduler?.close();
    await store?.stop();
  });

  let alpha: { id: string; endpoint: string; password: string };

  it("creates a cluster: scheduler Provision, pooler entry, connection strings with the password", async () => {
    const res = await api.post("/v1/clusters", { name: "alpha", size: "dev" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: "alpha", status: "suspended", size: "dev", cu: 0.25, max_connections: 25, tier: "serverless" });
    expect(res.body.endpoint).toMatch(/^ep-[a-z0-9-]+$/);
    expect(res.body.password).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(res.body.connection_string).toContain(`options=endpoint%3D${res.body.endpoint}&`.slice(0, -1));
    expect(res.body.pooled_connection_string).toContain(`endpoint%3D${res.body.endpoint}-pooler`);
    alpha = { id: res.body.id, endpoint: res.body.endpoint, password: res.body.password };

    const a = await access(alpha.endpoint);
    expect(a).toMatchObject({ endpoint_id: alpha.endpoint, state: "suspended", cu: 0.25, max_connections: 25, database: "app", allowed_cidrs: [] });
    expect(a.role!.scram_secret).toMatch(/^SCRAM-SHA-256\$4096:/);
    expect(a.pooler).toEqual({ host: "127.0.0.1", port: t.cp.pooler!.port, database: alpha.endpoint, user: `app@${alpha.endpoint}` });
    expect((await internal.get(`/internal/v1/endpoints/${alpha.endpoint}/access?role=intruder`)).body).toMatchObject({ role: null, pooler: null });
  });

  it("starts the compute; the password works directly and through PgBouncer", async () => {
    const res = await api.post(`/v1/clusters/${alpha.id}/start`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("running");
    const a = await access(alpha.endpoint);
    expect(await login(compute(a), alpha.password)).toBe("app");
    expect(await login(pooled(a), alpha.password)).toBe("app");
    await expect(login(pooled(a), "wrong-password")).rejects.toThrow();
  });

  it("keeps the password encrypted at rest", async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const dump = (await client.query<{ row: string }>("SELECT row_to_json(t)::text AS row FROM (SELECT * FROM clusters) t")).rows.map((r) => r.row).join("\n");
    await client.end();
    expect(dump).toContain(alpha.endpoint);
    expect(dump).not.toContain(alpha.password);
    expect(dump).not.toContain(Buffer.from(alpha.password).toString("hex"));
  });

  it("rotates the password: compute role, pooler secret and proxies' version change; no pooler restart", async () => {
    const pidFile = join(t.stateDir, "pgbouncer", "pgbouncer.pid");
    const pidBefore = readFileSync(pidFile, "utf8").trim();
    const before = await access(alpha.endpoint);
    const seen = events.length;
    const res = await api.post(`/v1/clusters/${alpha.id}/password/rotate`);
    expect(res.status).toBe(200);
    const fresh: string = res.body.connection.password;
    expect(fresh).not.toBe(alpha.password);
    const after = await access(alpha.endpoint);
    expect(after.version).toBeGreaterThan(before.version);
    expect(after.role!.scram_secret).not.toBe(before.role!.scram_secret);
    expect(events.slice(seen).some((e) => e.endpoint_id === alpha.endpoint && e.reason === "password_rotated" && e.version <= after.version)).toBe(true);

    await expect(login(compute(after), alpha.password)).rejects.toThrow(/password authentication failed/);
    expect(await login(compute(after), fresh)).toBe("app");
    await expect(login(pooled(after), alpha.password)).rejects.toThrow();
    expect(await login(pooled(after), fresh)).toBe("app");
    expect(readFileSync(pidFile, "utf8").trim()).toBe(pidBefore);
    const conn = await api.get(`/v1/clusters/${alpha.id}/connection-string`);
    expect(conn.body.password).toBe(fresh);
    alpha.password = fresh;
  });

  it("adds a second tenant with the same role name: RELOAD keeps the first tenant's open session; each password works only for its own tenant", async () => {
    const a = await access(alpha.endpoint);
    const open = new pg.Client({ ...pooled(a), password: alpha.password });
    await open.connect();
    await open.query("select 1");

    const res = await api.post("/v1/clusters", { name: "beta", settings: { role: "app", database: "app" } });
    expect(res.status).toBe(201);
    const beta = { id: res.body.id as string, endpoint: res.body.endpoint as string, password: res.body.password as string };
    expect((await api.post(`/v1/clusters/${beta.id}/start`)).status).toBe(200);
    const b = await access(beta.endpoint);

    // The session opened before the reload is still served.
    expect((await open.query<{ n: number }>("select 2 as n")).rows[0]!.n).toBe(2);
    await open.end();

    expect(await login(pooled(a), alpha.password)).toBe("app");
    expect(await login(pooled(b), beta.password)).toBe("app");
    await expect(login(pooled(a), beta.password)).rejects.toThrow();
    await expect(login(pooled(b), alpha.password)).rejects.toThrow();
    // Tenant A's pooler user asking for tenant B's database is refused by the pooler's HBA.
    await expect(login({ ...pooled(b), user: pooled(a).user }, alpha.password)).rejects.toThrow(/login rejected/);
    // Different computes behind the same role name.
    expect(b.compute).not.toEqual(a.compute);
  });

  it("scales: size, CU and max_connections change and the version moves", async () => {
    const before = await access(alpha.endpoint);
    const res = await api.post(`/v1/clusters/${alpha.id}/scale`, { size: "small" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ size: "small", cu: 1, max_connections: 100 });
    const after = await access(alpha.endpoint);
    expect(after).toMatchObject({ cu: 1, max_connections: 100 });
    expect(after.version).toBeGreaterThan(before.version);
  });

  it("patches settings and stops", async () => {
    const res = await api.patch(`/v1/clusters/${alpha.id}`, { settings: { allowed_cidrs: ["127.0.0.1/32"], compute: { auto_suspend_seconds: 60 } } });
    expect(res.status).toBe(200);
    expect(res.body.settings).toMatchObject({ allowed_cidrs: ["127.0.0.1/32"], compute: { auto_suspend_seconds: 60 } });
    expect((await access(alpha.endpoint)).allowed_cidrs).toEqual(["127.0.0.1/32"]);
    const stopped = await api.post(`/v1/clusters/${alpha.id}/stop`);
    expect(stopped.body.status).toBe("suspended");
    expect((await api.get(`/v1/clusters/${alpha.id}`)).body.status).toBe("suspended");
  });

  it("soft-deletes (404 for proxies, out of the pooler) and restores", async () => {
    const del = await api.delete(`/v1/clusters/alpha`);
    expect(del.status).toBe(202);
    expect(del.body.status).toBe("deleting");
    expect(del.body.restorable_until).toEqual(expect.any(String));
    const gone = await internal.get(`/internal/v1/endpoints/${alpha.endpoint}/access?role=app`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe("endpoint_not_found");
    expect((await api.get("/v1/clusters")).body.clusters.map((c: { name: string }) => c.name)).toEqual(["beta"]);
    expect((await api.get("/v1/clusters?include_deleted=true")).body.clusters.map((c: { name: string }) => c.name)).toEqual(["alpha", "beta"]);
    const auth = readFileSync(join(t.stateDir, "pgbouncer", "users.txt"), "utf8");
    expect(auth).not.toContain(alpha.endpoint);

    const restored = await api.post(`/v1/clusters/${alpha.id}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.body.status).toBe("suspended");
    expect((await api.post(`/v1/clusters/${alpha.id}/start`)).status).toBe(200);
    const a = await access(alpha.endpoint);
    expect(await login(compute(a), alpha.password)).toBe("app");
    expect(await login(pooled(a), alpha.password)).toBe("app");
  });

  it("replays a create with the same Idempotency-Key instead of creating twice", async () => {
    const headers = { "idempotency-key": "create-gamma-1" };
    const first = await api.post("/v1/clusters", { name: "gamma" }, headers);
    expect(first.status).toBe(201);
    const again = await api.post("/v1/clusters", { name: "gamma" }, headers);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.password).toBe(first.body.password);
    const dup = await api.post("/v1/clusters", { name: "gamma" });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe("cluster_name_taken");
  });

  it("keeps everything across a control plane restart (migrations are a no-op)", async () => {
    const listed = (await api.get("/v1/clusters")).body.clusters;
    const conn = (await api.get(`/v1/clusters/${alpha.id}/connection-string`)).body;
    await t.cp.close();
    t = await startTestControlPlane(store, { databaseUrl, stateDir: t.stateDir, scheduler: scheduler.port, pooler: { kind: "pgbouncer", port: await freePort() } });
    api = t.api;
    internal = new Api(t.cp.url, t.cp.internalToken);
    expect(t.adminKey).toBe(api.key);
    const again = (await api.get("/v1/clusters")).body.clusters;
    expect(again.map((c: { id: string }) => c.id)).toEqual(listed.map((c: { id: string }) => c.id));
    const conn2 = (await api.get(`/v1/clusters/${alpha.id}/connection-string`)).body;
    expect(conn2.password).toBe(conn.password);
    // The new PgBouncer was filled from the store.
    const a = await access(alpha.endpoint);
    expect(await login(pooled(a), alpha.password)).toBe("app");
  });

  it("serves the longest role name (63 characters) through the pooler", async () => {
    const role = "r" + "_".repeat(61) + "z";
    const res = await api.post("/v1/clusters", { name: "long-role", settings: { role, database: "d" } });
    expect(res.status).toBe(201);
    expect((await api.post(`/v1/clusters/${res.body.id}/start`)).status).toBe(200);
    const a = await access(res.body.endpoint, role);
    expect(a.pooler!.user).toBe(`${role}@${res.body.endpoint}`);
    expect(await login(pooled(a), res.body.password)).toBe(role);
    expect((await api.post(`/v1/clusters/${res.body.id}/stop`)).status).toBe(200);
  });
});

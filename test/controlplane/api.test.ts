import { statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../controlplane/index.js";
import { Api, startTestControlPlane, startTestStore, type TestControlPlane, type TestStore } from "./harness.js";

// No scheduler here: creates are recorded and answer 503 (retryable), which is enough to test
// identity, authorisation and validation. Provisioning itself is tested in lifecycle.test.ts.
describe("control plane API: identity, authorisation, validation, OpenAPI", () => {
  let store: TestStore;
  let t: TestControlPlane;
  let api: Api;

  beforeAll(async () => {
    store = await startTestStore();
    t = await startTestControlPlane(store);
    api = t.api;
  });
  afterAll(async () => {
    await t?.close();
    await store?.stop();
  });

  async function newOrganization(plan: "free" | "pro" | "enterprise" = "pro"): Promise<{ id: string; admin: Api }> {
    const res = await api.post("/v1/organizations", { name: `org-${plan}`, plan });
    expect(res.status).toBe(201);
    return { id: res.body.organization.id, admin: api.as(res.body.admin_key.key) };
  }

  async function newKey(admin: Api, scope: "read" | "write" | "admin"): Promise<{ id: string; api: Api }> {
    const res = await admin.post("/v1/api-keys", { name: `${scope} key`, scope });
    expect(res.status).toBe(201);
    expect(res.body.key).toMatch(/^orochi_sk_[A-Za-z0-9]{43}$/);
    return { id: res.body.id, api: admin.as(res.body.key) };
  }

  it("bootstraps the local admin key in <state dir>/admin-key, mode 0600, the key alone", async () => {
    expect(t.adminKey).toMatch(/^orochi_sk_[A-Za-z0-9]{43}$/);
    expect(statSync(t.cp.adminKeyFile!).mode & 0o777).toBe(0o600);
    const res = await api.get("/v1/organization");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: "local", plan: "enterprise" });
  });

  it("answers 401 without a key, with a malformed, unknown or revoked key", async () => {
    const none = await api.as(null).get("/v1/clusters");
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe("unauthenticated");
    for (const bad of ["nope", "orochi_sk_" + "x".repeat(43)]) {
      const res = await api.as(bad).get("/v1/clusters");
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("invalid_api_key");
    }
    const key = await newKey(api, "read");
    expect((await key.api.get("/v1/clusters")).status).toBe(200);
    expect((await api.delete(`/v1/api-keys/${key.id}`)).status).toBe(200);
    const revoked = await key.api.get("/v1/clusters");
    expect(revoked.status).toBe(401);
    expect(revoked.body.error.code).toBe("invalid_api_key");
  });

  it("enforces scopes: read cannot write, write cannot administer, only the operator creates organisations", async () => {
    const read = await newKey(api, "read");
    const write = await newKey(api, "write");
    const denied = await read.api.post("/v1/clusters", { name: "not-allowed" });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe("forbidden");
    expect((await read.api.get("/v1/clusters/whatever/connection-string")).status).toBe(403);
    expect((await write.api.get("/v1/api-keys")).status).toBe(403);
    expect((await write.api.post("/v1/api-keys", { name: "x", scope: "admin" })).status).toBe(403);
    expect((await write.api.post("/v1/organizations", { name: "x" })).status).toBe(403);
    const other = await newOrganization();
    const res = await other.admin.post("/v1/organizations", { name: "y" });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("forbidden");
  });

  it("hides another organisation's clusters and keys behind 404", async () => {
    const other = await newOrganization();
    const created = await other.admin.post("/v1/clusters", { name: "theirs" });
    // Recorded, but no scheduler to provision it: a retryable 503.
    expect(created.status).toBe(503);
    expect(created.body.error.code).toBe("scheduler_unavailable");
    const theirs = (await other.admin.get("/v1/clusters")).body.clusters;
    expect(theirs).toHaveLength(1);
    expect(theirs[0].status).toBe("provisioning");
    const id = theirs[0].id;
    for (const [method, path] of [
      ["GET", `/v1/clusters/${id}`],
      ["GET", `/v1/clusters/theirs`],
      ["PATCH", `/v1/clusters/${id}`],
      ["DELETE", `/v1/clusters/${id}`],
      ["POST", `/v1/clusters/${id}/start`],
      ["GET", `/v1/clusters/${id}/connection-string`],
      ["POST", `/v1/clusters/${id}/password/rotate`],
      ["GET", `/v1/clusters/${id}/usage`],
    ] as const) {
      const res = await api.request(method, path, method === "PATCH" ? { body: {} } : {});
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe("cluster_not_found");
    }
    expect((await api.get("/v1/clusters")).body.clusters.map((c: { id: string }) => c.id)).not.toContain(id);
    const theirKey = (await other.admin.get("/v1/api-keys")).body.api_keys[0].id;
    const revoke = await api.delete(`/v1/api-keys/${theirKey}`);
    expect(revoke.status).toBe(404);
    expect(revoke.body.error.code).toBe("api_key_not_found");
  });

  it("rate-limits per key by plan: Free allows a burst of 100, then 429 with Retry-After", async () => {
    const free = await newOrganization("free");
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++) statuses.push((await free.admin.get("/v1/organization")).status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const limited = await free.admin.get("/v1/organization");
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // Per key: another key of the same organisation has its own bucket.
    const second = await newKey(api, "read");
    expect((await second.api.get("/v1/organization")).status).toBe(200);
  });

  it("validates requests with stable codes", async () => {
    const cases: { name: string; send: () => Promise<{ status: number; body: { error: { code: string } } }>; status: number; code: string }[] = [
      { name: "malformed JSON", send: () => api.request("POST", "/v1/clusters", { raw: '{"name": "x",' }), status: 400, code: "malformed_json" },
      { name: "unknown field", send: () => api.post("/v1/clusters", { name: "ok-name", colour: "blue" }), status: 400, code: "unknown_field" },
      { name: "unknown nested field", send: () => api.post("/v1/clusters", { name: "ok-name", settings: { compute: { turbo: true } } }), status: 400, code: "unknown_field" },
      { name: "bad name", send: () => api.post("/v1/clusters", { name: "Bad_Name!" }), status: 400, code: "invalid_request" },
      { name: "name too long", send: () => api.post("/v1/clusters", { name: "a" + "b".repeat(63) }), status: 400, code: "invalid_request" },
      { name: "bad size", send: () => api.post("/v1/clusters", { name: "ok-name", size: "huge" }), status: 400, code: "invalid_request" },
      { name: "bad tier", send: () => api.post("/v1/clusters", { name: "ok-name", tier: "gold" }), status: 400, code: "invalid_request" },
      { name: "bad CIDR", send: () => api.post("/v1/clusters", { name: "ok-name", settings: { allowed_cidrs: ["10.0.0.0/33"] } }), status: 400, code: "invalid_request" },
      { name: "reserved role", send: () => api.post("/v1/clusters", { name: "ok-name", settings: { role: "postgres" } }), status: 400, code: "invalid_request" },
      { name: "min_cu > max_cu", send: () => api.post("/v1/clusters", { name: "ok-name", settings: { compute: { min_cu: 4, max_cu: 1 } } }), status: 400, code: "invalid_request" },
      { name: "missing body", send: () => api.request("POST", "/v1/clusters"), status: 400, code: "invalid_request" },
      {
        name: "oversized body",
        send: () => api.request("POST", "/v1/clusters", { raw: JSON.stringify({ name: "x".repeat(100_000) }) }),
        status: 413,
        code: "body_too_large",
      },
      {
        name: "not JSON",
        send: () => api.request("POST", "/v1/clusters", { raw: "name=x", headers: { "content-type": "text/plain" } }),
        status: 415,
        code: "unsupported_media_type",
      },
      { name: "unknown route", send: () => api.get("/v1/nothing-here"), status: 404, code: "not_found" },
      { name: "wrong method", send: () => api.request("PUT", "/v1/clusters"), status: 405, code: "method_not_allowed" },
      { name: "bad usage range", send: () => api.get("/v1/clusters/x/usage?from=yesterday"), status: 400, code: "invalid_request" },
      { name: "unknown query parameter", send: () => api.get("/v1/clusters?colour=blue"), status: 400, code: "unknown_field" },
    ];
    for (const c of cases) {
      const res = await c.send();
      expect({ name: c.name, status: res.status, code: res.body.error?.code }).toEqual({ name: c.name, status: c.status, code: c.code });
      expect(Object.keys(ERROR_CODES)).toContain(res.body.error.code);
      expect(JSON.stringify(res.body)).not.toMatch(/\bat .*\.(ts|js):\d+/); // never a stack trace
    }
  });

  it("rejects an Idempotency-Key reused for another request", async () => {
    const key = { "idempotency-key": "reuse-test-1" };
    const first = await api.post("/v1/api-keys", { name: "idem", scope: "read" }, key);
    expect(first.status).toBe(201);
    const replay = await api.post("/v1/api-keys", { name: "idem", scope: "read" }, key);
    expect(replay.status).toBe(201);
    expect(replay.body.id).toBe(first.body.id);
    expect(replay.body.key).toBeNull();
    const other = await api.post("/v1/api-keys", { name: "other", scope: "read" }, key);
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe("idempotency_key_reused");
  });

  it("guards the internal API with the internal token and answers 404 for unknown endpoints", async () => {
    const internal = new Api(t.cp.url, null);
    expect((await internal.get("/internal/v1/endpoints/ep-nothing-1/access?role=app")).status).toBe(401);
    expect((await internal.as(t.adminKey).get("/internal/v1/endpoints/ep-nothing-1/access?role=app")).status).toBe(401);
    const missing = await internal.as(t.cp.internalToken).get("/internal/v1/endpoints/ep-nothing-1/access?role=app");
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("endpoint_not_found");
    expect((await internal.as(t.cp.internalToken).get("/internal/v1/endpoints/not-an-endpoint/access")).status).toBe(400);
  });

  it("serves an OpenAPI 3.1 document covering every route", async () => {
    const res = await api.as(null).get("/v1/openapi.json");
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe("3.1.0");
    const expected: [string, string][] = [
      ["post", "/v1/clusters"],
      ["get", "/v1/clusters"],
      ["get", "/v1/clusters/{id}"],
      ["patch", "/v1/clusters/{id}"],
      ["delete", "/v1/clusters/{id}"],
      ["post", "/v1/clusters/{id}/start"],
      ["post", "/v1/clusters/{id}/stop"],
      ["post", "/v1/clusters/{id}/scale"],
      ["post", "/v1/clusters/{id}/restore"],
      ["get", "/v1/clusters/{id}/connection-string"],
      ["post", "/v1/clusters/{id}/password/rotate"],
      ["get", "/v1/clusters/{id}/usage"],
      ["get", "/v1/openapi.json"],
      ["get", "/v1/api-keys"],
      ["post", "/v1/api-keys"],
      ["delete", "/v1/api-keys/{id}"],
      ["post", "/v1/organizations"],
      ["get", "/v1/organization"],
      ["get", "/internal/v1/endpoints/{endpoint_id}/access"],
    ];
    for (const [method, path] of expected) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op.operationId).toEqual(expect.any(String));
      expect(Object.keys(op.responses).length).toBeGreaterThan(0);
    }
    const create = doc.paths["/v1/clusters"].post;
    const body = create.requestBody.content["application/json"].schema;
    expect(body.additionalProperties).toBe(false);
    expect(body.required).toEqual(["name"]);
    expect(body.properties.size.enum).toEqual(["dev", "small", "medium", "large", "xlarge"]);
    expect(create.parameters.map((p: { name: string }) => p.name)).toContain("Idempotency-Key");
    expect(doc.paths["/v1/clusters/{id}"].get.parameters[0]).toMatchObject({ name: "id", in: "path", required: true });
    expect(doc.components.schemas.Error.properties.error.properties.code.enum).toEqual(Object.keys(ERROR_CODES));
    // Every $ref resolves inside the document.
    const refs = JSON.stringify(doc).match(/"\$ref":"#\/[^"]+"/g) ?? [];
    for (const ref of refs) {
      const path = ref.slice(10, -1).split("/");
      let node = doc;
      for (const part of path) node = node?.[part];
      expect(node, ref).toBeDefined();
    }
  });
});

import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgBin } from "../../common/postgres/index.js";
import { startControlPlane, type ControlPlane } from "../../controlplane/index.js";
import { startLocalStack, type LocalStack } from "../../stack/local-stack.js";
import { orochiBin } from "../harness/orochi-process.js";
import { freePort } from "../harness/ports.js";
import { tempDir } from "../harness/tempdir.js";

const run = promisify(execFile);

/** Issue 4: the whole local stack, driven through the API and the CLI, used verbatim by clients. */
describe("local stack (orochi up)", () => {
  const state = tempDir("orochi-stack-");
  let stack: LocalStack;
  let restarted: ControlPlane | null = null;
  let apiKey: string;
  let cluster: { id: string; name: string; connection_string: string; pooled_connection_string: string; password: string };

  beforeAll(async () => {
    // Free ports can be taken by someone else between the probe and the listen: try again.
    for (let attempt = 1; ; attempt++) {
      const [proxy, proxyHttp, controlPlane, scheduler, schedulerHttp, pooler] = await Promise.all(Array.from({ length: 6 }, () => freePort()));
      try {
        stack = await startLocalStack({
          stateDir: state.path,
          pooler: "pgbouncer",
          ports: { proxy: proxy!, proxyHttp: proxyHttp!, controlPlane: controlPlane!, scheduler: scheduler!, schedulerHttp: schedulerHttp!, pooler: pooler! },
        });
        break;
      } catch (err) {
        if (attempt >= 3 || !/EADDRINUSE|address already in use/i.test(String(err))) throw err;
      }
    }
    apiKey = readFileSync(stack.controlPlane.adminKeyFile!, "utf8").trim();
  });
  afterAll(async () => {
    await restarted?.close();
    await stack?.stop();
    state.remove();
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${stack.controlPlane.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const psql = async (conn: string, sql: string) => (await run(pgBin("psql"), [conn, "-XAtc", sql])).stdout.trim();
  const nodePg = async (connectionString: string, sql: string) => {
    const c = new pg.Client({ connectionString });
    await c.connect();
    try {
      return (await c.query({ text: sql, rowMode: "array" })).rows[0]![0] as unknown;
    } finally {
      await c.end();
    }
  };
  const cli = (args: string[]) =>
    run(process.execPath, [orochiBin(), ...args], { env: { ...process.env, OROCHI_HOME: state.path, OROCHI_API_URL: stack.controlPlane.url } });

  it("a cluster created through the API answers its connection strings verbatim in psql and node-postgres", async () => {
    const created = await api("POST", "/v1/clusters", { name: "alpha", size: "dev" });
    expect(created.status).toBe(201);
    cluster = created.body as typeof cluster;
    expect(await psql(cluster.connection_string, "select 'direct via psql'")).toBe("direct via psql");
    expect(await psql(cluster.pooled_connection_string, "select 'pooled via psql'")).toBe("pooled via psql");
    expect(await nodePg(cluster.connection_string, "select 'direct via node-postgres'")).toBe("direct via node-postgres");
    expect(await nodePg(cluster.pooled_connection_string, "select current_user")).toBe("app");
  });

  it("pgbench runs with the connection string verbatim", async () => {
    await run(pgBin("pgbench"), ["-i", "-q", "-s", "1", cluster.connection_string]);
    const bench = await run(pgBin("pgbench"), ["-n", "-S", "-c", "2", "-t", "20", cluster.connection_string]);
    expect(bench.stdout).toMatch(/number of transactions actually processed: 40\/40/);
  });

  it("the CLI creates, lists, connects and runs SQL", async () => {
    const created = await cli(["cluster", "create", "beta", "--size", "dev", "-o", "json"]);
    const beta = JSON.parse(created.stdout) as { connection_string: string };
    const url = (await cli(["connect", "beta", "--url"])).stdout.trim();
    expect(url).toBe(beta.connection_string);
    expect((await cli(["sql", "beta", "select 'cli sql ok' as answer", "-o", "json"])).stdout).toContain("cli sql ok");
    expect((await cli(["cluster", "list"])).stdout).toMatch(/beta\s+cl_\w+\s+ep-/);
  });

  it("password rotation: the old password fails at once on direct and pooled paths, the new one works", async () => {
    const rotated = await api("POST", `/v1/clusters/${cluster.id}/password/rotate`);
    expect(rotated.status).toBe(200);
    const newPassword = (rotated.body.connection as { password: string }).password;
    const withPassword = (s: string, pw: string) => s.replace(`:${cluster.password}@`, `:${encodeURIComponent(pw)}@`);
    for (const s of [cluster.connection_string, cluster.pooled_connection_string]) {
      await expect(nodePg(s, "select 1")).rejects.toMatchObject({ code: "28P01" });
      expect(await nodePg(withPassword(s, newPassword), "select 'new'")).toBe("new");
    }
    cluster = { ...cluster, connection_string: withPassword(cluster.connection_string, newPassword), password: newPassword };
  });

  it("the proxy keeps serving a cached endpoint while the control plane is down; after a restart nothing is lost", async () => {
    expect(await nodePg(cluster.connection_string, "select 'warm'")).toBe("warm");
    const config = stack.controlPlane.config;
    await stack.controlPlane.close();
    expect(await nodePg(cluster.connection_string, "select 'served from the route cache'")).toBe("served from the route cache");
    restarted = await startControlPlane({
      stateDir: state.path,
      port: config.port,
      schedulerAddress: stack.scheduler.address,
      pooler: { kind: "pgbouncer", port: stack.poolerPort! },
      proxyPort: stack.proxy.port,
    });
    const res = await fetch(`${restarted.url}/v1/clusters`, { headers: { authorization: `Bearer ${apiKey}` } });
    const { clusters } = (await res.json()) as { clusters: Array<{ name: string }> };
    expect(clusters.map((c) => c.name).sort()).toEqual(["alpha", "beta"]);
  });
});

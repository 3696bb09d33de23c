import "./quiet-logs.js";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../common/paths.js";
import { pgBin } from "../../common/postgres/index.js";
import { startProxy, type RunningProxy } from "../../proxy/index.js";
import { ControlPlaneRouteSource, type RouteSource } from "../../router/index.js";
import { freePort } from "../harness/ports.js";
import { tempDir } from "../harness/tempdir.js";
import { silentLogger, startTestControlPlane, startTestStore, type TestControlPlane, type TestStore } from "./harness.js";
import { startTestScheduler, type TestScheduler } from "./scheduler-harness.js";

const run = promisify(execFile);

/**
 * The proxy's real control-plane route source, created once the control plane (started after
 * the proxy, which makes the CA its connection strings name) is up.
 */
function internalApiRouteSource(cp: () => TestControlPlane): RouteSource {
  let source: ControlPlaneRouteSource | null = null;
  return {
    lookup(endpointId, role) {
      const { cp: plane } = cp();
      source ??= new ControlPlaneRouteSource({ url: plane.url, token: plane.internalToken });
      return source.lookup(endpointId, role);
    },
  };
}

describe("connection strings verbatim through the real proxy and PgBouncer; the CLI as a child process", () => {
  let store: TestStore;
  let scheduler: TestScheduler;
  let proxy: RunningProxy;
  let t: TestControlPlane;
  const state = tempDir("orochi-e2e-");
  const cli = async (args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await run(process.execPath, [join(packageRoot(), "dist", "bin", "orochi.js"), ...args], {
        env: { ...process.env, OROCHI_HOME: state.path, OROCHI_API_URL: t.cp.url, OROCHI_LOG_LEVEL: "warn", ...env },
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  beforeAll(async () => {
    const build = run("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: packageRoot() });
    [store, scheduler] = await Promise.all([startTestStore(), startTestScheduler()]);
    // The proxy makes the local CA in <state dir>/tls/ca.crt: the control plane's default sslrootcert.
    proxy = await startProxy({
      stateDir: state.path,
      routeSource: internalApiRouteSource(() => t),
      scheduler: { address: scheduler.server.address },
      config: { port: 0, httpPort: null },
      log: silentLogger,
    });
    t = await startTestControlPlane(store, { stateDir: state.path, scheduler: scheduler.port, proxyPort: proxy.port, pooler: { kind: "pgbouncer", port: await freePort() } });
    await build;
  });
  afterAll(async () => {
    await t?.cp.close();
    await proxy?.close();
    await scheduler?.close();
    await store?.stop();
    state.remove();
  });

  let conn: { connection_string: string; pooled_connection_string: string };

  it("creates and starts a cluster with the CLI", async () => {
    const created = await cli(["cluster", "create", "epsilon", "--size", "dev", "-o", "json"]);
    expect(created.stderr).toContain("creating epsilon");
    expect(created.code).toBe(0);
    conn = JSON.parse(created.stdout);
    expect(conn.connection_string).toContain(`@127.0.0.1:${proxy.port}/app?sslmode=verify-full&sslrootcert=${state.path}/tls/ca.crt&options=endpoint%3Dep-`);
    const started = await cli(["cluster", "start", "epsilon", "-o", "yaml"]);
    expect(started.code).toBe(0);
    expect(started.stdout).toContain("status: running");
    const listed = await cli(["cluster", "list"]);
    expect(listed.stdout).toMatch(/^NAME\s+ID\s+ENDPOINT\s+STATUS/);
    expect(listed.stdout).toMatch(/epsilon\s+cl_\w+\s+ep-\S+\s+running/);
  });

  it("connection_string and pooled_connection_string work verbatim in node-postgres", async () => {
    for (const url of [conn.connection_string, conn.pooled_connection_string]) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const { rows } = await client.query<{ u: string; ssl: boolean }>("select current_user as u");
      expect(rows[0]!.u).toBe("app");
      await client.end();
    }
  });

  it("…and in psql and pgbench", async () => {
    for (const url of [conn.connection_string, conn.pooled_connection_string]) {
      const { stdout } = await run(pgBin("psql"), [url, "-Atc", "select current_user"]);
      expect(stdout.trim()).toBe("app");
    }
    const script = join(state.path, "bench.sql");
    writeFileSync(script, "select 1;\n");
    const bench = await run(pgBin("pgbench"), ["-n", "-t", "3", "-c", "1", "-f", script, conn.pooled_connection_string]);
    expect(bench.stdout).toContain("number of transactions actually processed: 3/3");
  });

  it("sql, connect and config commands", async () => {
    const one = await cli(["sql", "epsilon", "select 40 + 2 as answer", "-o", "json"]);
    expect(one.code).toBe(0);
    expect(JSON.parse(one.stdout)).toEqual([{ command: "SELECT", row_count: 1, rows: [{ answer: 42 }] }]);
    const file = join(state.path, "two.sql");
    writeFileSync(file, "create table t (x int); insert into t values (1), (2); select sum(x) as total from t;\n");
    const many = await cli(["sql", "epsilon", "-f", file]);
    expect(many.code).toBe(0);
    expect(many.stdout).toContain("CREATE");
    expect(many.stdout).toContain("INSERT 2");
    expect(many.stdout).toMatch(/total\n3\n\(1 row\)/);
    const bad = await cli(["sql", "epsilon", "select * from missing_table"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/relation "missing_table" does not exist \(SQLSTATE 42P01\)/);

    expect((await cli(["connect", "epsilon", "--url"])).stdout.trim()).toBe(conn.connection_string);
    expect((await cli(["connect", "epsilon", "--url", "--pooled"])).stdout.trim()).toBe(conn.pooled_connection_string);
    expect((await cli(["connect", "epsilon", "--env"])).stdout).toContain("export PGOPTIONS='endpoint=ep-");
    const viaPsql = await cli(["connect", "epsilon", "--", "-Atc", "select current_database()"]);
    expect(viaPsql.code).toBe(0);
    expect(viaPsql.stdout.trim()).toBe("app");

    expect((await cli(["config", "set", "output", "json"])).code).toBe(0);
    expect(JSON.parse((await cli(["cluster", "list"])).stdout)[0].name).toBe("epsilon");
    expect(JSON.parse((await cli(["config", "list"])).stdout)).toMatchObject({ output: "json" });
    const badSetting = await cli(["config", "set", "output", "xml"]);
    expect(badSetting.code).toBe(2);
  });

  it("clear errors and exit codes", async () => {
    const missing = await cli(["cluster", "status", "nope"]);
    expect(missing).toMatchObject({ code: 3, stdout: "" });
    expect(missing.stderr).toBe('orochi: cluster "nope" not found (cluster_not_found)\n');
    const badKey = await cli(["cluster", "list"], { OROCHI_API_KEY: "orochi_sk_" + "0".repeat(43) });
    expect(badKey.code).toBe(4);
    const down = await cli(["cluster", "list"], { OROCHI_API_URL: `http://127.0.0.1:${await freePort()}` });
    expect(down.code).toBe(5);
    expect(down.stderr).toContain("cannot reach the control plane");
    const taken = await cli(["cluster", "create", "epsilon"]);
    expect(taken.code).toBe(6);
    const badSize = await cli(["cluster", "scale", "epsilon", "huge"]);
    expect(badSize.code).toBe(2);
    expect(badSize.stderr).toContain("body.size");
  });
});

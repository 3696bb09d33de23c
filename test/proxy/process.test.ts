import { readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENDPOINT, PASSWORD, ROLE } from "../harness/fixture.js";
import { startOrochi, type OrochiProcess } from "../harness/orochi-process.js";
import { startTestPostgres, type TestPostgres } from "../harness/postgres.js";
import { tempDir } from "../harness/tempdir.js";
import { eventually } from "../harness/eventually.js";

/** `orochi proxy` as a real process: signals, reload, HTTP endpoints. */
describe("orochi proxy process", () => {
  let db: TestPostgres;
  let secret: string;
  const dir = tempDir("orochi-proc-");
  const routes = join(dir.path, "routes.json");
  const writeRoutes = (ids: string[]) =>
    writeFileSync(routes, JSON.stringify({ endpoints: Object.fromEntries(ids.map((id) => [id, { address: `127.0.0.1:${db.port}`, roles: { [ROLE]: secret } }])) }));

  beforeAll(async () => {
    db = await startTestPostgres();
    secret = await db.createRole(ROLE, PASSWORD);
  });
  afterAll(async () => {
    await db?.stop();
    dir.remove();
  });

  async function start(extra: string[] = []): Promise<{ proc: OrochiProcess; port: number; httpPort: number; ca: Buffer }> {
    const proc = await startOrochi(["proxy", "--routes", routes, "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--state-dir", dir.path, ...extra]);
    return { proc, port: proc.ready.port as number, httpPort: proc.ready.http_port as number, ca: readFileSync(proc.ready.ca_file as string) };
  }

  const client = (port: number, ca: Buffer, endpoint = ENDPOINT) =>
    new pg.Client({ host: "127.0.0.1", port, user: ROLE, password: PASSWORD, database: "postgres", ssl: { ca, servername: `${endpoint}.local.orochi.localhost` } });

  it("serves /metrics, /healthz and /readyz", async () => {
    writeRoutes([ENDPOINT]);
    const { proc, port, httpPort, ca } = await start();
    try {
      const c = client(port, ca);
      await c.connect();
      await c.query("select 1");
      await c.end();
      const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      expect(metrics).toMatch(/orochi_proxy_connections_total\{outcome="success"\} 1/);
      expect(metrics).toMatch(/orochi_proxy_handshake_duration_seconds_count\{tls="ssl_request"\} 1/);
      expect(metrics).toMatch(/orochi_data_transfer_bytes\{direction="out"\} [1-9]/);
      expect(metrics).toMatch(/process_resident_memory_bytes/);
      expect((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status).toBe(200);
    } finally {
      await proc.kill("SIGINT");
    }
  });

  it("SIGHUP reloads the route table without dropping sessions; a broken file keeps the old table", async () => {
    writeRoutes([ENDPOINT]);
    const { proc, port, ca } = await start();
    try {
      const open = client(port, ca);
      await open.connect();
      const other = client(port, ca, "ep-added-2");
      other.on("error", () => undefined);
      await expect(other.connect()).rejects.toMatchObject({ code: "08004" });

      writeRoutes([ENDPOINT, "ep-added-2"]);
      proc.child.kill("SIGHUP");
      await eventually(async () => {
        const c = client(port, ca, "ep-added-2");
        await c.connect();
        await c.end();
      });
      writeFileSync(routes, "{ this is not json");
      proc.child.kill("SIGHUP");
      await eventually(async () => expect(proc.output()).toMatch(/route table reload failed; keeping the previous table/));
      const again = client(port, ca, "ep-added-2");
      await again.connect();
      await again.end();
      expect((await open.query("select 'kept' as s")).rows[0].s).toBe("kept");
      await open.end();
    } finally {
      await proc.kill("SIGINT");
    }
  });

  it("SIGTERM drains: new connections are refused, the open session finishes its query, then exit 0", async () => {
    writeRoutes([ENDPOINT]);
    const { proc, port, ca } = await start(["--drain-timeout", "20000"]);
    const c = client(port, ca);
    await c.connect();
    const query = c.query("select pg_sleep(1), 'finished' as s");
    await new Promise((r) => setTimeout(r, 100));
    proc.child.kill("SIGTERM");
    await eventually(() => expect(tcpRefused(port)).resolves.toBe(true));
    const r = await query;
    expect(r.rows[0].s).toBe("finished");
    await c.end();
    expect(await proc.exited).toBe(0);
    expect(proc.output()).toMatch(/"msg":"draining"/);
  });

  it("SIGINT exits at once, closing open sessions", async () => {
    writeRoutes([ENDPOINT]);
    const { proc, port, ca } = await start();
    const c = client(port, ca);
    c.on("error", () => undefined);
    await c.connect();
    const ended = new Promise((r) => c.once("end", r));
    expect(await proc.kill("SIGINT")).toBe(0);
    await ended;
  });
});

function tcpRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: "127.0.0.1" });
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", (err: NodeJS.ErrnoException) => resolve(err.code === "ECONNREFUSED"));
  });
}

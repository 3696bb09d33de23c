import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { freePort } from "../../common/free-port.js";
import { packageRoot } from "../../common/paths.js";
import { chownToServerUser, pgBin, serverSpawnIds, startEphemeralPostgres, type EphemeralPostgres } from "../../common/postgres/index.js";
import { ensureLocalCertificates } from "../../proxy/tls/local-ca.js";
import { tracked } from "./children.js";

const run = promisify(execFile);

export const BENCH_ENDPOINT = "ep-bench-1";
export const BENCH_ROLE = "bench";
export const BENCH_PASSWORD = "bench-password";
export const LOCAL_DOMAIN = "local.orochi.localhost";

export interface BenchStack {
  dir: string;
  db: EphemeralPostgres;
  secret: string;
  proxy: { port: number; pid: number; caFile: string; child: ChildProcess };
  pgbouncer: { port: number; pid: number; child: ChildProcess } | null;
  /** conninfo for each target; all TLS to the first hop. */
  targets: Record<"direct" | "proxy" | "pgbouncer", string | null>;
  stop(): Promise<void>;
}

/**
 * One Postgres with TLS, the proxy (a separate process, as in production) and, when installed,
 * PgBouncer in session mode as a reference: the same database reached three ways.
 */
export async function startBenchStack(opts: { maxConnections?: number; proxyArgs?: string[] } = {}): Promise<BenchStack> {
  const dir = mkdtempSync(join(tmpdir(), "orochi-bench-"));
  chmodSync(dir, 0o755);
  const pgTls = await ensureLocalCertificates(join(dir, "pg-tls"), ["bench.invalid"]);
  chownToServerUser(pgTls.keyFile);
  const db = await startEphemeralPostgres({
    settings: { ssl: "on", ssl_cert_file: pgTls.certFile, ssl_key_file: pgTls.keyFile, max_connections: opts.maxConnections ?? 400 },
  });
  const secret = await db.createRole(BENCH_ROLE, BENCH_PASSWORD);
  await run(pgBin("pgbench"), ["-i", "-q", "-s", "1", "-h", db.socketDir, "-p", String(db.port), "-U", "postgres", "postgres"]);
  await db.sql(`GRANT pg_read_all_data, pg_write_all_data TO ${BENCH_ROLE}`);

  const routes = join(dir, "routes.json");
  writeFileSync(routes, JSON.stringify({ endpoints: { [BENCH_ENDPOINT]: { address: `127.0.0.1:${db.port}`, cu: 1, roles: { [BENCH_ROLE]: secret } } } }));
  const proxy = await startProxyProcess(["--routes", routes, "--state-dir", join(dir, "proxy"), "--no-http", ...UNLIMITED_CONNECT_RATE, ...(opts.proxyArgs ?? [])]);
  const pgbouncer = existsSync("/usr/sbin/pgbouncer") ? await startPgBouncer(dir, db.port, secret) : null;

  const common = { user: BENCH_ROLE, password: BENCH_PASSWORD, dbname: "postgres", sslmode: "require" };
  const kv = (o: Record<string, string | number>) => Object.entries(o).map(([k, v]) => `${k}='${v}'`).join(" ");
  return {
    dir,
    db,
    secret,
    proxy,
    pgbouncer,
    targets: {
      direct: kv({ host: "127.0.0.1", port: db.port, ...common }),
      proxy: kv({ host: `${BENCH_ENDPOINT}.${LOCAL_DOMAIN}`, hostaddr: "127.0.0.1", port: proxy.port, ...common }),
      pgbouncer: pgbouncer ? kv({ host: "127.0.0.1", port: pgbouncer.port, ...common, dbname: "bench" }) : null,
    },
    async stop() {
      proxy.child.kill("SIGINT");
      pgbouncer?.child.kill("SIGINT");
      await db.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The proxy as a child process; `command` is the script and its leading arguments (default `orochi proxy`). */
export async function startProxyProcess(
  args: string[],
  command: string[] = [join(packageRoot(), "dist", "bin", "orochi.js"), "proxy"],
): Promise<{ port: number; pid: number; caFile: string; child: ChildProcess }> {
  const child = tracked(spawn(process.execPath, [...command, "--listen", "127.0.0.1:0", ...args], {
    env: { ...process.env, OROCHI_LOG_LEVEL: process.env.OROCHI_LOG_LEVEL ?? "warn" },
    stdio: ["ignore", "pipe", "inherit"],
  }));
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.includes('"event":"ready"'));
      if (line) resolve(JSON.parse(line) as Record<string, unknown>);
    });
    child.once("exit", (code) => reject(new Error(`proxy exited with ${code}: ${out}`)));
  });
  child.stdout!.resume();
  return { port: ready.port as number, pid: child.pid!, caFile: ready.ca_file as string, child };
}

async function startPgBouncer(dir: string, pgPort: number, secret: string) {
  const port = await freePort();
  const tls = await ensureLocalCertificates(join(dir, "pgbouncer-tls"), ["bench.invalid"]);
  chownToServerUser(tls.keyFile);
  const auth = join(dir, "pgbouncer-users.txt");
  writeFileSync(auth, `"${BENCH_ROLE}" "${secret}"\n`, { mode: 0o600 });
  chownToServerUser(auth);
  const ini = join(dir, "pgbouncer.ini");
  writeFileSync(
    ini,
    [
      "[databases]",
      `bench = host=127.0.0.1 port=${pgPort} dbname=postgres`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = scram-sha-256",
      `auth_file = ${auth}`,
      "pool_mode = session",
      "max_client_conn = 2000",
      "default_pool_size = 400",
      "client_tls_sslmode = require",
      `client_tls_cert_file = ${tls.certFile}`,
      `client_tls_key_file = ${tls.keyFile}`,
      `logfile = ${join(dir, "pgbouncer.log")}`,
      "",
    ].join("\n"),
  );
  chownToServerUser(ini);
  writeFileSync(join(dir, "pgbouncer.log"), "");
  chownToServerUser(join(dir, "pgbouncer.log"));
  const child = tracked(spawn("/usr/sbin/pgbouncer", ["--quiet", ini], { ...serverSpawnIds(), stdio: ["ignore", "ignore", "ignore"] }));
  for (let i = 0; i < 200; i++) {
    if (readFileSync(join(dir, "pgbouncer.log"), "utf8").includes("process up")) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return { port, pid: child.pid!, child };
}

/**
 * Benchmarks measure the proxy, not its flood protection: per-endpoint connection-rate limits
 * are lifted (pgbench -C opens connections faster than the default rate allows).
 */
export const UNLIMITED_CONNECT_RATE = ["--connect-rate", "1000000", "--connect-burst", "1000000"];

/** Resident set size of a process in bytes (Linux). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : NaN;
}

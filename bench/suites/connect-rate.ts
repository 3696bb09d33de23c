import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tracked } from "../lib/children.js";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { pino } from "pino";
import { startEphemeralRedis, type EphemeralRedis } from "../../common/ephemeral-redis.js";
import { packageRoot } from "../../common/paths.js";
import { chownToServerUser, ephemeralTemplate, startEphemeralPostgres, type EphemeralPostgres } from "../../common/postgres/index.js";
import { formatScramSecret, scramSecretFor } from "../../common/scram/index.js";
import { startControlPlane, type ControlPlane } from "../../controlplane/index.js";
import { ensureLocalCertificates } from "../../proxy/tls/local-ca.js";
import { startScheduler, type RunningScheduler } from "../../wakeup/index.js";
import { envNumber } from "../lib/env.js";
import { processCpuMs } from "../lib/proc-cpu.js";
import { startProxyProcess } from "../lib/stack.js";
import { median, round } from "../lib/stats.js";
import { printTable } from "../lib/table.js";

const DOMAIN = "local.orochi.localhost";
const DIRECT_ROLE = "bench";
const DIRECT_PASSWORD = "bench-password";
/** Generous: this suite measures set-up cost, not the limiter refusing the benchmark. */
const UNLIMITED_RATE = ["--connect-rate", "1000000", "--connect-burst", "1000000"];

interface Target {
  readonly name: string;
  /** The server process whose CPU is measured, and whether its reaped children count (the postmaster's backends). */
  readonly pid: number;
  readonly children: boolean;
  readonly client: () => pg.ClientConfig;
}

/**
 * Issue 5's benchmark: connection set-up rate (TLS + SCRAM, warm compute; connect, then close)
 * through the proxy with the route cache warm, cold (every connection asks the control plane),
 * with Redis (warm in-memory cache; limits, leases and cancel keys in Redis), and with Redis as
 * the only cache (in-memory TTL 1 ms: every connection reads the shared cache) — against the same
 * set-up directly to Postgres, in one run, rounds interleaved.
 *
 * CPU per connection: the server process's CPU time (/proc/<pid>/stat utime+stime; for the
 * postmaster also its reaped backends) across the round's connections, divided by their number.
 * "Beyond TLS and SCRAM" subtracts the CPU per connection of a floor process measured in the same
 * rounds: bench/lib/handshake-floor.ts runs the proxy's own TLS and SCRAM code on the same
 * certificate and verifier and does nothing else. What is left is the proxy's own work: route
 * lookup, admission, compute connect and SCRAM login to the compute, splice set-up, session
 * bookkeeping, logging, and the Redis calls where Redis is on. The goal is ≤ 1 ms, warm.
 */
export async function connectRateSuite(): Promise<Record<string, unknown>> {
  const perRound = envNumber("BENCH_CONNECTS", 200);
  const rounds = envNumber("BENCH_ROUNDS", 3);
  const concurrency = envNumber("BENCH_CONNECT_CONCURRENCY", 4);
  const dir = mkdtempSync(join(tmpdir(), "orochi-connbench-"));
  chmodSync(dir, 0o755);
  const quiet = pino({ level: "silent" });
  const children: ChildProcess[] = [];
  let db: EphemeralPostgres | null = null;
  let scheduler: RunningScheduler | null = null;
  let cp: ControlPlane | null = null;
  let redis: EphemeralRedis | null = null;
  try {
    process.stderr.write("  starting Postgres, the scheduler, Redis and the control plane\n");
    // One Postgres: the direct target (TLS on) and the control plane's store.
    const pgTls = await ensureLocalCertificates(join(dir, "pg-tls"), ["bench.invalid"]);
    chownToServerUser(pgTls.keyFile);
    db = await startEphemeralPostgres({ settings: { ssl: "on", ssl_cert_file: pgTls.certFile, ssl_key_file: pgTls.keyFile } });
    await db.createRole(DIRECT_ROLE, DIRECT_PASSWORD);
    await db.sql("CREATE DATABASE connbench_cp");
    [scheduler, redis] = await Promise.all([
      startScheduler({ listen: "127.0.0.1:0", stateDir: join(dir, "scheduler"), http: false, templateDir: await ephemeralTemplate(), logger: quiet }),
      startEphemeralRedis(),
    ]);
    cp = await startControlPlane({
      port: 0,
      stateDir: join(dir, "cp"),
      databaseUrl: `postgresql://postgres@/connbench_cp?host=${encodeURIComponent(db.socketDir)}&port=${db.port}`,
      schedulerAddress: scheduler.address,
      pooler: { kind: "none" },
      logger: quiet,
    });
    process.stderr.write("  creating and starting a cluster\n");
    const cluster = await createRunningCluster(cp);
    process.stderr.write("  starting the floor and four proxy processes\n");

    const proxyDir = join(dir, "proxy");
    const tls = await ensureLocalCertificates(join(proxyDir, "tls"), [DOMAIN]);
    const ca = readFileSync(tls.caFile);
    const base = ["--control-plane", cp.url, "--control-plane-token", cp.internalToken, "--scheduler", scheduler.address, "--state-dir", proxyDir, "--no-http", ...UNLIMITED_RATE];
    const variants: Record<string, string[]> = {
      "proxy, route cache warm": base,
      "proxy, route cache cold": [...base, "--route-cache-ttl", "1"],
      "proxy + Redis, cache warm": [...base, "--redis", redis.url],
      "proxy + Redis, shared cache only": [...base, "--redis", redis.url, "--route-cache-ttl", "1"],
    };
    const throughProxy = (port: number) => (): pg.ClientConfig => ({ host: "127.0.0.1", port, user: "app", password: cluster.password, database: "app", ssl: { ca, servername: `${cluster.endpoint}.${DOMAIN}` } });
    const targets: Target[] = [{ name: "direct to Postgres", pid: db.process.pid, children: true, client: () => ({ host: "127.0.0.1", port: db!.port, user: DIRECT_ROLE, password: DIRECT_PASSWORD, database: "postgres", ssl: { ca: readFileSync(pgTls.caFile), servername: "bench.invalid" } }) }];
    const floor = await startFloor(tls, cluster);
    children.push(floor.child);
    targets.push({ name: "floor: TLS + SCRAM only", pid: floor.pid, children: false, client: throughProxy(floor.port) });
    for (const [name, args] of Object.entries(variants)) {
      const p = await startProxyProcess(args);
      children.push(p.child);
      targets.push({ name, pid: p.pid, children: false, client: throughProxy(p.port) });
    }

    // Warm up every path (compute address, route caches, TLS session code, JIT) before measuring.
    for (const t of targets) await connectMany(t, 20, concurrency);
    const samples = new Map<string, { rates: number[]; cpuMs: number; connections: number }>(targets.map((t) => [t.name, { rates: [], cpuMs: 0, connections: 0 }]));
    for (let r = 0; r < rounds; r++) {
      for (const t of r % 2 ? [...targets].reverse() : targets) {
        const cpuBefore = processCpuMs(t.pid, { children: t.children });
        const started = performance.now();
        await connectMany(t, perRound, concurrency);
        const seconds = (performance.now() - started) / 1000;
        const s = samples.get(t.name)!;
        s.cpuMs += processCpuMs(t.pid, { children: t.children }) - cpuBefore;
        s.connections += perRound;
        s.rates.push(perRound / seconds);
        process.stderr.write(`  round ${r + 1}/${rounds} ${t.name}: ${round(perRound / seconds, 0)} connections/s\n`);
      }
    }

    const floorCpu = cpuPerConnection(samples.get(floor.name)!);
    const rows = targets.map((t) => {
      const s = samples.get(t.name)!;
      const cpu = cpuPerConnection(s);
      const proxy = t.name.startsWith("proxy");
      return {
        target: t.name,
        connections_per_second: round(median(s.rates), 0),
        server_cpu_ms_per_connection: round(cpu, 3),
        beyond_tls_scram_ms: proxy ? round(cpu - floorCpu, 3) : null,
      };
    });
    printTable(
      `connection set-up (TLS + SCRAM, connect and close), ${concurrency} at a time, ${rounds} interleaved rounds of ${perRound}`,
      ["target", "conn/s (median)", "server CPU ms/conn", "proxy CPU beyond TLS+SCRAM, ms/conn"],
      rows.map((r) => [r.target, r.connections_per_second, r.server_cpu_ms_per_connection, r.beyond_tls_scram_ms ?? "-"]),
    );
    const warm = rows.find((r) => r.target === "proxy, route cache warm")!;
    process.stdout.write(`warm-cache proxy CPU beyond TLS and SCRAM: ${warm.beyond_tls_scram_ms} ms per connection (goal ≤ 1 ms)\n`);
    return { per_round: perRound, rounds, concurrency, rows };
  } finally {
    for (const c of children) c.kill("SIGINT");
    await cp?.close();
    await scheduler?.close({ suspendComputes: true });
    await redis?.stop();
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function cpuPerConnection(s: { cpuMs: number; connections: number }): number {
  return s.cpuMs / s.connections;
}

/** `count` connections (connect, then close), `concurrency` at a time. */
async function connectMany(t: Target, count: number, concurrency: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const c = new pg.Client(t.client());
      await c.connect();
      await c.end();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** A cluster created and started through the real control plane: the proxy's compute is warm. */
async function createRunningCluster(cp: ControlPlane): Promise<{ endpoint: string; password: string; verifier: string }> {
  const key = readFileSync(cp.adminKeyFile!, "utf8").trim();
  const call = async (path: string, body?: unknown) => {
    const res = await fetch(cp.url + path, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body ?? {}) });
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, unknown>;
  };
  // "small": 100 connections, more than the benchmark ever holds.
  const created = (await call("/v1/clusters", { name: "connbench", size: "small" })) as { id: string; endpoint: string; password: string };
  await call(`/v1/clusters/${created.id}/start`);
  // The floor needs a verifier of the same password with the same cost (4096 iterations).
  return { endpoint: created.endpoint, password: created.password, verifier: formatScramSecret(await scramSecretFor(created.password)) };
}

async function startFloor(tls: { certFile: string; keyFile: string }, cluster: { endpoint: string; verifier: string }) {
  const child = tracked(spawn(process.execPath, [join(packageRoot(), "dist", "bench", "lib", "handshake-floor.js"), tls.certFile, tls.keyFile, DOMAIN, cluster.endpoint, cluster.verifier], {
    stdio: ["ignore", "pipe", "inherit"],
  }));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.includes('"event":"ready"'));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once("exit", (code) => reject(new Error(`handshake floor exited with ${code}: ${out}`)));
  });
  return { child, pid: child.pid!, port, name: "floor: TLS + SCRAM only" };
}

import { readFileSync } from "node:fs";
import pg from "pg";
import { envList, envNumber } from "../lib/env.js";
import { pgbench } from "../lib/pgbench.js";
import { BENCH_ENDPOINT, BENCH_PASSWORD, BENCH_ROLE, LOCAL_DOMAIN, rssBytes, startBenchStack } from "../lib/stack.js";
import { median, round } from "../lib/stats.js";
import { printTable } from "../lib/table.js";

type Target = "direct" | "proxy" | "pgbouncer";

/**
 * Issue 2's benchmark: pgbench select-only (simple and prepared; 1, 8, 32 clients) and -C, each
 * against the same Postgres directly, through the proxy and through PgBouncer (session mode),
 * interleaved round by round so machine noise hits all targets alike; TLS on the first hop
 * everywhere. Plus the proxy's RSS per idle TLS session.
 */
export async function throughputSuite(): Promise<Record<string, unknown>> {
  const seconds = envNumber("BENCH_SECONDS", 5);
  const rounds = envNumber("BENCH_ROUNDS", 3);
  const clientCounts = envList("BENCH_CLIENTS", ["1", "8", "32"]).map(Number);
  const idleClients = envNumber("BENCH_IDLE_CLIENTS", 200);
  // Room for every idle session (proxy, then PgBouncer) plus pgbench's clients.
  const stack = await startBenchStack({ maxConnections: Math.max(400, idleClients + 100) });
  try {
    const targets = (Object.keys(stack.targets) as Target[]).filter((t) => stack.targets[t] !== null);
    const cases = [
      ...(["simple", "prepared"] as const).flatMap((mode) => clientCounts.map((c) => ({ name: `select-only ${mode} c=${c}`, args: ["-S", "-M", mode, "-c", String(c), "-j", String(Math.min(c, 2))] }))),
      { name: "connect per transaction (-C) c=8", args: ["-S", "-C", "-c", "8", "-j", "2"] },
    ];
    const results: Record<string, Record<string, { tps: number[]; latencyMs: number[] }>> = {};
    for (let r = 0; r < rounds; r++) {
      for (const c of cases) {
        for (const t of r % 2 ? [...targets].reverse() : targets) {
          const res = await pgbench(["-n", "-T", String(seconds), ...c.args], stack.targets[t]!);
          const slot = ((results[c.name] ??= {})[t] ??= { tps: [], latencyMs: [] });
          slot.tps.push(res.tps);
          slot.latencyMs.push(res.latencyMs);
          process.stderr.write(`  round ${r + 1}/${rounds} ${c.name} ${t}: ${round(res.tps, 0)} tps\n`);
        }
      }
    }
    const rows = cases.map((c) => {
      const m = (t: Target) => (results[c.name]?.[t] ? median(results[c.name]![t]!.tps) : NaN);
      const l = (t: Target) => (results[c.name]?.[t] ? median(results[c.name]![t]!.latencyMs) : NaN);
      return {
        case: c.name,
        direct_tps: round(m("direct"), 0),
        proxy_tps: round(m("proxy"), 0),
        pgbouncer_tps: round(m("pgbouncer"), 0),
        direct_latency_ms: round(l("direct"), 3),
        proxy_latency_ms: round(l("proxy"), 3),
        proxy_vs_direct: round(m("proxy") / m("direct"), 3),
        pgbouncer_vs_direct: round(m("pgbouncer") / m("direct"), 3),
      };
    });
    printTable(
      `pgbench, TLS to the first hop, median of ${rounds} interleaved ${seconds}s runs`,
      ["case", "direct tps", "proxy tps", "pgbouncer tps", "direct ms", "proxy ms", "proxy/direct", "pgbouncer/direct"],
      rows.map((r) => [r.case, r.direct_tps, r.proxy_tps, r.pgbouncer_tps, r.direct_latency_ms, r.proxy_latency_ms, r.proxy_vs_direct, r.pgbouncer_vs_direct]),
    );

    // RSS per idle TLS session: the slope of RSS between N/4 and N authenticated idle sessions,
    // so fixed costs (heap growth from the first handshakes, pools) do not count per session.
    const ca = readFileSync(stack.proxy.caFile);
    const clients: pg.Client[] = [];
    const rssSlope = async (pid: number, open: () => Promise<pg.Client>): Promise<number> => {
      const first = Math.max(1, Math.floor(idleClients / 4));
      for (let i = 0; i < first; i++) clients.push(await open());
      await new Promise((r) => setTimeout(r, 500));
      const low = rssBytes(pid);
      for (let i = first; i < idleClients; i++) clients.push(await open());
      await new Promise((r) => setTimeout(r, 500));
      return (rssBytes(pid) - low) / (idleClients - first);
    };
    const connected = async (config: pg.ClientConfig) => {
      const c = new pg.Client(config);
      c.on("error", (err) => process.stderr.write(`  idle session error: ${err.message}\n`));
      await c.connect();
      return c;
    };
    const backends = async () =>
      Number((await stack.db.sql<{ n: string }>("select count(*) as n from pg_stat_activity where usename = $1", [BENCH_ROLE]))[0]!.n);
    const backendsBefore = await backends();
    const perClient = await rssSlope(stack.proxy.pid, () =>
      connected({ host: "127.0.0.1", port: stack.proxy.port, user: BENCH_ROLE, password: BENCH_PASSWORD, database: "postgres", ssl: { ca, servername: `${BENCH_ENDPOINT}.${LOCAL_DOMAIN}` } }),
    );
    await Promise.all(clients.splice(0).map((c) => c.end()));
    // Let the compute backends of those sessions exit before PgBouncer opens its own (PgBouncer
    // keeps its idle server connections from the pgbench runs: those stay).
    while ((await backends()) > backendsBefore) await new Promise((r) => setTimeout(r, 50));
    const pgbouncerPerClient = stack.pgbouncer
      ? await rssSlope(stack.pgbouncer.pid, () =>
          connected({ host: "127.0.0.1", port: stack.pgbouncer!.port, user: BENCH_ROLE, password: BENCH_PASSWORD, database: "bench", ssl: { rejectUnauthorized: false } }),
        )
      : NaN;
    await Promise.all(clients.splice(0).map((c) => c.end()));
    printTable(`memory per idle TLS session (${idleClients} sessions)`, ["target", "KB per session"], [
      ["proxy", round(perClient / 1024, 1)],
      ["pgbouncer", round(pgbouncerPerClient / 1024, 1)],
    ]);
    return { seconds, rounds, rows, idle_sessions: idleClients, proxy_rss_per_idle_session_kb: round(perClient / 1024, 1), pgbouncer_rss_per_idle_session_kb: round(pgbouncerPerClient / 1024, 1) };
  } finally {
    await stack.stop();
  }
}

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { createLogger } from "../../common/log.js";
import { startEphemeralPostgres } from "../../common/postgres/index.js";
import { startControlPlane } from "../../controlplane/index.js";
import { envNumber } from "../lib/env.js";
import { conninfo, pgbench } from "../lib/pgbench.js";
import { BENCH_ENDPOINT, BENCH_PASSWORD, BENCH_ROLE, LOCAL_DOMAIN, UNLIMITED_CONNECT_RATE, startBenchStack, startProxyProcess } from "../lib/stack.js";
import { median, round } from "../lib/stats.js";
import { printTable } from "../lib/table.js";
import { meteringCost } from "./metering-cost.js";

type Variant = "off" | "on";
const VARIANTS: readonly Variant[] = ["off", "on"];
const PROXY_EXIT_TIMEOUT_MS = 15_000;

/** Coefficient of variation (stdev / mean) of repeated runs: this machine's run-to-run noise. */
function variation(xs: readonly number[]): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return sd / mean;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve();
    }, PROXY_EXIT_TIMEOUT_MS);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Issue 6's benchmark: proxy throughput with usage accounting off and on, in one run. Two
 * `orochi proxy` processes, one with a usage meter (--usage-url)
 * delivering to a real control plane, serve the same Postgres; pgbench rounds alternate between
 * them, so machine noise hits both alike. Cases: steady sessions (select-only, 8 clients) and a
 * connection per transaction (-C), where each session's start and end go through the meter.
 * The difference is reported next to the run-to-run noise of each variant (coefficient of
 * variation across rounds) and the per-round paired differences. First, the meter's own cost on
 * the event loop, measured without network or machine noise (metering-cost.ts).
 */
export async function meteringSuite(): Promise<Record<string, unknown>> {
  const seconds = envNumber("BENCH_SECONDS", 5);
  const rounds = envNumber("BENCH_METERING_ROUNDS", 5);
  const cost = await meteringCost();
  printTable("meter cost on the proxy's event loop (tinybench, median)", ["measure", "value"], [
    ["session splice + end, accounting off", `${cost.lifecycle_ns_off} ns`],
    ["session splice + end, accounting on", `${cost.lifecycle_ns_on} ns`],
    ["one tick over 10 000 open sessions (every 1 s by default)", `${cost.tick_ms_10k_sessions} ms`],
  ]);
  const stack = await startBenchStack();
  const cpDb = await startEphemeralPostgres();
  try {
    const cpState = join(stack.dir, "controlplane");
    mkdirSync(cpState, { recursive: true });
    const cp = await startControlPlane({
      stateDir: cpState,
      port: 0,
      // A Postgres of its own: its "postgres" database holds the control plane's tables.
      databaseUrl: `postgresql://postgres@/postgres?host=${encodeURIComponent(cpDb.socketDir)}&port=${cpDb.port}`,
      logger: createLogger("controlplane").child({}, { level: "warn" }),
    });
    try {
      const routes = join(stack.dir, "routes.json");
      const proxies = {
        off: await startProxyProcess(["--routes", routes, "--state-dir", join(stack.dir, "proxy-off"), "--no-http", ...UNLIMITED_CONNECT_RATE]),
        on: await startProxyProcess([
          "--routes", routes, "--state-dir", join(stack.dir, "proxy-on"), "--no-http", ...UNLIMITED_CONNECT_RATE,
          "--usage-url", cp.url, "--usage-token", cp.internalToken, "--usage-spool-dir", join(stack.dir, "usage-spool"),
        ]),
      };
      const target = (v: Variant) =>
        conninfo({ host: `${BENCH_ENDPOINT}.${LOCAL_DOMAIN}`, hostaddr: "127.0.0.1", port: proxies[v].port, user: BENCH_ROLE, password: BENCH_PASSWORD, dbname: "postgres", sslmode: "require" });
      const cases = [
        { name: "select-only c=8", args: ["-S", "-M", "simple", "-c", "8", "-j", "2"] },
        { name: "connect per transaction (-C) c=8", args: ["-S", "-C", "-c", "8", "-j", "2"] },
      ];
      const tps: Record<string, Record<Variant, number[]>> = {};
      for (let r = 0; r < rounds; r++) {
        for (const c of cases) {
          for (const v of r % 2 ? [...VARIANTS].reverse() : VARIANTS) {
            const res = await pgbench(["-n", "-T", String(seconds), ...c.args], target(v));
            ((tps[c.name] ??= { off: [], on: [] })[v]).push(res.tps);
            process.stderr.write(`  round ${r + 1}/${rounds} ${c.name} accounting ${v}: ${round(res.tps, 0)} tps\n`);
          }
        }
      }
      // Stop the metered proxy (its meter delivers what is left) and check it did meter.
      for (const p of Object.values(proxies)) p.child.kill("SIGINT");
      await Promise.all(Object.values(proxies).map((p) => exited(p.child)));
      const [metered] = await cpDb.sql<{ active_seconds: string | null; bytes: string | null }>(
        "SELECT sum(bit_count(active_mask::bit(64))) AS active_seconds, sum(bytes_in + bytes_out) AS bytes FROM usage_minutes WHERE endpoint_id = $1",
        [BENCH_ENDPOINT],
      );
      const rows = cases.map((c) => {
        const t = tps[c.name]!;
        const off = median(t.off);
        const on = median(t.on);
        const paired = t.on.map((x, i) => x / t.off[i]! - 1);
        const noise = Math.max(variation(t.off), variation(t.on));
        const diff = on / off - 1;
        return {
          case: c.name,
          off_tps: round(off, 0),
          on_tps: round(on, 0),
          difference_pct: round(diff * 100, 2),
          noise_pct: round(noise * 100, 2),
          paired_min_pct: round(Math.min(...paired) * 100, 2),
          paired_max_pct: round(Math.max(...paired) * 100, 2),
          within_noise: Math.abs(diff) <= noise,
        };
      });
      printTable(
        `proxy throughput, usage accounting off vs on (pgbench, median of ${rounds} interleaved ${seconds}s rounds; noise = run-to-run coefficient of variation)`,
        ["case", "off tps", "on tps", "on/off − 1", "noise", "paired per round", "within noise"],
        rows.map((r) => [r.case, r.off_tps, r.on_tps, `${r.difference_pct}%`, `±${r.noise_pct}%`, `${r.paired_min_pct}% … ${r.paired_max_pct}%`, r.within_noise ? "yes" : "no"]),
      );
      const meteredSeconds = Number(metered?.active_seconds ?? 0);
      process.stdout.write(`metered: ${meteredSeconds} active seconds, ${Number(metered?.bytes ?? 0)} bytes delivered to the control plane\n`);
      return { seconds, rounds, cost, rows, tps, metered_active_seconds: meteredSeconds, metered_bytes: Number(metered?.bytes ?? 0) };
    } finally {
      await cp.close();
    }
  } finally {
    await cpDb.stop();
    await stack.stop();
  }
}

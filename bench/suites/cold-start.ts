import { spawn } from "node:child_process";
import { readFileSync, rmSync, mkdtempSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { pino } from "pino";
import { ephemeralTemplate, pgBin, processAlive, serverSpawnIds } from "../../common/postgres/index.js";
import { formatScramSecret, scramSecretFor } from "../../common/scram/index.js";
import { startProxy } from "../../proxy/index.js";
import { createSchedulerClient, startScheduler } from "../../wakeup/index.js";
import { tracked } from "../lib/children.js";
import { envNumber } from "../lib/env.js";
import { median, percentile, round } from "../lib/stats.js";
import { printTable } from "../lib/table.js";

const ENDPOINT = "ep-coldbench-1";
const ROLE = "bench";
const PASSWORD = "bench-password";

/**
 * Issue 3's benchmark: suspended → first query result through the proxy (node-postgres, TLS,
 * SCRAM, wake) against the floor measured in the same run: `postgres` started directly on the
 * same data directory with the same command line, polled with a query every 5 ms until it
 * answers. Plus warm connection set-up through the proxy with and without the scheduler in the path.
 */
export async function coldStartSuite(): Promise<Record<string, unknown>> {
  const wakes = envNumber("BENCH_WAKES", 12);
  const warmConnects = envNumber("BENCH_WARM_CONNECTS", 60);
  const dir = mkdtempSync(join(tmpdir(), "orochi-coldbench-"));
  chmodSync(dir, 0o755);
  const quiet = pino({ level: "silent" });
  const scheduler = await startScheduler({ listen: "127.0.0.1:0", stateDir: join(dir, "scheduler"), http: false, templateDir: await ephemeralTemplate(), logger: quiet, defaultAutoSuspendSeconds: 0 });
  const client = createSchedulerClient({ address: scheduler.address });
  const secret = formatScramSecret(await scramSecretFor(PASSWORD));
  const computeDir = join(dir, "scheduler", "computes", ENDPOINT, "data");
  let proxy: Awaited<ReturnType<typeof startProxy>> | null = null;
  try {
    await client.provision({ endpointId: ENDPOINT, cu: 1, database: "app", role: ROLE, scramSecret: secret, autoSuspendSeconds: 0 });
    const compute = (await client.describe(ENDPOINT))[0]!;
    const { writeFileSync } = await import("node:fs");
    const routes = join(dir, "routes.json");
    writeFileSync(routes, JSON.stringify({ endpoints: {
      [ENDPOINT]: { managed: true, cu: 1, roles: { [ROLE]: secret } },
      "ep-static-1": { address: `127.0.0.1:${compute.port}`, cu: 1, roles: { [ROLE]: secret } },
    } }));
    proxy = await startProxy({ routesFile: routes, stateDir: join(dir, "proxy"), log: quiet, scheduler: { address: scheduler.address }, config: { port: 0, httpPort: null } });
    const ca = readFileSync(proxy.caFile!);
    const viaProxy = (endpoint: string) => new pg.Client({ host: "127.0.0.1", port: proxy!.port, user: ROLE, password: PASSWORD, database: "app", ssl: { ca, servername: `${endpoint}.local.orochi.localhost` } });

    const proxyCold: number[] = [];
    const floor: number[] = [];
    for (let i = 0; i < wakes; i++) {
      // Proxy: suspended → first result.
      await client.suspend(ENDPOINT);
      let t0 = performance.now();
      const c = viaProxy(ENDPOINT);
      await c.connect();
      await c.query("select 1");
      proxyCold.push(performance.now() - t0);
      await c.end();
      // Floor: the same compute started by hand with the command line the scheduler used.
      await client.suspend(ENDPOINT);
      const opts = readFileSync(join(computeDir, "..", "data", "postmaster.opts"), "utf8");
      const args = parseOpts(opts);
      t0 = performance.now();
      const pgProc = tracked(spawn(pgBin("postgres"), args, { ...serverSpawnIds(), stdio: "ignore" }));
      for (;;) {
        const probe = new pg.Client({ host: "127.0.0.1", port: compute.port, user: ROLE, password: PASSWORD, database: "app" });
        probe.on("error", () => undefined);
        try {
          await probe.connect();
          await probe.query("select 1");
          await probe.end();
          break;
        } catch {
          await probe.end().catch(() => undefined);
          await new Promise((r) => setTimeout(r, 5));
        }
      }
      floor.push(performance.now() - t0);
      pgProc.kill("SIGINT");
      while (processAlive(pgProc.pid!)) await new Promise((r) => setTimeout(r, 5));
      process.stderr.write(`  wake ${i + 1}/${wakes}: proxy ${round(proxyCold.at(-1)!, 1)} ms, floor ${round(floor.at(-1)!, 1)} ms\n`);
    }

    // Warm set-up: compute running; managed route (scheduler in the path) vs static route.
    await (async () => {
      const c = viaProxy(ENDPOINT);
      await c.connect();
      await c.end();
    })();
    const warm: Record<string, number[]> = { managed: [], static: [] };
    for (let i = 0; i < warmConnects; i++) {
      for (const [name, endpoint] of i % 2 ? [["static", "ep-static-1"], ["managed", ENDPOINT]] : [["managed", ENDPOINT], ["static", "ep-static-1"]]) {
        const t0 = performance.now();
        const c = viaProxy(endpoint!);
        await c.connect();
        await c.query("select 1");
        warm[name!]!.push(performance.now() - t0);
        await c.end();
      }
    }
    const rows = [
      ["cold: suspended → first result via proxy", round(median(proxyCold), 1), round(percentile(proxyCold, 95), 1)],
      ["floor: postgres started directly, polled every 5 ms", round(median(floor), 1), round(percentile(floor, 95), 1)],
      ["warm connect+query, managed (scheduler in path)", round(median(warm.managed!), 2), round(percentile(warm.managed!, 95), 2)],
      ["warm connect+query, static route", round(median(warm.static!), 2), round(percentile(warm.static!, 95), 2)],
    ];
    printTable(`cold start (${wakes} wakes) and warm set-up (${warmConnects} each), ms`, ["case", "p50", "p95"], rows);
    const ratio = median(proxyCold) / median(floor);
    process.stdout.write(`cold start / floor (p50): ${round(ratio, 2)}   warm managed / static (p50): ${round(median(warm.managed!) / median(warm.static!), 2)}\n`);
    return {
      wakes,
      proxy_cold_ms: { p50: round(median(proxyCold), 1), p95: round(percentile(proxyCold, 95), 1) },
      floor_ms: { p50: round(median(floor), 1), p95: round(percentile(floor, 95), 1) },
      cold_vs_floor_p50: round(ratio, 2),
      warm_managed_ms: { p50: round(median(warm.managed!), 2), p95: round(percentile(warm.managed!, 95), 2) },
      warm_static_ms: { p50: round(median(warm.static!), 2), p95: round(percentile(warm.static!, 95), 2) },
    };
  } finally {
    await proxy?.close();
    client.close();
    await scheduler.close({ suspendComputes: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** postmaster.opts: the binary then each argument in double quotes. */
function parseOpts(text: string): string[] {
  return [...text.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
}

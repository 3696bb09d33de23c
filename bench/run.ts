import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../common/paths.js";
import { envList } from "./lib/env.js";
import { coldStartSuite } from "./suites/cold-start.js";
import { connectRateSuite } from "./suites/connect-rate.js";
import { meteringSuite } from "./suites/metering.js";
import { throughputSuite } from "./suites/throughput.js";

/**
 * `npm run bench`: every suite, in one run, printing side-by-side figures and saving them as
 * JSON in bench/results/. Knobs: BENCH_SUITES (comma list), BENCH_SECONDS, BENCH_ROUNDS,
 * BENCH_CLIENTS, BENCH_IDLE_CLIENTS, BENCH_CONNECTS, BENCH_CONNECT_CONCURRENCY (see bench/README.md).
 */
const SUITES: Record<string, () => Promise<Record<string, unknown>>> = {
  throughput: throughputSuite,
  "cold-start": coldStartSuite,
  "connect-rate": connectRateSuite,
  metering: meteringSuite,
};

const selected = envList("BENCH_SUITES", Object.keys(SUITES));
const results: Record<string, unknown> = { started_at: new Date().toISOString(), node: process.version };
for (const name of selected) {
  const suite = SUITES[name];
  if (!suite) throw new Error(`unknown suite ${name}; known: ${Object.keys(SUITES).join(", ")}`);
  process.stderr.write(`\n== ${name}\n`);
  results[name] = await suite();
}
const dir = join(packageRoot(), "bench", "results");
mkdirSync(dir, { recursive: true });
const file = join(dir, `bench-${Date.now()}.json`);
writeFileSync(file, JSON.stringify(results, null, 2));
writeFileSync(join(dir, "latest.json"), JSON.stringify(results, null, 2));
process.stdout.write(`\nresults saved to ${file}\n`);

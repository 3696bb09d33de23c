import "../controlplane/quiet-logs.js";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { packageRoot } from "../../common/paths.js";
import { startProxy, type RunningProxy } from "../../proxy/index.js";
import type { UsageMeter } from "../../proxy/metering/index.js";
import { startScheduler, type RunningScheduler } from "../../wakeup/index.js";
import { silentLogger, startTestControlPlane, startTestStore, type TestControlPlane, type TestStore } from "../controlplane/harness.js";
import { eventually } from "../harness/eventually.js";
import { templateDir } from "../harness/postgres.js";
import { freePort } from "../harness/ports.js";
import { tempDir } from "../harness/tempdir.js";
import { FAST_LIMITS } from "../metering/metering-harness.js";
import { startPrometheus, type RunningPrometheus } from "./prometheus-process.js";
import { metricNamesIn, sampleNames } from "./promql-names.js";

const run = promisify(execFile);
const OPS = join(packageRoot(), "ops");
const RULES = join(OPS, "prometheus", "rules.yml");
const DASHBOARD = join(OPS, "grafana", "orochi-dataplane.json");
const PROMTOOL = process.env.PROMTOOL_BIN ?? "/usr/bin/promtool";

/** DESIGN.md "Metrics" (contract), with the component that serves each. */
const CONTRACT_METRICS: Array<[series: string, job: string]> = [
  ["orochi_cluster_connection_count", "orochi-proxy"],
  ["orochi_cold_start_duration_seconds_count", "orochi-scheduler"],
  ["orochi_cold_start_duration_seconds_count", "orochi-proxy"],
  ["orochi_compute_units_consumed", "orochi-proxy"],
  ["orochi_data_transfer_bytes", "orochi-proxy"],
  ["orochi_proxy_connections_total", "orochi-proxy"],
  ["orochi_proxy_handshake_duration_seconds_count", "orochi-proxy"],
  ["orochi_wake_requests_total", "orochi-proxy"],
  ["orochi_route_cache_requests_total", "orochi-proxy"],
];
const JOBS = ["orochi-proxy", "orochi-scheduler", "orochi-controlplane"];
const PROCESS_METRICS = ["process_cpu_seconds_total", "process_resident_memory_bytes", "process_start_time_seconds", "nodejs_heap_size_used_bytes"];

/**
 * The three components as `orochi up` runs them (scheduler with its local backend, control
 * plane, proxy reading routes from the control plane and waking computes), a usage meter on the
 * proxy, and a real Prometheus scraping all three every second with ops/prometheus/rules.yml.
 */
describe("observability: a real Prometheus scrapes the proxy, the scheduler and the control plane", () => {
  const state = tempDir("orochi-observability-");
  let store: TestStore;
  let scheduler: RunningScheduler;
  let cp: TestControlPlane;
  let proxy: RunningProxy;
  let meter: UsageMeter;
  let prometheus: RunningPrometheus;
  const targets: Record<string, string> = {};

  beforeAll(async () => {
    store = await startTestStore();
    const computePorts = 21_000 + Math.floor(Math.random() * 300) * 100;
    scheduler = await startScheduler({
      listen: "127.0.0.1:0",
      stateDir: join(state.path, "scheduler"),
      http: { host: "127.0.0.1", port: 0 },
      templateDir: await templateDir(),
      computePortRange: { min: computePorts, max: computePorts + 99 },
      computeSettings: { fsync: "off", synchronous_commit: "off", full_page_writes: "off" },
      logger: silentLogger,
    });
    const proxyPort = await freePort();
    cp = await startTestControlPlane(store, { stateDir: state.path, schedulerAddress: scheduler.address, proxyPort });
    proxy = await startProxy({
      stateDir: state.path,
      controlPlane: { url: cp.cp.url, token: cp.cp.internalToken },
      usage: { url: cp.cp.url, token: cp.cp.internalToken, spoolDir: join(state.path, "usage-spool"), limits: FAST_LIMITS },
      scheduler: { address: scheduler.address },
      config: { port: proxyPort, httpPort: 0 },
      log: silentLogger,
    });
    meter = proxy.meter!;
    cp.cp.events.on("endpoint-changed", (e: { endpoint_id: string }) => proxy.router.invalidateEndpoint(e.endpoint_id));
    targets["orochi-proxy"] = `127.0.0.1:${proxy.httpPort}`;
    targets["orochi-scheduler"] = `127.0.0.1:${scheduler.httpPort}`;
    targets["orochi-controlplane"] = `127.0.0.1:${cp.cp.port}`;
    prometheus = await startPrometheus({ jobs: Object.fromEntries(Object.entries(targets).map(([job, t]) => [job, [t]])), ruleFiles: [RULES] });
  });
  afterAll(async () => {
    await prometheus?.stop();
    await proxy?.close();
    await cp?.close();
    await scheduler?.close({ suspendComputes: true });
    await store?.stop();
    state.remove();
  });

  /** One number from Prometheus (the sum of the vector; NaN when it is empty). */
  const value = async (expr: string): Promise<number> => {
    const samples = await prometheus.query(expr);
    return samples.length === 0 ? NaN : samples.reduce((n, s) => n + Number(s.value[1]), 0);
  };

  it("finds the contract metrics with values that match what happened", async () => {
    const created = await cp.api.post("/v1/clusters", { name: "observed", size: "dev" });
    expect(created.status).toBe(201);
    const { connection_string: url, endpoint } = created.body as { connection_string: string; endpoint: string };

    // A cold start, held open until Prometheus has seen the session.
    const first = new pg.Client({ connectionString: url });
    await first.connect();
    await first.query("SELECT repeat('m', 10000)");
    await eventually(async () => expect(await value("orochi_cluster_connection_count")).toBe(1), 20_000);
    await first.end();
    // A warm session, and a wrong password.
    const second = new pg.Client({ connectionString: url });
    await second.connect();
    await second.query("SELECT 1");
    await second.end();
    const wrong = new pg.Client({ connectionString: url.replace(/:\/\/([^:]+):[^@]+@/, "://$1:not-the-password@") });
    await expect(wrong.connect()).rejects.toThrow(/password authentication failed/);
    await eventually(async () => expect(proxy.server.sessions.size).toBe(0));
    await meter.flush();

    // Wait for a scrape after all of it.
    await eventually(async () => {
      expect(await value('orochi_proxy_connections_total{outcome="success"}')).toBe(2);
      expect(await value('orochi_proxy_connections_total{outcome="auth"}')).toBe(1);
      expect(await value('orochi_controlplane_usage_records_total{result="accepted"}')).toBeGreaterThan(0);
      expect(await value("orochi_cluster_connection_count")).toBe(0);
    }, 20_000);

    for (const job of JOBS) {
      expect(await value(`up{job="${job}"}`), job).toBe(1);
      for (const name of PROCESS_METRICS) expect(await value(`count(${name}{job="${job}"})`), `${name} of ${job}`).toBe(1);
    }
    for (const [series, job] of CONTRACT_METRICS) expect(await value(`count(${series}{job="${job}"})`), `${series} of ${job}`).toBeGreaterThan(0);

    // Handshakes: one observation per spliced session.
    expect(await value("orochi_proxy_handshake_duration_seconds_count")).toBe(2);
    expect(await value("orochi_proxy_handshake_duration_seconds_sum")).toBeGreaterThan(0);
    // Exactly one cold start, seen by the scheduler and by the proxy that waited for it; no failed wake.
    expect(await value('orochi_cold_start_duration_seconds_count{job="orochi-scheduler"}')).toBe(1);
    expect(await value('orochi_cold_start_duration_seconds_count{job="orochi-proxy"}')).toBe(1);
    expect(await value('orochi_cold_start_duration_seconds_sum{job="orochi-proxy"}')).toBeGreaterThan(0);
    expect(await value('orochi_wake_requests_total{result="cold_start"}')).toBe(1);
    expect(await value('sum(orochi_wake_requests_total{result!~"warm|cold_start"})')).toBe(0);
    expect(await value('orochi_scheduler_cold_starts_total')).toBe(1);
    // Every connect looked its route up (cache misses and hits).
    expect(await value("sum(orochi_route_cache_requests_total)")).toBeGreaterThanOrEqual(3);
    expect(await value('orochi_route_cache_requests_total{result="miss"}')).toBeGreaterThanOrEqual(1);

    // Usage: the proxy's CU-seconds and bytes are what the control plane bills (one proxy, so no merge).
    const usage = await cp.api.get("/v1/clusters/observed/usage");
    expect(usage.status).toBe(200);
    const billed = usage.body as { cu_seconds: number; active_seconds: number; bytes_in: number; bytes_out: number };
    expect(billed.active_seconds).toBeGreaterThanOrEqual(2);
    expect(billed.cu_seconds).toBe(billed.active_seconds * 0.25);
    expect(await value("sum(orochi_compute_units_consumed)")).toBe(billed.cu_seconds);
    expect(await value(`orochi_compute_units_consumed{endpoint="${endpoint}"}`)).toBe(billed.cu_seconds);
    expect(await value('orochi_data_transfer_bytes{direction="in"}')).toBe(billed.bytes_in);
    expect(await value('orochi_data_transfer_bytes{direction="out"}')).toBe(billed.bytes_out);
    expect(billed.bytes_out).toBeGreaterThan(10_000);
    // The control plane: one cluster, requests counted by route template (never by id).
    expect(await value("sum(orochi_controlplane_clusters)")).toBe(1);
    expect(await value('orochi_controlplane_http_requests_total{method="POST", route="/v1/clusters", status="201"}')).toBe(1);
    expect(await value('sum(orochi_controlplane_http_requests_total{method="POST", route="/internal/v1/usage", status="200"})')).toBeGreaterThanOrEqual(1);
    expect(await value(`count(orochi_controlplane_http_requests_total{route=~".*${endpoint}.*|.*observed.*"})`)).toBeNaN();
  });

  it("loads ops/prometheus/rules.yml and evaluates every rule without error; nothing is down", async () => {
    await eventually(async () => {
      const { groups } = await prometheus.api<{ groups: Array<{ name: string; rules: Array<{ name: string; health: string; lastError?: string }> }> }>("rules");
      expect(groups.map((g) => g.name).sort()).toEqual(["orochi-availability", "orochi-controlplane", "orochi-proxy", "orochi-usage"]);
      for (const rule of groups.flatMap((g) => g.rules)) expect({ rule: rule.name, health: rule.health, error: rule.lastError ?? "" }).toEqual({ rule: rule.name, health: "ok", error: "" });
    }, 20_000);
    const { alerts } = await prometheus.api<{ alerts: Array<{ labels: Record<string, string> }> }>("alerts");
    expect(alerts.filter((a) => a.labels.alertname === "OrochiComponentDown")).toEqual([]);
  });

  it("passes promtool: rules check, rule unit tests, config check", async () => {
    const check = await run(PROMTOOL, ["check", "rules", RULES]);
    expect(check.stdout).toMatch(/SUCCESS: \d+ rules found/);
    const tests = await run(PROMTOOL, ["test", "rules", "rules.test.yml"], { cwd: join(OPS, "prometheus") });
    expect(tests.stdout).toContain("SUCCESS");
    const config = await run(PROMTOOL, ["check", "config", join(OPS, "prometheus", "prometheus.yml")]);
    expect(config.stdout).toContain("is valid prometheus config file syntax");
  });

  it("serves every metric the dashboard and the rules query from some component's /metrics", async () => {
    const served = new Set<string>();
    for (const target of Object.values(targets)) {
      const res = await fetch(`http://${target}/metrics`);
      expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
      for (const name of sampleNames(await res.text())) served.add(name);
    }
    // `up` is made by Prometheus for each target, not served by one.
    const fromPrometheus = new Set(["up"]);

    const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as { panels: Array<{ title: string; type: string; targets?: Array<{ expr: string }> }> };
    const queried = new Map<string, string>();
    for (const panel of dashboard.panels) for (const t of panel.targets ?? []) for (const name of metricNamesIn(t.expr)) queried.set(name, panel.title);
    const titles = dashboard.panels.map((p) => p.title.toLowerCase()).join(" | ");
    for (const topic of ["connections", "cold start", "cu consumed", "data transfer", "wake failures", "handshake latency"]) expect(titles).toContain(topic);

    const rules = parse(readFileSync(RULES, "utf8")) as { groups: Array<{ rules: Array<{ record?: string; alert?: string; expr: string }> }> };
    const recorded = new Set(rules.groups.flatMap((g) => g.rules.map((r) => r.record)).filter((r): r is string => r !== undefined));
    for (const rule of rules.groups.flatMap((g) => g.rules)) {
      for (const name of metricNamesIn(rule.expr)) if (!recorded.has(name)) queried.set(name, `rule ${rule.alert ?? rule.record}`);
    }

    expect(queried.size).toBeGreaterThan(15);
    const missing = [...queried].filter(([name]) => !served.has(name) && !fromPrometheus.has(name));
    expect(missing).toEqual([]);
    for (const name of fromPrometheus) expect(await value(`count(${name})`)).toBe(JOBS.length);
  });
});

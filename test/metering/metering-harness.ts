import { readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import type { Registry } from "prom-client";
import type { Logger } from "../../common/log.js";
import type { ProxyConfigInput } from "../../proxy/index.js";
import { startUsageMeter, type UsageMeter, type UsageMeterOptions } from "../../proxy/metering/index.js";
import type { LiveSession } from "../../proxy/session/session-registry.js";
import { silentLogger, startTestControlPlane, startTestStore, type TestControlPlane, type TestStore } from "../controlplane/harness.js";
import { startTestProxy, type TestProxy } from "../harness/proxy.js";
import { tempDir } from "../harness/tempdir.js";

export const ROLE = "app";
export const PASSWORD = "metering-pw";

/** A session's own open and close instants, as the proxy saw them. */
export interface SessionSpan {
  id: string;
  startedAt: number;
  /** Read by an observer registered before the meter's and by one after it: the meter's own end lies between. */
  endedLo?: number;
  endedHi?: number;
}

/**
 * One Postgres serving as both the control plane's store and the "compute" the proxies splice
 * to, a control plane (local mode, no scheduler) whose clusters' endpoints proxies route to
 * that Postgres, each proxy with a usage meter.
 */
export interface MeteredCluster {
  id: string;
  endpointId: string;
}

export interface MeteringStack {
  store: TestStore;
  cp: TestControlPlane;
  /** SCRAM verifier of ROLE, for route files. */
  roleSecret: string;
  /** The control plane's URL and internal token: the same across restarts (same port and state dir). */
  url: string;
  internalToken: string;
  /** Register a cluster (its endpoint id is what proxies meter). */
  addCluster(name: string): Promise<MeteredCluster>;
  /** Usage as the API reports it (minute buckets over [from, to)). */
  usage(cluster: MeteredCluster, from: Date, to: Date): Promise<UsageAnswer>;
  restartControlPlane(): Promise<void>;
  stopControlPlane(): Promise<void>;
  dispose(): Promise<void>;
}

export interface UsageAnswer {
  cu_seconds: number;
  active_seconds: number;
  bytes_in: number;
  bytes_out: number;
  buckets: Array<{ start: string; cu_seconds: number; active_seconds: number; bytes_in: number; bytes_out: number }>;
}

export async function startMeteringStack(): Promise<MeteringStack> {
  const store = await startTestStore();
  const state = tempDir("orochi-metering-cp-");
  const databaseUrl = await store.newDatabaseUrl();
  let cp: TestControlPlane | null = await startTestControlPlane(store, { databaseUrl, stateDir: state.path });
  const port = cp.cp.port;
  const roleSecret = await store.pg.createRole(ROLE, PASSWORD);
  const api = () => {
    if (!cp) throw new Error("the control plane is stopped");
    return cp.api;
  };
  return {
    store,
    get cp() {
      return cp!;
    },
    roleSecret,
    url: cp.cp.url,
    internalToken: cp.cp.internalToken,
    async addCluster(name) {
      // Without a scheduler the create answers 503, but the cluster row (and its endpoint id) is recorded.
      const created = await api().post("/v1/clusters", { name, size: "small" });
      if (created.status !== 503 && created.status !== 201) throw new Error(`cluster create answered ${created.status}`);
      const shown = await api().get(`/v1/clusters/${name}`);
      if (shown.status !== 200) throw new Error(`cluster ${name} not found after create: ${shown.status}`);
      return { id: shown.body.id as string, endpointId: shown.body.endpoint as string };
    },
    async usage(cluster, from, to) {
      const res = await api().get(`/v1/clusters/${cluster.id}/usage?granularity=minute&from=${from.toISOString()}&to=${to.toISOString()}`);
      if (res.status !== 200) throw new Error(`usage answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body as UsageAnswer;
    },
    async stopControlPlane() {
      await cp?.cp.close();
      cp = null;
    },
    async restartControlPlane() {
      await cp?.cp.close();
      cp = await startTestControlPlane(store, { databaseUrl, stateDir: state.path, port });
    },
    async dispose() {
      await cp?.cp.close();
      state.remove();
      await store.stop();
    },
  };
}

/** Minimal limits for tests: quick ticks and sends, small batches so several are sent. */
export const FAST_LIMITS: UsageMeterOptions["limits"] = {
  tickIntervalMs: 100,
  recordIntervalMs: 300,
  sendIntervalMs: 200,
  batchMaxRecords: 5,
  retryBaseDelayMs: 20,
  retryMaxDelayMs: 200,
  sendAttempts: 2,
  connectTimeoutMs: 1_000,
  requestTimeoutMs: 5_000,
  closeDeliveryTimeoutMs: 2_000,
};

export interface MeteredProxy {
  proxy: TestProxy;
  meter: UsageMeter;
  spoolDir: string;
  spans: SessionSpan[];
  /** A node-postgres client through this proxy to the stack's endpoint. */
  connect(): Promise<pg.Client>;
  /** Restart the meter alone (same spool). */
  restartMeter(): Promise<void>;
  /** Close the proxy (every session ends), then the meter. */
  stop(): Promise<void>;
}

export async function startMeteredProxy(
  stack: MeteringStack,
  cluster: MeteredCluster,
  opts: { spoolDir?: string; endpointUrl?: string; limits?: UsageMeterOptions["limits"]; config?: Partial<ProxyConfigInput>; cu?: number; log?: Logger } = {},
): Promise<MeteredProxy> {
  const proxy = await startTestProxy({ [cluster.endpointId]: { address: `127.0.0.1:${stack.store.pg.port}`, cu: opts.cu ?? 1, roles: { [ROLE]: stack.roleSecret } } }, opts.config);
  const spoolDir = opts.spoolDir ?? join(proxy.stateDir, "usage-spool");
  const spans: SessionSpan[] = [];
  const byId = new Map<string, SessionSpan>();
  // Observers run in registration order: this one before the meter's, the next one after it.
  proxy.server.sessions.observe({
    added: (s: LiveSession) => {
      const span = { id: s.id, startedAt: s.startedAt };
      spans.push(span);
      byId.set(s.id, span);
    },
    removed: (s: LiveSession) => void (byId.get(s.id)!.endedLo = Date.now()),
  });
  const startMeter = () =>
    startUsageMeter({
      sessions: proxy.server.sessions,
      proxyId: proxy.config.proxyId,
      spoolDir,
      endpointUrl: opts.endpointUrl ?? stack.url,
      token: stack.internalToken,
      log: opts.log ?? silentLogger,
      registry: proxy.server.metrics.registry,
      limits: { ...FAST_LIMITS, ...opts.limits },
    });
  let meter = await startMeter();
  proxy.server.sessions.observe({ removed: (s: LiveSession) => void (byId.get(s.id)!.endedHi = Date.now()) });
  const ca = readFileSync(proxy.caFile);
  return {
    proxy,
    get meter() {
      return meter;
    },
    spoolDir,
    spans,
    async connect() {
      const c = new pg.Client({ host: "127.0.0.1", port: proxy.port, user: ROLE, password: PASSWORD, database: "postgres", ssl: { ca, servername: proxy.host(cluster.endpointId) } });
      c.on("error", () => undefined);
      await c.connect();
      return c;
    },
    async restartMeter() {
      await meter.close();
      meter = await startMeter();
    },
    async stop() {
      await proxy.close();
      await meter.close();
      await proxy.stop();
    },
  };
}

/** Seconds (epoch) a set of spans overlaps, by the same rule as the meter: [start, end] touches a second. */
export function unionSeconds(spans: ReadonlyArray<{ startedAt: number; end: number }>): Set<number> {
  const seconds = new Set<number>();
  for (const s of spans) {
    const first = Math.floor(s.startedAt / 1000);
    const last = Math.max(first, Math.ceil(s.end / 1000) - 1);
    for (let sec = first; sec <= last; sec++) seconds.add(sec);
  }
  return seconds;
}


/** Sum of a metric's samples in a registry whose labels include `labels`. */
export async function metricSum(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values.filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want)).reduce((n, v) => n + v.value, 0);
}

/** Spans with the end the meter may have seen at the earliest (lo) or latest (hi). */
export function spansWithEnd(spans: readonly SessionSpan[], which: "lo" | "hi"): Array<{ startedAt: number; end: number }> {
  return spans.map((s) => {
    const end = which === "lo" ? s.endedLo : s.endedHi;
    if (end === undefined) throw new Error(`session ${s.id} has not ended`);
    return { startedAt: s.startedAt, end };
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

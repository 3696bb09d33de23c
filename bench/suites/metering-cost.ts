import { mkdtempSync, rmSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { Registry } from "prom-client";
import { Bench } from "tinybench";
import { startUsageMeter } from "../../proxy/metering/index.js";
import { SessionUsageTracker } from "../../proxy/metering/session-usage-tracker.js";
import { UsageAccumulator } from "../../proxy/metering/usage-accumulator.js";
import { SessionRegistry, type LiveSession } from "../../proxy/session/session-registry.js";
import { round } from "../lib/stats.js";

const OPEN_SESSIONS = 10_000;
const ENDPOINTS = 1_000;

function session(i: number, now: number): LiveSession {
  return {
    id: `s${i}`,
    endpointId: `ep-bench-${i % ENDPOINTS}`,
    role: "app",
    pooled: false,
    startedAt: now - 500,
    cu: 1,
    compute: { bytesWritten: 1_000 + i, bytesRead: 5_000 + i } as unknown as Socket,
    countedIn: 0,
    countedOut: 0,
    loginBytesRead: 100,
    loginBytesWritten: 100,
    close: () => undefined,
  };
}

/**
 * What the meter costs the proxy's event loop, free of network and machine noise: a session's
 * splice and end through the SessionRegistry with and without a meter observing it, and one tick
 * (marking seconds) over 10 000 open sessions of 1 000 endpoints.
 */
export async function meteringCost(): Promise<{ lifecycle_ns_off: number; lifecycle_ns_on: number; tick_ms_10k_sessions: number }> {
  const dir = mkdtempSync(join(tmpdir(), "orochi-bench-meter-"));
  const plain = new SessionRegistry();
  const metered = new SessionRegistry();
  const meter = await startUsageMeter({
    sessions: metered,
    proxyId: "bench",
    spoolDir: dir,
    endpointUrl: "http://127.0.0.1:9",
    token: "bench",
    log: pino({ level: "silent" }),
    registry: new Registry(),
    // Only the observer path is measured: no record interval or delivery during the run.
    limits: { tickIntervalMs: 10_000, recordIntervalMs: 60_000, sendIntervalMs: 300_000, sendAttempts: 1, closeDeliveryTimeoutMs: 0 },
  });
  try {
    let n = 0;
    const bench = new Bench({ time: 1_000 });
    bench.add("session lifecycle, accounting off", () => {
      const s = session(n++, Date.now());
      plain.add(s);
      plain.remove(s);
    });
    bench.add("session lifecycle, accounting on", () => {
      const s = session(n++, Date.now());
      metered.add(s);
      metered.remove(s);
    });
    const open = new SessionRegistry();
    const now = Date.now();
    for (let i = 0; i < OPEN_SESSIONS; i++) open.add(session(i, now));
    const tracker = new SessionUsageTracker(open, new UsageAccumulator(), { onCuSeconds: () => undefined });
    tracker.attach();
    bench.add(`tick over ${OPEN_SESSIONS} open sessions`, () => tracker.tick());
    await bench.run();
    const latencyMs = (name: string) => {
      const result = bench.tasks.find((t) => t.name === name)!.result;
      if (!result || !("latency" in result)) throw new Error(`${name}: no result`);
      return result.latency.p50!;
    };
    return {
      lifecycle_ns_off: round(latencyMs("session lifecycle, accounting off") * 1e6, 0),
      lifecycle_ns_on: round(latencyMs("session lifecycle, accounting on") * 1e6, 0),
      tick_ms_10k_sessions: round(latencyMs(`tick over ${OPEN_SESSIONS} open sessions`), 3),
    };
  } finally {
    await meter.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

import { EndpointLabels } from "./endpoint-labels.js";
import { MeterMetrics } from "./meter-metrics.js";
import { parseEndpointUrl, resolveLimits, type UsageMeterOptions } from "./options.js";
import { SessionUsageTracker } from "./session-usage-tracker.js";
import { SpoolFullError, UsageSpool } from "./spool.js";
import { UsageAccumulator } from "./usage-accumulator.js";
import { UsageDelivery, type DeliveryOutcome } from "./usage-delivery.js";
import { recordOf, type UsageEntry } from "./usage-record.js";
import { UsageSender } from "./usage-sender.js";

export interface UsageMeter {
  /** Account open sessions up to now, spool what accumulated, and run one delivery pass. */
  flush(): Promise<DeliveryOutcome>;
  /**
   * Account and spool everything, try one last delivery (bounded by closeDeliveryTimeoutMs),
   * then close the spool and the connection pool. Close the proxy first, so every session's
   * end is counted.
   */
  close(): Promise<void>;
}

/**
 * Usage accounting for one proxy (DESIGN.md "Usage"): observes the proxy's sessions, keeps
 * per (endpoint, UTC minute, CU) second masks and bytes, writes them as records to a local
 * spool every record interval, and delivers the spool to the control plane's internal usage
 * endpoint; records leave the spool only once acknowledged. Pending records of an earlier run
 * in the same spool directory are delivered first.
 */
export async function startUsageMeter(opts: UsageMeterOptions): Promise<UsageMeter> {
  const limits = resolveLimits(opts.limits);
  const baseUrl = parseEndpointUrl(opts.endpointUrl);
  if (!opts.token) throw new Error("usage meter option token: the control plane's internal token is required");
  const log = opts.log.child({ component: "usage-meter", spool: opts.spoolDir });
  const metrics = new MeterMetrics(opts.registry);
  const labels = new EndpointLabels({
    maxLabeled: limits.maxLabeledEndpoints,
    idleReleaseMs: limits.labelIdleReleaseMs,
    allowList: limits.labeledEndpoints,
    onRelease: (endpoint) => metrics.cuSeconds.remove({ endpoint }),
  });
  const usage = new UsageAccumulator();
  const tracker = new SessionUsageTracker(opts.sessions, usage, {
    onCuSeconds: (endpointId, cuSeconds) => metrics.cuSeconds.inc({ endpoint: labels.labelFor(endpointId, Date.now()) }, cuSeconds),
    onSessions: (endpointId, open) => labels.sessionsChanged(endpointId, open, Date.now()),
  });
  const spool = await UsageSpool.open({
    dir: opts.spoolDir,
    maxBytes: limits.spoolMaxBytes,
    segmentMaxBytes: limits.segmentMaxBytes,
    log,
    onCorruptLine: () => metrics.corruptLines.inc(),
  });
  const sender = new UsageSender({
    baseUrl,
    token: opts.token,
    proxyId: opts.proxyId,
    connectTimeoutMs: limits.connectTimeoutMs,
    requestTimeoutMs: limits.requestTimeoutMs,
    keepAliveTimeoutMs: limits.keepAliveTimeoutMs,
    connections: limits.connections,
  });
  const abort = new AbortController();
  const delivery = new UsageDelivery({
    spool,
    sender,
    metrics,
    log,
    batchMaxRecords: limits.batchMaxRecords,
    batchMaxBytes: limits.batchMaxBytes,
    attempts: limits.sendAttempts,
    retryBaseDelayMs: limits.retryBaseDelayMs,
    retryMaxDelayMs: limits.retryMaxDelayMs,
    signal: abort.signal,
  });
  metrics.spoolBytes.set(spool.bytes);
  tracker.attach();

  let spoolFull = false;
  /** Turn accumulated usage into spooled records; on failure keep it in memory (bounded) and say so. */
  const spoolAccumulated = async (): Promise<void> => {
    tracker.tick();
    tracker.sampleBytes();
    // Oldest minutes first: when the spool fills up, the newest wait in memory.
    const entries = usage.take().sort((a, b) => a.minute - b.minute);
    if (entries.length === 0) return;
    let written = 0;
    let failure: unknown = null;
    try {
      written = await spool.append(entries.map(recordOf));
    } catch (err) {
      failure = err;
    }
    metrics.recordsSpooled.inc(written);
    metrics.spoolBytes.set(spool.bytes);
    if (written === entries.length) {
      if (spoolFull) log.warn({ spool_bytes: spool.bytes }, "usage spool has room again");
      spoolFull = false;
      metrics.spoolFull.set(0);
      return;
    }
    usage.restore(entries.slice(written));
    if (failure && !(failure instanceof SpoolFullError)) {
      log.error({ err: (failure as Error).message, in_memory_entries: usage.size }, "usage spool write failed; usage kept in memory");
    } else {
      spoolFull = true;
      metrics.spoolFull.set(1);
      log.error({ spool_bytes: spool.bytes, max_bytes: limits.spoolMaxBytes, in_memory_entries: usage.size }, "usage spool FULL: usage kept in memory until the control plane acknowledges records");
    }
    reportDropped(usage.dropOldest(limits.maxPendingEntries));
  };
  const reportDropped = (dropped: UsageEntry[]) => {
    if (dropped.length === 0) return;
    metrics.recordsDropped.inc(dropped.length);
    for (const e of dropped) {
      log.error({ endpoint: e.endpointId, minute: new Date(e.minute).toISOString(), cu: e.cu, mask: e.mask.toString(16), bytes_in: e.bytesIn, bytes_out: e.bytesOut }, "usage DROPPED: spool and memory bound both full");
    }
  };
  const deliverInBackground = () => {
    delivery.deliver().catch((err: unknown) => log.error({ err: (err as Error).message }, "usage delivery pass failed"));
  };
  const background = (what: string, fn: () => Promise<void>) => () => {
    fn().catch((err: unknown) => log.error({ err: (err as Error).message }, `usage ${what} failed`));
  };

  const timers = [
    setInterval(() => {
      tracker.tick();
      labels.sweep(Date.now());
    }, limits.tickIntervalMs),
    setInterval(background("record interval", async () => {
      await spoolAccumulated();
      deliverInBackground();
    }), limits.recordIntervalMs),
    setInterval(deliverInBackground, limits.sendIntervalMs),
  ];
  for (const t of timers) t.unref();
  deliverInBackground();

  let closed: Promise<void> | null = null;
  return {
    async flush() {
      await spoolAccumulated();
      return delivery.deliver();
    },
    close() {
      closed ??= (async () => {
        for (const t of timers) clearInterval(t);
        tracker.detach();
        await spoolAccumulated();
        if (usage.size > 0) log.error({ in_memory_entries: usage.size }, "usage meter closing with usage that could not be spooled: it is lost");
        const last = delivery.deliver();
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([last, new Promise<void>((resolve) => (timer = setTimeout(resolve, limits.closeDeliveryTimeoutMs)))]);
        clearTimeout(timer);
        abort.abort();
        await last.catch(() => undefined);
        await spool.close();
        await sender.close();
        if (spool.pendingBytes > 0) log.info({ pending_bytes: spool.pendingBytes }, "usage meter closed with records pending; they are sent on the next start");
      })();
      return closed;
    },
  };
}

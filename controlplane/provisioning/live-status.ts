import type { ClusterRecord } from "../store/clusters.js";
import type { ComputeInfo } from "../scheduler/port.js";
import { errorSummary, type ProvisioningContext } from "./context.js";
import { statusOfCompute } from "./converge.js";

/** Status queries must not hang on a slow scheduler: answer from the store after this long. */
const DESCRIBE_TIMEOUT_MS = 2_000;

/**
 * The scheduler suspends idle computes on its own, so the stored status may be behind. Overlay
 * what the scheduler says now; on any failure keep the stored status.
 */
export async function withLiveStatus(ctx: ProvisioningContext, clusters: ClusterRecord[]): Promise<ClusterRecord[]> {
  const live = clusters.filter((c) => c.converged && !c.deletedAt);
  if (!ctx.scheduler || live.length === 0) return clusters;
  const scheduler = ctx.scheduler;
  let computes: ComputeInfo[];
  try {
    const describe = live.length === 1 ? scheduler.describe(live[0]!.endpointId).then((c) => (c ? [c] : [])) : scheduler.describeAll();
    computes = await withTimeout(describe, DESCRIBE_TIMEOUT_MS);
  } catch (err) {
    ctx.logger.debug({ err: errorSummary(err) }, "describe failed; showing stored status");
    return clusters;
  }
  const byEndpoint = new Map(computes.map((c) => [c.endpointId, c]));
  return clusters.map((c) => {
    const compute = byEndpoint.get(c.endpointId);
    return compute && c.converged && !c.deletedAt ? { ...c, status: statusOfCompute(compute.state, c.status) } : c;
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

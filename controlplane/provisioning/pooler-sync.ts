import { DependencyError } from "../errors.js";
import type { PoolerEntry } from "../pooler/port.js";
import { listPoolableClusters, type ClusterRecord } from "../store/clusters.js";
import { errorSummary, type ProvisioningContext } from "./context.js";

/**
 * Server connections a pool may hold: half of the compute's max_connections, leaving the rest
 * for direct (session) connections through the proxy.
 */
export function poolSize(maxConnections: number): number {
  return Math.max(2, Math.floor(maxConnections / 2));
}

export function poolerEntry(ctx: ProvisioningContext, c: ClusterRecord): PoolerEntry {
  if (c.computeHost === null || c.computePort === null) throw new Error(`cluster ${c.id} has no compute address yet`);
  return {
    endpointId: c.endpointId,
    computeHost: c.computeHost,
    computePort: c.computePort,
    database: c.databaseName,
    role: c.roleName,
    scramSecret: c.scramSecret,
    poolSize: poolSize(c.maxConnections),
    ...(ctx.pooler?.needsPlaintextPasswords ? { password: ctx.box.open(c.passwordSealed, c.id) } : {}),
  };
}

/**
 * Make the pooler hold exactly the live, provisioned endpoints of the store. The whole set is
 * rendered each time, so a failed earlier sync is repaired by any later one.
 */
export async function syncPooler(ctx: ProvisioningContext): Promise<void> {
  if (!ctx.pooler) return;
  const clusters = await listPoolableClusters(ctx.pool);
  try {
    await ctx.pooler.apply(clusters.map((c) => poolerEntry(ctx, c)));
  } catch (err) {
    ctx.logger.warn({ err: errorSummary(err) }, "pooler reload failed");
    throw new DependencyError("pooler_unavailable", "the pooler could not be reconfigured; the request can be retried", err);
  }
}

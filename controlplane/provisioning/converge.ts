import type { ComputeState } from "../scheduler/port.js";
import { getClusterById, markConverged, updateCluster, type ClusterRecord, type ClusterStatus } from "../store/clusters.js";
import { callScheduler, type ProvisioningContext } from "./context.js";
import { syncPooler } from "./pooler-sync.js";

/** The cluster status a compute state means. */
export function statusOfCompute(state: ComputeState, fallback: ClusterStatus): ClusterStatus {
  switch (state) {
    case "running":
    case "starting":
      return "running";
    case "suspended":
    case "stopping":
      return "suspended";
    case "failed":
      return "failed";
    case "provisioning":
      return "provisioning";
    default:
      return fallback;
  }
}

/**
 * Bring the scheduler and the pooler in line with the stored row (the source of truth), then
 * mark the row converged. Idempotent, so every flow and the reconciler just call it again after
 * a failure. Callers hold the cluster's mutex.
 */
export async function convergeCluster(ctx: ProvisioningContext, clusterId: string): Promise<ClusterRecord> {
  let c = await getClusterById(ctx.pool, clusterId);
  if (!c) throw new Error(`cluster ${clusterId} vanished`);
  if (c.purgedAt) return c;

  if (c.deletedAt) {
    if (c.deletedAt.getTime() + ctx.retentionMs <= Date.now()) return purge(ctx, c);
    // Soft-deleted: out of the pooler and stopped, data kept for a restore.
    await callScheduler(ctx, "suspend the compute", (s) => s.suspend(c!.endpointId));
    await syncPooler(ctx);
    await markConverged(ctx.pool, c.id, c.version);
    return (await getClusterById(ctx.pool, c.id)) ?? c;
  }

  const { compute } = await callScheduler(ctx, "provision the compute", (s) =>
    s.provision({
      endpointId: c!.endpointId,
      cu: c!.cu,
      database: c!.databaseName,
      role: c!.roleName,
      scramSecret: c!.scramSecret,
      autoSuspendSeconds: c!.autoSuspendSeconds,
      start: false,
      // Only restarts when the CU changed (scale): that is what scaling means.
      restartIfNeeded: true,
    }),
  );
  const addressChanged = c.computeHost !== compute.host || c.computePort !== compute.port;
  const status = c.status === "provisioning" ? statusOfCompute(compute.state, "suspended") : c.status;
  if (addressChanged || status !== c.status) {
    c = (await updateCluster(ctx.pool, c.id, { computeHost: compute.host, computePort: compute.port, status }, true)) ?? c;
    ctx.events.changed({ endpoint_id: c.endpointId, version: c.version, reason: "updated" });
  }
  await syncPooler(ctx);
  await markConverged(ctx.pool, c.id, c.version);
  return (await getClusterById(ctx.pool, c.id)) ?? c;
}

async function purge(ctx: ProvisioningContext, c: ClusterRecord): Promise<ClusterRecord> {
  await callScheduler(ctx, "deprovision the compute", (s) => s.deprovision(c.endpointId));
  const purged = (await updateCluster(ctx.pool, c.id, { purgedAt: new Date(), converged: true }, true)) ?? c;
  ctx.events.changed({ endpoint_id: c.endpointId, version: purged.version, reason: "purged" });
  ctx.logger.info({ cluster: c.id, endpoint: c.endpointId }, "cluster purged");
  return purged;
}


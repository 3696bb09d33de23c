import type { DatabaseError } from "pg";
import { randomAlphanumeric } from "../crypto/random.js";
import { formatScramSecret, scramSecretFor } from "../../common/scram/index.js";
import { ApiError } from "../errors.js";
import { newClusterId, newEndpointId } from "../names.js";
import { DEFAULT_AUTO_SUSPEND_SECONDS, DEFAULT_SIZE, DEFAULT_TIER, SIZES, type Size, type Tier } from "../sizes.js";
import { findCluster, getClusterById, insertCluster, updateCluster, type ClusterChange, type ClusterRecord } from "../store/clusters.js";
import { callScheduler, type ProvisioningContext } from "./context.js";
import { convergeCluster } from "./converge.js";

const PASSWORD_LENGTH = 32;

export interface ComputeSettings {
  min_cu?: number | undefined;
  max_cu?: number | undefined;
  auto_suspend_seconds?: number | undefined;
}

export interface CreateClusterInput {
  name: string;
  region?: string | undefined;
  tier?: Tier | undefined;
  size?: Size | undefined;
  settings?:
    | {
        compute?: ComputeSettings | undefined;
        allowed_cidrs?: string[] | undefined;
        database?: string | undefined;
        role?: string | undefined;
      }
    | undefined;
}

/** Unique violation on the live-name index: someone else holds the name. */
function isNameTaken(err: unknown): boolean {
  const e = err as DatabaseError;
  return e?.code === "23505" && e.constraint === "clusters_live_name";
}

function resolveCompute(tier: Tier, size: Size, settings: ComputeSettings | undefined, current?: ClusterRecord) {
  const cu = SIZES[size].cu;
  const minCu = settings?.min_cu ?? current?.minCu ?? cu;
  const maxCu = settings?.max_cu ?? current?.maxCu ?? cu;
  if (minCu > maxCu) throw new ApiError("invalid_request", "settings.compute.min_cu must not exceed max_cu");
  // Dedicated computes never hibernate.
  const autoSuspendSeconds = tier === "dedicated" ? 0 : (settings?.auto_suspend_seconds ?? current?.autoSuspendSeconds ?? DEFAULT_AUTO_SUSPEND_SECONDS);
  return { cu, minCu, maxCu, autoSuspendSeconds, maxConnections: SIZES[size].maxConnections };
}

/**
 * Register a cluster: the row first (the desired state, with the password sealed), then the
 * scheduler and pooler. A failure after the insert leaves a "provisioning" row that the
 * reconciler (or a retry with the same Idempotency-Key) converges.
 */
export async function createCluster(
  ctx: ProvisioningContext,
  organizationId: string,
  input: CreateClusterInput,
  remember: (clusterId: string) => Promise<void>,
): Promise<ClusterRecord> {
  if (input.region !== undefined && input.region !== ctx.region) {
    throw new ApiError("invalid_request", `region "${input.region}" is not served here (this control plane serves "${ctx.region}")`);
  }
  const tier = input.tier ?? DEFAULT_TIER;
  const size = input.size ?? DEFAULT_SIZE;
  const compute = resolveCompute(tier, size, input.settings?.compute);
  const password = randomAlphanumeric(PASSWORD_LENGTH);
  const secret = formatScramSecret(await scramSecretFor(password));
  const id = newClusterId();
  let record: ClusterRecord | undefined;
  for (let attempt = 0; !record; attempt++) {
    try {
      record = await insertCluster(ctx.pool, {
        id,
        organizationId,
        name: input.name,
        endpointId: newEndpointId(),
        region: ctx.region,
        tier,
        size,
        ...compute,
        allowedCidrs: input.settings?.allowed_cidrs ?? [],
        databaseName: input.settings?.database ?? "app",
        roleName: input.settings?.role ?? "app",
        passwordSealed: ctx.box.seal(password, id),
        scramSecret: secret,
        status: "provisioning",
      });
    } catch (err) {
      if (isNameTaken(err)) throw new ApiError("cluster_name_taken", `a cluster named "${input.name}" already exists`);
      // An endpoint id collision (unique endpoint_id) is improbable; draw another a few times.
      if ((err as DatabaseError)?.code === "23505" && attempt < 3) continue;
      throw err;
    }
  }
  await remember(record.id);
  ctx.events.changed({ endpoint_id: record.endpointId, version: record.version, reason: "created" });
  ctx.logger.info({ cluster: record.id, endpoint: record.endpointId }, "cluster registered");
  return ctx.mutex.run(record.id, () => convergeCluster(ctx, record.id));
}

/** The organisation's cluster, or 404 (also for other organisations' clusters). */
export async function requireCluster(ctx: ProvisioningContext, organizationId: string, idOrName: string): Promise<ClusterRecord> {
  const c = await findCluster(ctx.pool, organizationId, idOrName);
  if (!c) throw new ApiError("cluster_not_found", `cluster "${idOrName}" not found`);
  return c;
}

function requireLive(c: ClusterRecord): void {
  if (c.deletedAt) throw new ApiError("invalid_state", `cluster "${c.name}" is deleted; restore it first`);
}

/** Change fields and converge, under the cluster's mutex. */
async function changeAndConverge(ctx: ProvisioningContext, c: ClusterRecord, change: ClusterChange, reason: "updated" | "password_rotated"): Promise<ClusterRecord> {
  return ctx.mutex.run(c.id, async () => {
    const updated = await updateCluster(ctx.pool, c.id, { ...change, converged: false }, true);
    if (!updated) throw new ApiError("cluster_not_found", `cluster "${c.name}" not found`);
    ctx.events.changed({ endpoint_id: updated.endpointId, version: updated.version, reason });
    return convergeCluster(ctx, c.id);
  });
}

export interface PatchClusterInput {
  name?: string | undefined;
  settings?: { compute?: ComputeSettings | undefined; allowed_cidrs?: string[] | undefined } | undefined;
}

export async function patchCluster(ctx: ProvisioningContext, organizationId: string, idOrName: string, input: PatchClusterInput): Promise<ClusterRecord> {
  const c = await requireCluster(ctx, organizationId, idOrName);
  requireLive(c);
  const compute = resolveCompute(c.tier, c.size, input.settings?.compute, c);
  try {
    return await changeAndConverge(
      ctx,
      c,
      {
        name: input.name,
        minCu: compute.minCu,
        maxCu: compute.maxCu,
        autoSuspendSeconds: compute.autoSuspendSeconds,
        allowedCidrs: input.settings?.allowed_cidrs,
      },
      "updated",
    );
  } catch (err) {
    if (isNameTaken(err)) throw new ApiError("cluster_name_taken", `a cluster named "${input.name}" already exists`);
    throw err;
  }
}

export async function scaleCluster(ctx: ProvisioningContext, organizationId: string, idOrName: string, size: Size): Promise<ClusterRecord> {
  const c = await requireCluster(ctx, organizationId, idOrName);
  requireLive(c);
  const compute = resolveCompute(c.tier, size, undefined, c);
  return changeAndConverge(ctx, c, { size, cu: compute.cu, maxConnections: compute.maxConnections }, "updated");
}

/** New password and SCRAM secret: store, compute role, pooler secret, proxies' caches. */
export async function rotatePassword(ctx: ProvisioningContext, organizationId: string, idOrName: string): Promise<{ cluster: ClusterRecord; password: string }> {
  const c = await requireCluster(ctx, organizationId, idOrName);
  requireLive(c);
  const password = randomAlphanumeric(PASSWORD_LENGTH);
  const cluster = await changeAndConverge(ctx, c, { passwordSealed: ctx.box.seal(password, c.id), scramSecret: formatScramSecret(await scramSecretFor(password)) }, "password_rotated");
  ctx.logger.info({ cluster: c.id, endpoint: c.endpointId }, "password rotated");
  return { cluster, password };
}

/** Wake (start) or suspend (stop) the compute and record the state. */
export async function setRunning(ctx: ProvisioningContext, organizationId: string, idOrName: string, running: boolean): Promise<ClusterRecord> {
  const c = await requireCluster(ctx, organizationId, idOrName);
  requireLive(c);
  return ctx.mutex.run(c.id, async () => {
    // A cluster whose provisioning failed earlier is converged first, so Wake finds a compute.
    const current = c.converged ? c : await convergeCluster(ctx, c.id);
    if (running) await callScheduler(ctx, "start the compute", (s) => s.wake(c.endpointId));
    else await callScheduler(ctx, "stop the compute", (s) => s.suspend(c.endpointId));
    const status = running ? "running" : "suspended";
    if (current.status === status) return current;
    const updated = (await updateCluster(ctx.pool, c.id, { status }, true)) ?? current;
    ctx.events.changed({ endpoint_id: updated.endpointId, version: updated.version, reason: "state_changed" });
    return updated;
  });
}

/**
 * Soft delete: the endpoint stops answering at once (internal API 404, pooler entry removed,
 * compute suspended) but its data stays for the retention period, during which a restore
 * brings it back. The compute is deprovisioned when the period ends (reconciler).
 */
export async function deleteCluster(ctx: ProvisioningContext, organizationId: string, idOrName: string): Promise<ClusterRecord> {
  const c = await requireCluster(ctx, organizationId, idOrName);
  if (c.deletedAt) return c;
  return ctx.mutex.run(c.id, async () => {
    const deleted = await updateCluster(ctx.pool, c.id, { deletedAt: new Date(), status: "deleting", converged: false }, true);
    if (!deleted) throw new ApiError("cluster_not_found", `cluster "${idOrName}" not found`);
    ctx.events.changed({ endpoint_id: deleted.endpointId, version: deleted.version, reason: "deleted" });
    ctx.logger.info({ cluster: c.id, endpoint: c.endpointId }, "cluster deleted (restorable)");
    // The delete itself is recorded; stopping the compute may be finished by the reconciler.
    return convergeCluster(ctx, c.id).catch(async () => (await getClusterById(ctx.pool, c.id)) ?? deleted);
  });
}

export async function restoreCluster(ctx: ProvisioningContext, organizationId: string, id: string): Promise<ClusterRecord> {
  const c = await requireCluster(ctx, organizationId, id);
  if (!c.deletedAt) return c;
  if (c.deletedAt.getTime() + ctx.retentionMs <= Date.now()) throw new ApiError("invalid_state", "the restore period of this cluster has ended");
  return ctx.mutex.run(c.id, async () => {
    let restored: ClusterRecord | null;
    try {
      restored = await updateCluster(ctx.pool, c.id, { deletedAt: null, status: "suspended", converged: false }, true);
    } catch (err) {
      if (isNameTaken(err)) throw new ApiError("cluster_name_taken", `another cluster is now named "${c.name}"; rename it first`);
      throw err;
    }
    if (!restored) throw new ApiError("cluster_not_found", `cluster "${id}" not found`);
    ctx.events.changed({ endpoint_id: restored.endpointId, version: restored.version, reason: "restored" });
    return convergeCluster(ctx, c.id);
  });
}

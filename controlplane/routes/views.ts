import type { z } from "zod";
import { connectionInfo, endpointHostName, type ConnectionConfig } from "../connection-strings.js";
import type { ProvisioningContext } from "../provisioning/context.js";
import type { ApiKeyRecord } from "../store/api-keys.js";
import type { ClusterRecord } from "../store/clusters.js";
import type { Organization as OrganizationRecord } from "../store/organizations.js";
import type { ApiKey, Cluster, ConnectionInfo, Organization } from "./schemas.js";

/** Records → API JSON (snake_case, ISO dates). Nothing secret leaves through these. */

export function clusterView(c: ClusterRecord, connection: ConnectionConfig, retentionMs: number): z.infer<typeof Cluster> {
  return {
    id: c.id,
    name: c.name,
    endpoint: c.endpointId,
    host: endpointHostName(connection, c.endpointId),
    region: c.region,
    tier: c.tier,
    size: c.size,
    status: c.deletedAt ? "deleting" : c.status,
    cu: c.cu,
    max_connections: c.maxConnections,
    settings: {
      compute: { min_cu: c.minCu, max_cu: c.maxCu, auto_suspend_seconds: c.autoSuspendSeconds },
      allowed_cidrs: c.allowedCidrs,
      database: c.databaseName,
      role: c.roleName,
    },
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
    deleted_at: c.deletedAt?.toISOString() ?? null,
    restorable_until: c.deletedAt ? new Date(c.deletedAt.getTime() + retentionMs).toISOString() : null,
  };
}

/** Connection details with the decrypted password: only for the calls that are meant to show it. */
export function clusterConnection(ctx: ProvisioningContext, connection: ConnectionConfig, c: ClusterRecord): z.infer<typeof ConnectionInfo> {
  return connectionInfo(connection, { endpointId: c.endpointId, database: c.databaseName, user: c.roleName, password: ctx.box.open(c.passwordSealed, c.id) });
}

export function apiKeyView(k: ApiKeyRecord): z.infer<typeof ApiKey> {
  return { id: k.id, name: k.name, scope: k.scope, prefix: k.keyPrefix, created_at: k.createdAt.toISOString(), revoked_at: k.revokedAt?.toISOString() ?? null };
}

export function organizationView(o: OrganizationRecord): z.infer<typeof Organization> {
  return { id: o.id, name: o.name, plan: o.plan, created_at: o.createdAt.toISOString() };
}

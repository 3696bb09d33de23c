import { ApiError } from "../errors.js";
import { callerOrganization, route, type RouteSpec } from "../http/route.js";
import { withLiveStatus } from "../provisioning/live-status.js";
import {
  createCluster,
  deleteCluster,
  patchCluster,
  requireCluster,
  restoreCluster,
  rotatePassword,
  scaleCluster,
  setRunning,
} from "../provisioning/operations.js";
import { convergeCluster } from "../provisioning/converge.js";
import { getClusterById, listClusters } from "../store/clusters.js";
import type { ApiDeps } from "./deps.js";
import * as S from "./schemas.js";
import { clusterConnection, clusterView } from "./views.js";

const NOT_FOUND = { description: "no such cluster in your organisation", schema: S.ErrorResponse };
const UNAVAILABLE = { description: "the scheduler or pooler failed; retry (with the same Idempotency-Key)", schema: S.ErrorResponse };

export function clusterRoutes(deps: ApiDeps): RouteSpec[] {
  const { ctx, connection } = deps;
  const view = (c: Parameters<typeof clusterView>[0]) => clusterView(c, connection, ctx.retentionMs);
  const org = callerOrganization;
  return [
    route({
      method: "POST",
      path: "/v1/clusters",
      operationId: "createCluster",
      summary: "Register a cluster (tenant database); returns its connection string with the password",
      tag: "clusters",
      auth: { kind: "api-key", scope: "write" },
      body: S.CreateClusterBody,
      idempotent: true,
      responses: { 201: { description: "created", schema: S.CreatedCluster }, 409: { description: "name taken", schema: S.ErrorResponse }, 503: UNAVAILABLE },
      async handler({ body, principal, idempotency }) {
        const organizationId = org(principal);
        let cluster;
        const resumed = idempotency.resumeResourceId ? await getClusterById(ctx.pool, idempotency.resumeResourceId) : null;
        if (resumed && resumed.organizationId === organizationId) {
          cluster = resumed.converged ? resumed : await ctx.mutex.run(resumed.id, () => convergeCluster(ctx, resumed.id));
        } else {
          cluster = await createCluster(ctx, organizationId, body, idempotency.remember);
        }
        const conn = clusterConnection(ctx, connection, cluster);
        return {
          status: 201,
          body: { ...view(cluster), connection_string: conn.connection_string, pooled_connection_string: conn.pooled_connection_string, password: conn.password },
        };
      },
    }),
    route({
      method: "GET",
      path: "/v1/clusters",
      operationId: "listClusters",
      summary: "List the organisation's clusters",
      tag: "clusters",
      auth: { kind: "api-key", scope: "read" },
      query: S.ListClustersQuery,
      responses: { 200: { description: "clusters", schema: S.ClusterList } },
      async handler({ query, principal }) {
        const clusters = await withLiveStatus(ctx, await listClusters(ctx.pool, org(principal), query.include_deleted === "true"));
        return { status: 200, body: { clusters: clusters.map(view) } };
      },
    }),
    route({
      method: "GET",
      path: "/v1/clusters/{id}",
      operationId: "getCluster",
      summary: "Describe a cluster (by id or name)",
      tag: "clusters",
      auth: { kind: "api-key", scope: "read" },
      params: S.ClusterParams,
      responses: { 200: { description: "the cluster", schema: S.Cluster }, 404: NOT_FOUND },
      async handler({ params, principal }) {
        const [c] = await withLiveStatus(ctx, [await requireCluster(ctx, org(principal), params.id)]);
        return { status: 200, body: view(c!) };
      },
    }),
    route({
      method: "PATCH",
      path: "/v1/clusters/{id}",
      operationId: "updateCluster",
      summary: "Change a cluster's name or settings",
      tag: "clusters",
      auth: { kind: "api-key", scope: "write" },
      params: S.ClusterParams,
      body: S.PatchClusterBody,
      responses: { 200: { description: "the updated cluster", schema: S.Cluster }, 404: NOT_FOUND, 503: UNAVAILABLE },
      async handler({ params, body, principal }) {
        return { status: 200, body: view(await patchCluster(ctx, org(principal), params.id, body)) };
      },
    }),
    route({
      method: "DELETE",
      path: "/v1/clusters/{id}",
      operationId: "deleteCluster",
      summary: "Soft delete: the endpoint stops answering now; restorable for 7 days, then deprovisioned",
      tag: "clusters",
      auth: { kind: "api-key", scope: "write" },
      params: S.ClusterParams,
      responses: { 202: { description: "deleted (restorable)", schema: S.Cluster }, 404: NOT_FOUND },
      async handler({ params, principal }) {
        return { status: 202, body: view(await deleteCluster(ctx, org(principal), params.id)) };
      },
    }),
    route({
      method: "POST",
      path: "/v1/clusters/{id}/restore",
      operationId: "restoreCluster",
      summary: "Undo a delete within the restore period (by cluster id)",
      tag: "clusters",
      auth: { kind: "api-key", scope: "write" },
      params: S.ClusterParams,
      body: S.EmptyBody,
      idempotent: true,
      responses: { 200: { description: "restored", schema: S.Cluster }, 404: NOT_FOUND, 409: { description: "restore period over or name taken", schema: S.ErrorResponse } },
      async handler({ params, principal }) {
        return { status: 200, body: view(await restoreCluster(ctx, org(principal), params.id)) };
      },
    }),
    ...(["start", "stop"] as const).map((action) =>
      route({
        method: "POST",
        path: `/v1/clusters/{id}/${action}`,
        operationId: `${action}Cluster`,
        summary: action === "start" ? "Wake the compute (returns once it accepts connections)" : "Suspend the compute",
        tag: "clusters",
        auth: { kind: "api-key", scope: "write" },
        params: S.ClusterParams,
        body: S.EmptyBody,
        idempotent: true,
        responses: { 200: { description: "the cluster", schema: S.Cluster }, 404: NOT_FOUND, 503: UNAVAILABLE },
        async handler({ params, principal }) {
          return { status: 200, body: view(await setRunning(ctx, org(principal), params.id, action === "start")) };
        },
      }),
    ),
    route({
      method: "POST",
      path: "/v1/clusters/{id}/scale",
      operationId: "scaleCluster",
      summary: "Resize the compute (a running compute restarts with the new size)",
      tag: "clusters",
      auth: { kind: "api-key", scope: "write" },
      params: S.ClusterParams,
      body: S.ScaleBody,
      idempotent: true,
      responses: { 200: { description: "the cluster", schema: S.Cluster }, 404: NOT_FOUND, 503: UNAVAILABLE },
      async handler({ params, body, principal }) {
        return { status: 200, body: view(await scaleCluster(ctx, org(principal), params.id, body.size)) };
      },
    }),
    route({
      method: "GET",
      path: "/v1/clusters/{id}/connection-string",
      operationId: "getConnectionString",
      summary: "Connection details, password included (needs write scope because it reveals the password)",
      tag: "clusters",
      auth: { kind: "api-key", scope: "write" },
      params: S.ClusterParams,
      responses: { 200: { description: "connection details", schema: S.ConnectionInfo }, 404: NOT_FOUND },
      async handler({ params, principal }) {
        const c = await requireCluster(ctx, org(principal), params.id);
        if (c.deletedAt) throw new ApiError("invalid_state", `cluster "${c.name}" is deleted; restore it first`);
        return { status: 200, body: clusterConnection(ctx, connection, c) };
      },
    }),
    route({
      method: "POST",
      path: "/v1/clusters/{id}/password/rotate",
      operationId: "rotatePassword",
      summary: "New password, returned once; the old one stops working at once everywhere",
      tag: "clusters",
      auth: { kind: "api-key", scope: "write" },
      params: S.ClusterParams,
      body: S.EmptyBody,
      idempotent: true,
      responses: { 200: { description: "the new connection details", schema: S.RotatedPassword }, 404: NOT_FOUND, 503: UNAVAILABLE },
      async handler({ params, principal, idempotency }) {
        const organizationId = org(principal);
        let cluster;
        if (idempotency.resumeResourceId) {
          // A replay: the rotation happened; converge in case it did not finish, show the current password.
          const c = await requireCluster(ctx, organizationId, idempotency.resumeResourceId);
          cluster = c.converged ? c : await ctx.mutex.run(c.id, () => convergeCluster(ctx, c.id));
        } else {
          cluster = (await rotatePassword(ctx, organizationId, params.id)).cluster;
          await idempotency.remember(cluster.id);
        }
        return { status: 200, body: { cluster: view(cluster), connection: clusterConnection(ctx, connection, cluster) } };
      },
    }),
  ];
}

import type { Command } from "commander";
import type { z } from "zod";
import type { Cluster, ConnectionInfo } from "../routes/schemas.js";
import { SIZE_NAMES, TIERS } from "../sizes.js";
import { clientAction, outputOption } from "./action.js";
import { callApi } from "./api-client.js";
import { renderList, renderObject, type Column } from "./output.js";
import { withProgress } from "./progress.js";

type ClusterJson = z.infer<typeof Cluster>;
const path = (name: string, suffix = "") => `/v1/clusters/${encodeURIComponent(name)}${suffix}`;

const COLUMNS: Column<ClusterJson>[] = [
  { header: "NAME", value: (c) => c.name },
  { header: "ID", value: (c) => c.id },
  { header: "ENDPOINT", value: (c) => c.endpoint },
  { header: "STATUS", value: (c) => c.status },
  { header: "SIZE", value: (c) => c.size },
  { header: "CU", value: (c) => c.cu },
  { header: "REGION", value: (c) => c.region },
];

/** `orochi cluster create|list|status|start|stop|scale|delete` */
export function registerClusterCommands(program: Command): void {
  const cluster = program.command("cluster").description("manage clusters (tenant databases) through the control plane API");

  cluster
    .command("create <name>")
    .description("register a cluster; prints its connection string (with the password) once")
    .option("--size <size>", `compute size: ${SIZE_NAMES.join(", ")}`, "dev")
    .option("--tier <tier>", `${TIERS.join(" or ")}`, "serverless")
    .option("--region <region>", "region (default: the control plane's)")
    .option("--database <name>", "database created for the role", "app")
    .option("--role <name>", "login role", "app")
    .option("--auto-suspend <seconds>", "suspend after this many idle seconds (0 = never)")
    .option("--allow <cidr...>", "allowed client CIDRs (default: any)")
    .addOption(outputOption())
    .action(
      clientAction(async ({ client, output }, name: string, o: Record<string, string | string[] | undefined>) => {
        const compute = o.autoSuspend !== undefined ? { auto_suspend_seconds: Number(o.autoSuspend) } : undefined;
        const body = {
          name,
          size: o.size,
          tier: o.tier,
          ...(o.region ? { region: o.region } : {}),
          settings: { database: o.database, role: o.role, ...(compute ? { compute } : {}), ...(o.allow ? { allowed_cidrs: o.allow } : {}) },
        };
        const created = await withProgress(`creating ${name}`, callApi<Record<string, unknown>>(client, "POST", "/v1/clusters", body));
        process.stdout.write(renderObject(output, created));
      }),
    );

  cluster
    .command("list")
    .description("list clusters")
    .option("--all", "include deleted (restorable) clusters")
    .addOption(outputOption())
    .action(
      clientAction(async ({ client, output }, o: { all?: boolean }) => {
        const { clusters } = await callApi<{ clusters: ClusterJson[] }>(client, "GET", `/v1/clusters${o.all ? "?include_deleted=true" : ""}`);
        process.stdout.write(renderList(output, clusters, COLUMNS));
      }),
    );

  cluster
    .command("status <name>")
    .description("describe a cluster (by name or id)")
    .addOption(outputOption())
    .action(
      clientAction(async ({ client, output }, name: string) => {
        process.stdout.write(renderObject(output, await callApi<ClusterJson>(client, "GET", path(name))));
      }),
    );

  for (const [verb, description, label] of [
    ["start", "wake the compute; returns when it accepts connections", "starting"],
    ["stop", "suspend the compute", "stopping"],
  ] as const) {
    cluster
      .command(`${verb} <name>`)
      .description(description)
      .addOption(outputOption())
      .action(
        clientAction(async ({ client, output }, name: string) => {
          const c = await withProgress(`${label} ${name}`, callApi<ClusterJson>(client, "POST", path(name, `/${verb}`)));
          process.stdout.write(renderObject(output, c));
        }),
      );
  }

  cluster
    .command("scale <name> <size>")
    .description(`resize the compute (${SIZE_NAMES.join(", ")}); a running compute restarts`)
    .addOption(outputOption())
    .action(
      clientAction(async ({ client, output }, name: string, size: string) => {
        const c = await withProgress(`scaling ${name} to ${size}`, callApi<ClusterJson>(client, "POST", path(name, "/scale"), { size }));
        process.stdout.write(renderObject(output, c));
      }),
    );

  cluster
    .command("delete <name>")
    .description("delete a cluster (restorable for 7 days through the API)")
    .addOption(outputOption())
    .action(
      clientAction(async ({ client, output }, name: string) => {
        process.stdout.write(renderObject(output, await callApi<ClusterJson>(client, "DELETE", path(name))));
      }),
    );
}

export async function fetchConnection(client: Parameters<typeof callApi>[0], name: string): Promise<z.infer<typeof ConnectionInfo>> {
  return callApi(client, "GET", path(name, "/connection-string"));
}

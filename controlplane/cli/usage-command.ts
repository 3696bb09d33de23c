import type { Command } from "commander";
import type { z } from "zod";
import type { Usage } from "../routes/schemas.js";
import { USAGE_GRANULARITIES } from "../store/usage.js";
import { clientAction, outputOption } from "./action.js";
import { callApi } from "./api-client.js";
import { CliError, EXIT } from "./exit-codes.js";
import { renderList, renderObject, type Column } from "./output.js";

type UsageJson = z.infer<typeof Usage>;
type Row = Omit<UsageJson["buckets"][number], "start"> & { start: string };

const RELATIVE_UNITS_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** An ISO 8601 time, or a span back from now: 90m, 24h, 7d. */
export function parseUsageTime(text: string, option: string, now = Date.now()): string {
  const rel = /^(\d{1,6})([mhd])$/.exec(text.trim());
  if (rel) return new Date(now - Number(rel[1]) * RELATIVE_UNITS_MS[rel[2]!]!).toISOString();
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms)) throw new CliError(`${option} must be an ISO 8601 time (2030-01-02T03:04:00Z) or a span back from now (90m, 24h, 7d)`, EXIT.usage);
  return new Date(ms).toISOString();
}

const COLUMNS: Column<Row>[] = [
  { header: "START (UTC)", value: (r) => r.start },
  { header: "CU-SECONDS", value: (r) => Math.round(r.cu_seconds * 1000) / 1000 },
  { header: "ACTIVE SECONDS", value: (r) => r.active_seconds },
  { header: "BYTES IN", value: (r) => r.bytes_in },
  { header: "BYTES OUT", value: (r) => r.bytes_out },
];

/** `orochi usage <cluster>`: CU-seconds and bytes from the control plane, per bucket and in total. */
export function registerUsageCommand(program: Command): void {
  program
    .command("usage <cluster>")
    .description("CU-seconds and data transfer of a cluster (by name or id), per minute, hour or day (UTC)")
    .option("--from <time>", "start: ISO 8601 or a span back from now (90m, 24h, 7d); default 30 days before --to")
    .option("--to <time>", "end (exclusive): ISO 8601 or a span back from now; default now")
    .option("--granularity <unit>", `bucket size: ${USAGE_GRANULARITIES.join(", ")}`, "day")
    .addOption(outputOption())
    .action(
      clientAction(async ({ client, output }, cluster: string, o: { from?: string; to?: string; granularity: string }) => {
        if (!(USAGE_GRANULARITIES as readonly string[]).includes(o.granularity)) throw new CliError(`--granularity must be one of ${USAGE_GRANULARITIES.join(", ")}`, EXIT.usage);
        const query = new URLSearchParams({ granularity: o.granularity });
        if (o.from) query.set("from", parseUsageTime(o.from, "--from"));
        if (o.to) query.set("to", parseUsageTime(o.to, "--to"));
        const usage = await callApi<UsageJson>(client, "GET", `/v1/clusters/${encodeURIComponent(cluster)}/usage?${query}`);
        if (output !== "table") {
          process.stdout.write(renderObject(output, usage));
          return;
        }
        const total: Row = { start: "TOTAL", cu_seconds: usage.cu_seconds, active_seconds: usage.active_seconds, bytes_in: usage.bytes_in, bytes_out: usage.bytes_out };
        process.stdout.write(`${usage.endpoint}  ${usage.from} → ${usage.to}  per ${usage.granularity}\n`);
        process.stdout.write(renderList("table", [...usage.buckets, total], COLUMNS));
      }),
    );
}

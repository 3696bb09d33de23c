import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { pgBin } from "../../common/postgres/index.js";

const run = promisify(execFile);

export interface PgbenchResult {
  tps: number;
  latencyMs: number;
  transactions: number;
  failed: number;
}

/** Run pgbench and parse its summary. `conninfo` is a libpq keyword/value string. */
export async function pgbench(args: string[], conninfo: string, env: Record<string, string> = {}): Promise<PgbenchResult> {
  const { stdout } = await run(pgBin("pgbench"), [...args, conninfo], {
    env: { ...process.env, ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
  const num = (re: RegExp) => {
    const m = re.exec(stdout);
    if (!m) throw new Error(`cannot parse pgbench output (${re}):\n${stdout}`);
    return Number(m[1]);
  };
  return {
    tps: num(/tps = ([\d.]+)/),
    latencyMs: num(/latency average = ([\d.]+) ms/),
    transactions: num(/number of transactions actually processed: (\d+)/),
    failed: /number of failed transactions: (\d+)/.test(stdout) ? num(/number of failed transactions: (\d+)/) : 0,
  };
}

/** libpq keyword/value string from a record, values quoted. */
export function conninfo(kv: Record<string, string | number>): string {
  return Object.entries(kv)
    .map(([k, v]) => `${k}='${String(v).replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`)
    .join(" ");
}

import { readFileSync } from "node:fs";
import type { Command } from "commander";
import pg from "pg";
import { clientAction, outputOption } from "./action.js";
import { fetchConnection } from "./cluster-commands.js";
import { CliError, EXIT } from "./exit-codes.js";
import { renderList } from "./output.js";
import type { OutputFormat } from "./settings.js";

const CONNECT_TIMEOUT_MS = 60_000;

/** `orochi sql <name> "<query>"` or `-f file`: run SQL through the proxy with node-postgres. */
export function registerSqlCommand(program: Command): void {
  program
    .command("sql <name> [query]")
    .description("run SQL on a cluster (node-postgres through the proxy); prints the rows")
    .option("-f, --file <file>", "read the SQL from a file (several statements allowed)")
    .option("--pooled", "through the pooler instead of a direct session")
    .addOption(outputOption())
    .action(
      clientAction(async ({ client, output }, name: string, query: string | undefined, o: { file?: string; pooled?: boolean }) => {
        if ((query === undefined) === (o.file === undefined)) throw new CliError('give either a query or -f FILE', EXIT.usage);
        let text: string;
        try {
          text = o.file !== undefined ? readFileSync(o.file, "utf8") : query!;
        } catch (err) {
          throw new CliError(`cannot read ${o.file}: ${(err as Error).message}`, EXIT.usage);
        }
        const info = await fetchConnection(client, name);
        const db = new pg.Client({ connectionString: o.pooled ? info.pooled_connection_string : info.connection_string, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
        db.on("error", () => undefined);
        try {
          await db.connect();
        } catch (err) {
          throw new CliError(`cannot connect to ${name}: ${(err as Error).message}`, EXIT.unavailable);
        }
        try {
          // Simple protocol: a file may hold several statements; pg returns one result each.
          const raw = (await db.query(text)) as pg.QueryResult | pg.QueryResult[];
          process.stdout.write(renderResults(output, Array.isArray(raw) ? raw : [raw]));
        } catch (err) {
          const e = err as pg.DatabaseError;
          throw new CliError(`${e.severity ?? "ERROR"}: ${e.message}${e.code ? ` (SQLSTATE ${e.code})` : ""}`, EXIT.failure);
        } finally {
          await db.end().catch(() => undefined);
        }
      }),
    );
}

function renderResults(format: OutputFormat, results: pg.QueryResult[]): string {
  if (format !== "table") {
    const data = results.map((r) => ({ command: r.command, row_count: r.rowCount, rows: r.rows }));
    return renderList(format, data, []);
  }
  return results
    .map((r) =>
      r.fields.length > 0
        ? renderList("table", r.rows as Record<string, unknown>[], r.fields.map((f) => ({ header: f.name, value: (row: Record<string, unknown>) => row[f.name] }))) +
          `(${r.rowCount} row${r.rowCount === 1 ? "" : "s"})\n`
        : `${r.command}${r.rowCount !== null ? ` ${r.rowCount}` : ""}\n`,
    )
    .join("");
}

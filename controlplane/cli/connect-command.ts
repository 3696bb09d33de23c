import { spawn } from "node:child_process";
import type { Command } from "commander";
import { pgBin } from "../../common/postgres/index.js";
import { clientAction } from "./action.js";
import { fetchConnection } from "./cluster-commands.js";
import { CliError, EXIT } from "./exit-codes.js";

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** `orochi connect <name> [--url|--env] [--pooled] [-- psql args]` */
export function registerConnectCommand(program: Command): void {
  program
    .command("connect <name> [psqlArgs...]")
    .description("open psql on a cluster (arguments after -- go to psql); --url or --env print how to connect instead")
    .option("--url", "print the connection string")
    .option("--env", "print shell exports (DATABASE_URL and libpq's PG* variables)")
    .option("--pooled", "through the pooler (transaction pooling) instead of a direct session")
    .action(
      clientAction(async ({ client }, name: string, psqlArgs: string[], o: { url?: boolean; env?: boolean; pooled?: boolean }) => {
        const info = await fetchConnection(client, name);
        const url = o.pooled ? info.pooled_connection_string : info.connection_string;
        if (o.url) {
          process.stdout.write(url + "\n");
          return;
        }
        if (o.env) {
          const options = o.pooled ? info.pooled_options : info.options;
          const vars: [string, string | null][] = [
            ["DATABASE_URL", url],
            ["PGHOST", info.host],
            ["PGPORT", String(info.port)],
            ["PGDATABASE", info.database],
            ["PGUSER", info.user],
            ["PGPASSWORD", info.password],
            ["PGSSLMODE", info.sslmode],
            ["PGSSLROOTCERT", info.sslrootcert],
            ["PGOPTIONS", options],
          ];
          process.stdout.write(vars.filter(([, v]) => v !== null).map(([k, v]) => `export ${k}=${shellQuote(v!)}`).join("\n") + "\n");
          return;
        }
        const code = await new Promise<number>((resolve, reject) => {
          const child = spawn(pgBin("psql"), [url, ...psqlArgs], { stdio: "inherit" });
          child.once("error", (err) => reject(new CliError(`cannot run psql (${err.message}); install the PostgreSQL client or use --url`, EXIT.usage)));
          child.once("exit", (c, signal) => resolve(c ?? (signal ? 128 : 1)));
        });
        process.exitCode = code;
      }),
    );
}

import { existsSync } from "node:fs";
import { Option, type Command } from "commander";
import { createLogger } from "../../common/log.js";
import { defaultStateDir } from "../../common/paths.js";
import {
  DEFAULT_CONTROL_PLANE_PORT,
  DEFAULT_DOMAIN,
  DEFAULT_POOLER_PORT,
  DEFAULT_PROXY_PORT,
  DEFAULT_REGION,
  type ControlPlaneConfigInput,
} from "../config.js";
import { DEFAULT_PGBOUNCER_BINARY } from "../pooler/pgbouncer.js";
import { publishInvalidations } from "../redis-invalidations.js";
import { startControlPlane } from "../server.js";
import { reportError } from "./action.js";
import { CliError, EXIT } from "./exit-codes.js";

interface ServeOptions {
  listen: string;
  mode: "local" | "production";
  stateDir?: string;
  databaseUrl?: string;
  secretKeyFile?: string;
  internalToken?: string;
  scheduler?: string;
  schedulerToken?: string;
  pooler?: "pgbouncer" | "pgcat" | "none";
  poolerListen: string;
  pgbouncerBinary: string;
  pgcatConfig?: string;
  pgcatAdminUser: string;
  pgcatAdminPassword?: string;
  proxyAddress: string;
  proxyPort: string;
  region: string;
  domain: string;
  caFile?: string;
  redis?: string;
}

function hostPort(text: string, option: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  if (!m || Number(m[3]) > 65535) throw new CliError(`${option} must be host:port, got "${text}"`, EXIT.usage);
  return { host: m[1] ?? (m[2] || "127.0.0.1"), port: Number(m[3]) };
}

/** Command-line options → control plane config (validated again, with every default, by the server). */
export function serveConfig(o: ServeOptions): ControlPlaneConfigInput {
  const listen = hostPort(o.listen, "--listen");
  const local = o.mode === "local";
  const poolerKind = o.pooler ?? (local && existsSync(o.pgbouncerBinary) ? "pgbouncer" : "none");
  const poolerAt = hostPort(o.poolerListen, "--pooler-listen");
  let pooler: ControlPlaneConfigInput["pooler"] = { kind: "none" };
  if (poolerKind === "pgbouncer") pooler = { kind: "pgbouncer", ...poolerAt, binary: o.pgbouncerBinary };
  if (poolerKind === "pgcat") {
    if (!o.pgcatConfig || !o.pgcatAdminPassword) throw new CliError("--pooler pgcat needs --pgcat-config and --pgcat-admin-password (or OROCHI_PGCAT_ADMIN_PASSWORD)", EXIT.usage);
    pooler = { kind: "pgcat", configFile: o.pgcatConfig, ...poolerAt, adminUser: o.pgcatAdminUser, adminPassword: o.pgcatAdminPassword };
  }
  const proxyPort = Number(o.proxyPort);
  if (!Number.isInteger(proxyPort) || proxyPort < 1 || proxyPort > 65535) throw new CliError("--proxy-port must be a port number", EXIT.usage);
  return {
    local,
    host: listen.host,
    port: listen.port,
    stateDir: o.stateDir ?? defaultStateDir(),
    ...(o.databaseUrl ? { databaseUrl: o.databaseUrl } : {}),
    ...(process.env.OROCHI_SECRET_KEY ? { secretKey: process.env.OROCHI_SECRET_KEY } : {}),
    ...(o.secretKeyFile ? { secretKeyFile: o.secretKeyFile } : {}),
    ...(o.internalToken ? { internalToken: o.internalToken } : {}),
    ...(o.scheduler ? { schedulerAddress: o.scheduler } : {}),
    ...(o.schedulerToken ? { schedulerToken: o.schedulerToken } : {}),
    pooler,
    proxyAddress: o.proxyAddress === "none" ? null : o.proxyAddress,
    proxyPort,
    region: o.region,
    domain: o.domain,
    ...(o.caFile ? { caFile: o.caFile } : {}),
  };
}

/** `orochi controlplane`: run the REST API (and, locally, PgBouncer) until SIGINT/SIGTERM. */
export function registerServeCommand(program: Command): void {
  program
    .command("controlplane")
    .description("run the control plane: REST API /v1, internal API for proxies, pooler management")
    .option("--listen <host:port>", "address of the HTTP API", `127.0.0.1:${DEFAULT_CONTROL_PLANE_PORT}`)
    .addOption(
      new Option("--mode <mode>", "local: embedded store, generated keys, admin key file; production: everything given explicitly")
        .choices(["local", "production"])
        .default("local"),
    )
    .option("--state-dir <dir>", "state directory (default: OROCHI_HOME or ./.orochi)")
    .addOption(new Option("--database-url <url>", "PostgreSQL URL of the store (required in production; local default: a Postgres under the state dir)").env("OROCHI_DATABASE_URL"))
    .option("--secret-key-file <file>", "file with the 32-byte key encrypting passwords (or OROCHI_SECRET_KEY; local default: <state dir>/secret.key, created 0600)")
    .addOption(new Option("--internal-token <token>", "token proxies present to /internal/v1 (local default: <state dir>/internal-token)").env("OROCHI_INTERNAL_TOKEN"))
    .option("--scheduler <host:port>", "scheduler gRPC address (without it clusters stay 'provisioning')")
    .addOption(new Option("--scheduler-token <token>", "scheduler's shared token").env("OROCHI_SCHEDULER_TOKEN"))
    .addOption(new Option("--pooler <kind>", "pooler to manage (default: pgbouncer when installed in local mode, else none)").choices(["pgbouncer", "pgcat", "none"]))
    .option("--pooler-listen <host:port>", "where the pooler listens (PgBouncer is started there)", `127.0.0.1:${DEFAULT_POOLER_PORT}`)
    .option("--pgbouncer-binary <path>", "PgBouncer executable", DEFAULT_PGBOUNCER_BINARY)
    .option("--pgcat-config <file>", "pgcat.toml to write (PgCat run separately)")
    .option("--pgcat-admin-user <name>", "PgCat admin user", "pgcat")
    .addOption(new Option("--pgcat-admin-password <password>", "PgCat admin password").env("OROCHI_PGCAT_ADMIN_PASSWORD"))
    .option("--proxy-address <address>", "address in connection strings (local stack); 'none' = <endpoint>.<region>.<domain> host names", "127.0.0.1")
    .option("--proxy-port <port>", "proxy port in connection strings", String(DEFAULT_PROXY_PORT))
    .option("--region <region>", "region this control plane serves", DEFAULT_REGION)
    .option("--domain <domain>", "domain of endpoint host names", DEFAULT_DOMAIN)
    .option("--ca-file <file>", "CA certificate for sslrootcert in connection strings (local default: <state dir>/tls/ca.crt)")
    .addOption(new Option("--redis <url>", "Redis shared with the proxies: endpoint changes are published there so every replica drops its cached route at once").env("OROCHI_REDIS_URL"))
    .action(async (o: ServeOptions) => {
      try {
        const cp = await startControlPlane(serveConfig(o));
        process.stdout.write(`control plane listening on ${cp.url}\n`);
        if (cp.adminKeyFile) process.stdout.write(`admin API key: ${cp.adminKeyFile}\n`);
        if (cp.pooler) process.stdout.write(`pooler (${cp.pooler.kind}): ${cp.pooler.host}:${cp.pooler.port}\n`);
        const invalidations = o.redis ? publishInvalidations({ events: cp.events, url: o.redis, log: createLogger("controlplane") }) : null;
        await new Promise<void>((resolve) => {
          process.once("SIGINT", resolve);
          process.once("SIGTERM", resolve);
        });
        await invalidations?.close();
        await cp.close();
      } catch (err) {
        reportError(err);
      }
    });
}

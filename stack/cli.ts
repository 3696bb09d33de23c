import { Command, Option } from "commander";
import { onShutdownSignals, parsePositiveInt } from "../common/cli-options.js";
import { defaultStateDir } from "../common/paths.js";
import { LOCAL_STACK_PORTS, startLocalStack } from "./local-stack.js";

interface UpOptions {
  stateDir: string;
  databaseUrl?: string;
  pooler: "auto" | "pgbouncer" | "none";
  proxyPort: number;
  httpPort: number;
  apiPort: number;
  schedulerPort: number;
  schedulerHttpPort: number;
  poolerPort: number;
  redis?: string;
}

export function registerUpCommand(program: Command): void {
  const p = LOCAL_STACK_PORTS;
  program
    .command("up")
    .description("Start the whole local stack: scheduler, control plane (and its Postgres), PgBouncer when installed, and the proxy. Ctrl-C stops everything.")
    .addOption(new Option("--state-dir <dir>", "state directory").env("OROCHI_HOME").default(defaultStateDir(), "$OROCHI_HOME or ./.orochi"))
    .addOption(new Option("--database-url <url>", "control-plane database (default: a local Postgres under the state directory)").env("OROCHI_DATABASE_URL"))
    .addOption(new Option("--pooler <kind>", "connection pooler").choices(["auto", "pgbouncer", "none"]).default("auto"))
    .addOption(new Option("--proxy-port <port>", "PostgreSQL port of the proxy").argParser(parsePositiveInt).default(p.proxy))
    .addOption(new Option("--http-port <port>", "proxy /metrics, /healthz, /readyz").argParser(parsePositiveInt).default(p.proxyHttp))
    .addOption(new Option("--api-port <port>", "control plane REST API").argParser(parsePositiveInt).default(p.controlPlane))
    .addOption(new Option("--scheduler-port <port>", "scheduler gRPC").argParser(parsePositiveInt).default(p.scheduler))
    .addOption(new Option("--scheduler-http-port <port>", "scheduler /metrics, /healthz, /readyz").argParser(parsePositiveInt).default(p.schedulerHttp))
    .addOption(new Option("--pooler-port <port>", "PgBouncer").argParser(parsePositiveInt).default(p.pooler))
    .addOption(new Option("--redis <url>", "Redis for state shared with other proxy replicas (redis://host:port); without it, in memory").env("OROCHI_REDIS_URL"))
    .action(async (o: UpOptions) => {
      process.stderr.write("starting the local stack…\n");
      const stack = await startLocalStack({
        stateDir: o.stateDir,
        ...(o.databaseUrl ? { databaseUrl: o.databaseUrl } : {}),
        pooler: o.pooler,
        ...(o.redis ? { redisUrl: o.redis } : {}),
        ports: { proxy: o.proxyPort, proxyHttp: o.httpPort, controlPlane: o.apiPort, scheduler: o.schedulerPort, schedulerHttp: o.schedulerHttpPort, pooler: o.poolerPort },
      });
      onShutdownSignals({ SIGTERM: () => stack.stop(), SIGINT: () => stack.stop() });
      const lines = [
        "",
        "Orochi local stack is up:",
        `  proxy (PostgreSQL)  127.0.0.1:${stack.proxy.port}   host names <endpoint>.local.orochi.localhost`,
        `  proxy metrics       http://127.0.0.1:${stack.proxy.httpPort}/metrics`,
        `  control plane API   ${stack.controlPlane.url}/v1   (OpenAPI: ${stack.controlPlane.url}/v1/openapi.json)`,
        `  scheduler (gRPC)    ${stack.scheduler.address}   metrics http://127.0.0.1:${stack.scheduler.httpPort}/metrics`,
        `  pooler (PgBouncer)  ${stack.poolerPort ? `127.0.0.1:${stack.poolerPort}` : "not running (install pgbouncer)"}`,
        `  shared state        ${o.redis ? "Redis (route cache, limits, cancel keys, wakes across replicas)" : "in memory (one proxy; --redis to share)"}`,
        `  admin API key       ${stack.controlPlane.adminKeyFile}`,
        `  local CA            ${stack.caFile}`,
        "",
        "Try:  orochi cluster create mydb   then   orochi connect mydb",
        "Ctrl-C stops everything.",
        "",
      ];
      process.stderr.write(lines.join("\n"));
      process.stdout.write(
        JSON.stringify({
          event: "ready",
          proxy_port: stack.proxy.port,
          http_port: stack.proxy.httpPort,
          api_url: stack.controlPlane.url,
          scheduler: stack.scheduler.address,
          pooler_port: stack.poolerPort,
          admin_key_file: stack.controlPlane.adminKeyFile,
          ca_file: stack.caFile,
        }) + "\n",
      );
    });
}

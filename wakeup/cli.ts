import { readFileSync } from "node:fs";
import { Command, InvalidArgumentError } from "commander";
import { onShutdownSignals } from "../common/cli-options.js";
import {
  DEFAULT_SCHEDULER_HTTP_PORT,
  DEFAULT_SCHEDULER_LISTEN,
  defaultSchedulerStateDir,
  SCHEDULER_TOKEN_ENV,
} from "./server/config.js";
import { startScheduler } from "./server/scheduler.js";

interface SchedulerFlags {
  listen: string;
  stateDir: string;
  token?: string;
  tlsCert?: string;
  tlsKey?: string;
  httpPort: number;
  http: boolean;
  templateDir?: string;
}

/** `orochi scheduler`: run the scheduler (gRPC + local compute backend) until SIGINT/SIGTERM. */
export function registerSchedulerCommand(program: Command): void {
  program
    .command("scheduler")
    .description("run the compute scheduler: gRPC wake-up service with the local PostgreSQL backend")
    .option("--listen <host:port>", "gRPC listen address", DEFAULT_SCHEDULER_LISTEN)
    .option("--state-dir <dir>", "state directory (computes, registry)", defaultSchedulerStateDir())
    .option("--token <token>", `shared token callers must send (default: $${SCHEDULER_TOKEN_ENV})`)
    .option("--tls-cert <file>", "serve TLS with this certificate (PEM)")
    .option("--tls-key <file>", "private key for --tls-cert (PEM)")
    .option("--http-port <port>", "port of /metrics, /healthz, /readyz", parsePort, DEFAULT_SCHEDULER_HTTP_PORT)
    .option("--no-http", "do not serve /metrics, /healthz, /readyz")
    .option("--template-dir <dir>", "template data directory to copy computes from")
    .action(async (flags: SchedulerFlags) => {
      if (Boolean(flags.tlsCert) !== Boolean(flags.tlsKey)) throw new InvalidArgumentError("--tls-cert and --tls-key go together");
      const scheduler = await startScheduler({
        listen: flags.listen,
        stateDir: flags.stateDir,
        token: flags.token ?? (process.env[SCHEDULER_TOKEN_ENV] || undefined),
        tls: flags.tlsCert && flags.tlsKey ? { cert: readFileSync(flags.tlsCert), key: readFileSync(flags.tlsKey) } : undefined,
        http: flags.http ? { port: flags.httpPort } : false,
        templateDir: flags.templateDir,
      });
      process.stdout.write(`scheduler listening on ${scheduler.address}\n`);
      // Computes keep running on shutdown: the next scheduler adopts them.
      const stop = () => scheduler.close();
      onShutdownSignals({ SIGTERM: stop, SIGINT: stop });
    });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new InvalidArgumentError(`not a port: ${value}`);
  return port;
}

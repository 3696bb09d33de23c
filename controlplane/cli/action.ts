import { Option } from "commander";
import { clientContext, type ClientContext } from "./api-client.js";
import { CliError, EXIT } from "./exit-codes.js";
import { parseOutputFormat } from "./output.js";
import { loadSettings, type OutputFormat } from "./settings.js";

/** `-o, --output`: every client command has it; its default comes from `orochi config`. */
export const outputOption = () => new Option("-o, --output <format>", "output format: table, json or yaml (default: orochi config output)");

export interface ActionContext {
  client: ClientContext;
  output: OutputFormat;
}

/**
 * Wrap a command's action: builds the client context, prints CliErrors as one clear line and
 * sets the documented exit code (no stack traces for expected failures).
 */
export function clientAction<A extends unknown[]>(fn: (ctx: ActionContext, ...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const client = clientContext();
      const opts = args.find((a): a is { output?: string } => typeof a === "object" && a !== null && !Array.isArray(a) && "output" in a);
      const output = parseOutputFormat(opts?.output ?? loadSettings(client.stateDir).output);
      await fn({ client, output }, ...args);
    } catch (err) {
      reportError(err);
    }
  };
}

export function reportError(err: unknown): void {
  if (err instanceof CliError) {
    process.stderr.write(`orochi: ${err.message}\n`);
    process.exitCode = err.exitCode;
    return;
  }
  process.stderr.write(`orochi: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = EXIT.failure;
}

#!/usr/bin/env node
import { Command } from "commander";
import { registerCommands } from "./commands.js";

// Thin entry: parse arguments and hand over to the components' commands.
const program = new Command("orochi")
  .description("Orochi Cloud data plane: PostgreSQL proxy, scheduler and control plane")
  .version("0.1.0")
  .showHelpAfterError();
registerCommands(program);
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`orochi: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

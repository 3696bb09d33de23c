import type { Command } from "commander";
import { registerControlPlaneCommands } from "../controlplane/cli/index.js";
import { registerProxyCommand } from "../proxy/cli.js";
import { registerUpCommand } from "../stack/cli.js";
import { registerSchedulerCommand } from "../wakeup/cli.js";

/**
 * Every subcommand of the `orochi` CLI, each registered by the component that owns it.
 * Components export `register…Command(program)` from their cli module.
 */
export function registerCommands(program: Command): void {
  registerUpCommand(program);
  registerProxyCommand(program);
  registerControlPlaneCommands(program);
  registerSchedulerCommand(program);
}

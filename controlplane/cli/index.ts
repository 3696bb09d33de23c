import type { Command } from "commander";
import { registerClusterCommands } from "./cluster-commands.js";
import { registerConfigCommands } from "./config-command.js";
import { registerConnectCommand } from "./connect-command.js";
import { registerServeCommand } from "./serve-command.js";
import { registerSqlCommand } from "./sql-command.js";
import { registerUsageCommand } from "./usage-command.js";

/** Every `orochi` command the control plane owns. */
export function registerControlPlaneCommands(program: Command): void {
  registerServeCommand(program);
  registerClusterCommands(program);
  registerConnectCommand(program);
  registerSqlCommand(program);
  registerConfigCommands(program);
  registerUsageCommand(program);
}

import type { Command } from "commander";

/**
 * Every subcommand of the `orochi` CLI, each registered by the component that owns it.
 * Components export `register…Command(program)` from their cli module.
 */
export function registerCommands(_program: Command): void {
  // filled in as components land
}

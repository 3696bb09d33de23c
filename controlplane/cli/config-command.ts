import type { Command } from "commander";
import { defaultStateDir } from "../../common/paths.js";
import { reportError } from "./action.js";
import { parseOutputFormat, renderList, renderObject } from "./output.js";
import { loadSettings, saveSetting, SETTINGS, settingsPath, type SettingName } from "./settings.js";

/** `orochi config set <key> <value>` and `orochi config list`. */
export function registerConfigCommands(program: Command): void {
  const config = program.command("config").description(`CLI settings, kept in <state dir>/config.json (${Object.keys(SETTINGS).join(", ")})`);
  config
    .command("set <key> <value>")
    .description(Object.entries(SETTINGS).map(([k, s]) => `${k}: ${s.describe}`).join("; "))
    .action((key: string, value: string) => {
      try {
        saveSetting(defaultStateDir(), key, value);
        process.stdout.write(`${key} = ${value} (saved in ${settingsPath(defaultStateDir())})\n`);
      } catch (err) {
        reportError(err);
      }
    });
  config
    .command("list")
    .description("show every setting with its value")
    .option("-o, --output <format>", "table, json or yaml")
    .action((o: { output?: string }) => {
      try {
        const settings = loadSettings(defaultStateDir());
        const format = parseOutputFormat(o.output ?? settings.output);
        const rows = (Object.keys(SETTINGS) as SettingName[]).map((key) => ({ key, value: settings[key] }));
        process.stdout.write(
          format === "table" ? renderList(format, rows, [{ header: "KEY", value: (r) => r.key }, { header: "VALUE", value: (r) => r.value }]) : renderObject(format, settings),
        );
      } catch (err) {
        reportError(err);
      }
    });
}

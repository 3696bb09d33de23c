import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { DEFAULT_CONTROL_PLANE_PORT } from "../config.js";
import { CliError, EXIT } from "./exit-codes.js";

export const OUTPUT_FORMATS = ["table", "json", "yaml"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** What `orochi config set` can change, with how each value is checked. */
export const SETTINGS = {
  api_url: { describe: "control plane URL", default: `http://127.0.0.1:${DEFAULT_CONTROL_PLANE_PORT}`, check: (v: string) => /^https?:\/\/[^\s]+$/.test(v) },
  output: { describe: "default output format (table, json, yaml)", default: "table", check: (v: string) => (OUTPUT_FORMATS as readonly string[]).includes(v) },
} as const;
export type SettingName = keyof typeof SETTINGS;

/** `<state dir>/config.json`: the CLI's own settings (never secrets). */
export function settingsPath(stateDir: string): string {
  return join(stateDir, "config.json");
}

export function loadSettings(stateDir: string): Record<SettingName, string> {
  const file = settingsPath(stateDir);
  let saved: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      saved = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    } catch {
      throw new CliError(`${file} is not valid JSON; fix or delete it`, EXIT.usage);
    }
  }
  const out = {} as Record<SettingName, string>;
  for (const [name, spec] of Object.entries(SETTINGS) as [SettingName, (typeof SETTINGS)[SettingName]][]) {
    const value = saved[name];
    out[name] = typeof value === "string" && spec.check(value) ? value : spec.default;
  }
  return out;
}

export function saveSetting(stateDir: string, name: string, value: string): void {
  if (!(name in SETTINGS)) throw new CliError(`unknown setting "${name}" (known: ${Object.keys(SETTINGS).join(", ")})`, EXIT.usage);
  const spec = SETTINGS[name as SettingName];
  if (!spec.check(value)) throw new CliError(`invalid value for ${name}: expected ${spec.describe}`, EXIT.usage);
  const file = settingsPath(stateDir);
  const current = existsSync(file) ? loadSettings(stateDir) : {};
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify({ ...current, [name]: value }, null, 2) + "\n", { mode: 0o600 });
  renameSync(tmp, file);
}

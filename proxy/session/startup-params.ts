import { FORWARDED_STARTUP_PARAMETERS } from "../defaults.js";
import type { ConnectTarget } from "../../router/index.js";

/** Values of `replication` that mean "not a replication connection". */
const NOT_REPLICATION = new Set(["false", "off", "no", "0"]);

export function isReplicationRequest(params: ReadonlyMap<string, string>): boolean {
  const v = params.get("replication");
  return v !== undefined && !NOT_REPLICATION.has(v.toLowerCase());
}

/**
 * The startup packet for the compute: user and database (possibly rewritten for the pooler),
 * `options` without our endpoint= word, and the allow-listed parameters. Everything else the
 * client sent is dropped (returned for the log line).
 */
export function computeStartupParams(
  client: ReadonlyMap<string, string>,
  target: ConnectTarget,
  optionsRest: string,
): { params: Record<string, string>; dropped: string[] } {
  const user = client.get("user")!;
  const params: Record<string, string> = {
    user: target.user ?? user,
    database: target.database ?? (client.get("database") || user),
  };
  const dropped: string[] = [];
  for (const [name, value] of client) {
    const lower = name.toLowerCase();
    if (lower === "user" || lower === "database") continue;
    if (lower === "options") {
      if (optionsRest) params.options = optionsRest;
    } else if (FORWARDED_STARTUP_PARAMETERS.has(lower)) {
      params[name] = value;
    } else {
      dropped.push(name);
    }
  }
  return { params, dropped };
}

import { existsSync, readFileSync } from "node:fs";
import { defaultStateDir } from "../../common/paths.js";
import { adminKeyPath } from "../identity/bootstrap.js";
import { CliError, EXIT, exitCodeForStatus } from "./exit-codes.js";
import { loadSettings } from "./settings.js";

const REQUEST_TIMEOUT_MS = 120_000;

export interface ClientContext {
  stateDir: string;
  apiUrl: string;
  apiKey: string;
}

/** API URL: OROCHI_API_URL, else the config file; key: OROCHI_API_KEY, else <state dir>/admin-key. */
export function clientContext(): ClientContext {
  const stateDir = defaultStateDir();
  const settings = loadSettings(stateDir);
  const apiUrl = (process.env.OROCHI_API_URL ?? settings.api_url).replace(/\/+$/, "");
  let apiKey = process.env.OROCHI_API_KEY?.trim();
  if (!apiKey) {
    const file = adminKeyPath(stateDir);
    if (!existsSync(file)) throw new CliError(`no API key: set OROCHI_API_KEY or start the local stack (which saves ${file})`, EXIT.usage);
    apiKey = readFileSync(file, "utf8").trim();
  }
  return { stateDir, apiUrl, apiKey };
}

/** Call the API; non-2xx answers become a CliError with the server's code and message. */
export async function callApi<T>(ctx: ClientContext, method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(ctx.apiUrl + path, {
      method,
      headers: { authorization: `Bearer ${ctx.apiKey}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    const reason = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new CliError(`cannot reach the control plane at ${ctx.apiUrl} (${reason}); is it running? (orochi config set api_url …)`, EXIT.unavailable);
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: reported below
  }
  if (!res.ok) {
    const error = (json as { error?: { code?: string; message?: string } } | null)?.error;
    const retry = res.headers.get("retry-after");
    const message = error ? `${error.message} (${error.code})` : `HTTP ${res.status} from ${ctx.apiUrl}`;
    throw new CliError(message + (retry ? `; retry after ${retry} s` : ""), exitCodeForStatus(res.status));
  }
  return json as T;
}

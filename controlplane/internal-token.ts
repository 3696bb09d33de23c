import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { randomAlphanumeric } from "./crypto/random.js";

/** `<state dir>/internal-token`: the proxies' shared token in local mode (mode 0600). */
export function internalTokenPath(stateDir: string): string {
  return join(stateDir, "internal-token");
}

export function loadOrCreateInternalToken(stateDir: string): string {
  const file = internalTokenPath(stateDir);
  if (existsSync(file)) {
    const token = readFileSync(file, "utf8").trim();
    if (token.length >= 16) return token;
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const token = randomAlphanumeric(40);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, token, { mode: 0o600 });
  renameSync(tmp, file);
  return token;
}

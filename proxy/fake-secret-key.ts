import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

const KEY_BYTES = 32;

/**
 * The key behind fake verifiers for unknown roles. Replicas must share it (OROCHI_FAKE_SECRET_KEY,
 * hex) so an unknown role shows the same salt everywhere; alone, a key file in the state directory
 * keeps it stable across restarts.
 */
export function loadFakeSecretKey(file: string): Buffer {
  const fromEnv = process.env.OROCHI_FAKE_SECRET_KEY;
  if (fromEnv) {
    const key = Buffer.from(fromEnv, "hex");
    if (key.length < 16) throw new Error("OROCHI_FAKE_SECRET_KEY must be at least 16 bytes of hex");
    return key;
  }
  if (existsSync(file)) return readFileSync(file);
  mkdirSync(dirname(file), { recursive: true });
  const key = randomBytes(KEY_BYTES);
  writeFileSync(file, key, { mode: 0o600, flag: "wx" });
  return key;
}

import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export type SecretKeySource =
  /** Base64 or hex of 32 bytes, e.g. from OROCHI_SECRET_KEY. */
  | { value: string }
  /** A file holding the key (base64 or hex); created with mode 0600 when `create` is set. */
  | { file: string; create: boolean };

/** Load the 32-byte key that encrypts secrets at rest. */
export function loadSecretKey(source: SecretKeySource): Buffer {
  if ("value" in source) return decodeKey(source.value, "OROCHI_SECRET_KEY");
  if (!existsSync(source.file)) {
    if (!source.create) throw new Error(`secret key file ${source.file} does not exist (set OROCHI_SECRET_KEY or --secret-key-file)`);
    mkdirSync(dirname(source.file), { recursive: true, mode: 0o700 });
    // "wx": never overwrite a key another process just wrote; losing it loses every password.
    try {
      writeFileSync(source.file, randomBytes(32).toString("base64") + "\n", { mode: 0o600, flag: "wx" });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  return decodeKey(readFileSync(source.file, "utf8").trim(), source.file);
}

function decodeKey(text: string, origin: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, "hex") : Buffer.from(trimmed, "base64");
  if (key.length !== 32) throw new Error(`${origin}: the secret key must be 32 bytes in base64 or hex`);
  return key;
}

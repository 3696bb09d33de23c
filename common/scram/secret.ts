import { randomBytes } from "node:crypto";
import { clientKeyFrom, hmac, saltedPassword, serverKeyFrom, sha256 } from "./primitives.js";

/** A SCRAM-SHA-256 verifier as PostgreSQL stores it in pg_authid.rolpassword. */
export interface ScramSecret {
  readonly iterations: number;
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

const SECRET_FORMAT = /^SCRAM-SHA-256\$(\d{1,9}):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/;
/** PostgreSQL's default iteration count; fake secrets use it so they look like real ones. */
export const DEFAULT_ITERATIONS = 4096;

/** Parse `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`; null when malformed. */
export function parseScramSecret(text: string): ScramSecret | null {
  const m = SECRET_FORMAT.exec(text);
  if (!m) return null;
  const iterations = Number(m[1]);
  const salt = Buffer.from(m[2]!, "base64");
  const storedKey = Buffer.from(m[3]!, "base64");
  const serverKey = Buffer.from(m[4]!, "base64");
  if (iterations < 1 || salt.length === 0 || storedKey.length !== 32 || serverKey.length !== 32) return null;
  return { iterations, salt, storedKey, serverKey };
}

export function formatScramSecret(s: ScramSecret): string {
  return `SCRAM-SHA-256$${s.iterations}:${s.salt.toString("base64")}$${s.storedKey.toString("base64")}:${s.serverKey.toString("base64")}`;
}

/** Build the verifier for a password, as PostgreSQL does for `PASSWORD '…'`. */
export async function scramSecretFor(password: string, iterations = DEFAULT_ITERATIONS, salt = randomBytes(16)): Promise<ScramSecret> {
  const salted = await saltedPassword(password, salt, iterations);
  return { iterations, salt, storedKey: sha256(clientKeyFrom(salted)), serverKey: serverKeyFrom(salted) };
}

/**
 * A stable stand-in verifier for roles (or endpoints) that do not exist, so that the exchange
 * looks the same as for a real role and fails exactly like a wrong password. Derived from a
 * per-deployment key so the salt for a given name never changes between attempts or replicas.
 */
export function fakeScramSecret(deploymentKey: Buffer, endpointId: string, role: string): ScramSecret {
  const seed = hmac(deploymentKey, `fake-scram\0${endpointId}\0${role}`);
  return {
    iterations: DEFAULT_ITERATIONS,
    salt: seed.subarray(0, 16),
    storedKey: hmac(seed, "stored"),
    serverKey: hmac(seed, "server"),
  };
}

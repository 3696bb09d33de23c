import { clientKeyFrom, constantTimeEqual, saltedPassword, sha256 } from "../../common/scram/primitives.js";
import type { ScramSecret } from "../../common/scram/secret.js";

/** Largest iteration count we will run PBKDF2 for on behalf of a cleartext login (CPU bound). */
export const MAX_CLEARTEXT_ITERATIONS = 100_000;

/**
 * Check a cleartext password (the "password hack" path, only over TLS) against a SCRAM
 * verifier. Returns the ClientKey on success so the compute login works the same way as after
 * a SCRAM exchange; null on mismatch.
 */
export async function verifyCleartextPassword(secret: ScramSecret, password: string): Promise<Buffer | null> {
  if (secret.iterations > MAX_CLEARTEXT_ITERATIONS) return null;
  const clientKey = clientKeyFrom(await saltedPassword(password, secret.salt, secret.iterations));
  return constantTimeEqual(sha256(clientKey), secret.storedKey) ? clientKey : null;
}

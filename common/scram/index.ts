export { parseScramSecret, formatScramSecret, scramSecretFor, fakeScramSecret, DEFAULT_ITERATIONS } from "./secret.js";
export type { ScramSecret } from "./secret.js";
export { saltedPassword, clientKeyFrom, serverKeyFrom, sha256, hmac, xor, constantTimeEqual } from "./primitives.js";

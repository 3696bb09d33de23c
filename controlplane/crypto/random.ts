import { randomBytes } from "node:crypto";

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/**
 * Uniform random string over [A-Za-z0-9] (rejection sampling, no modulo bias). Alphanumeric so
 * passwords and keys survive URLs, shells and config files without escaping.
 */
export function randomAlphanumeric(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += ALPHANUMERIC[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** Lowercase letters and digits (endpoint ids, resource ids). */
export function randomLowerAlphanumeric(length: number): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 252) out += alphabet[byte % 36];
      if (out.length === length) break;
    }
  }
  return out;
}

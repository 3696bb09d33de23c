import { createHash } from "node:crypto";
import { randomAlphanumeric } from "../crypto/random.js";

export const API_KEY_PREFIX = "orochi_sk_";
/** 43 base62 characters ≈ 256 bits. */
const KEY_BODY_LENGTH = 43;
const KEY_PATTERN = /^orochi_sk_[A-Za-z0-9]{43}$/;

export function newApiKeySecret(): string {
  return API_KEY_PREFIX + randomAlphanumeric(KEY_BODY_LENGTH);
}

/** Keys are high-entropy random strings, so one SHA-256 is as good as a slow hash here. */
export function hashApiKey(key: string): Buffer {
  return createHash("sha256").update(key, "utf8").digest();
}

/** What listings show of a key: enough to tell keys apart, useless to an attacker. */
export function apiKeyDisplayPrefix(key: string): string {
  return key.slice(0, API_KEY_PREFIX.length + 4);
}

export function looksLikeApiKey(s: string): boolean {
  return KEY_PATTERN.test(s);
}

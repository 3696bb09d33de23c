import { createHash, timingSafeEqual } from "node:crypto";
import type { Metadata } from "@grpc/grpc-js";

/**
 * The shared-token check run before every call: metadata `authorization: Bearer <token>`.
 * Without a configured token every call passes (loopback-only; see config.ts). Digests are
 * compared so neither the length nor the content of the token leaks through timing.
 */
export function createTokenCheck(token: string | undefined): (metadata: Metadata) => boolean {
  if (token === undefined) return () => true;
  const expected = digest(token);
  return (metadata) => {
    const value = metadata.get("authorization")[0];
    if (typeof value !== "string" || !value.startsWith("Bearer ")) return false;
    return timingSafeEqual(digest(value.slice("Bearer ".length)), expected);
  };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

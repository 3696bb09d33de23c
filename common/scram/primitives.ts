import { createHash, createHmac, pbkdf2, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

const pbkdf2Async = promisify(pbkdf2);

export const sha256 = (data: Buffer): Buffer => createHash("sha256").update(data).digest();
export const hmac = (key: Buffer, data: string | Buffer): Buffer => createHmac("sha256", key).update(data).digest();

export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Hi() of RFC 5802 = PBKDF2-HMAC-SHA-256; off the event loop. */
export function saltedPassword(password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return pbkdf2Async(Buffer.from(password.normalize("NFKC"), "utf8"), salt, iterations, 32, "sha256");
}

export const clientKeyFrom = (salted: Buffer): Buffer => hmac(salted, "Client Key");
export const serverKeyFrom = (salted: Buffer): Buffer => hmac(salted, "Server Key");

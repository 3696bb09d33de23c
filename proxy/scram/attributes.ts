/**
 * SCRAM attribute lists (RFC 5802 §5): "a=value" pairs separated by commas. Values may contain
 * '=' but never ','. Returns null on any malformed attribute.
 */
export function parseAttributes(text: string): Array<[string, string]> | null {
  if (text.length === 0) return null;
  const out: Array<[string, string]> = [];
  for (const part of text.split(",")) {
    if (part.length < 2 || part[1] !== "=" || !/^[A-Za-z]$/.test(part[0]!)) return null;
    out.push([part[0]!, part.slice(2)]);
  }
  return out;
}

/** Printable ASCII except ',' (RFC 5802 "printable"). */
export const isPrintableNonce = (s: string): boolean => s.length > 0 && /^[\x21-\x2b\x2d-\x7e]+$/.test(s);

/** Strict base64 (what SCRAM uses for proofs, salts and channel binding). */
export function decodeBase64(s: string): Buffer | null {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) return null;
  return Buffer.from(s, "base64");
}

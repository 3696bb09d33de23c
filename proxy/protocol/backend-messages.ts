import { AUTH_CODES, BACKEND_TAGS } from "./codes.js";
import type { SqlState } from "./errors.js";

/** Encoders for the messages the proxy itself sends to clients (server → client direction). */

/** Frame a message body: tag byte, int32 length (including itself), body. */
export function message(tag: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = tag;
  out.writeUInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}

function cstring(s: string): Buffer {
  return Buffer.from(s + "\0", "utf8");
}

function int32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(n, 0);
  return b;
}

function auth(code: number, payload?: Buffer): Buffer {
  return message(BACKEND_TAGS.authentication, payload ? Buffer.concat([int32(code), payload]) : int32(code));
}

export const authenticationOk = (): Buffer => auth(AUTH_CODES.ok);
export const authenticationCleartextPassword = (): Buffer => auth(AUTH_CODES.cleartextPassword);
export const authenticationSasl = (mechanisms: readonly string[]): Buffer =>
  auth(AUTH_CODES.sasl, Buffer.concat([...mechanisms.map(cstring), Buffer.from([0])]));
export const authenticationSaslContinue = (data: string): Buffer => auth(AUTH_CODES.saslContinue, Buffer.from(data, "utf8"));
export const authenticationSaslFinal = (data: string): Buffer => auth(AUTH_CODES.saslFinal, Buffer.from(data, "utf8"));

export function backendKeyData(processId: number, secretKey: number): Buffer {
  const body = Buffer.allocUnsafe(8);
  body.writeInt32BE(processId, 0);
  body.writeInt32BE(secretKey, 4);
  return message(BACKEND_TAGS.backendKeyData, body);
}

export function negotiateProtocolVersion(newestMinor: number, unsupportedOptions: readonly string[]): Buffer {
  return message(
    BACKEND_TAGS.negotiateProtocolVersion,
    Buffer.concat([int32((3 << 16) | newestMinor), int32(unsupportedOptions.length), ...unsupportedOptions.map(cstring)]),
  );
}

export interface NoticeFields {
  severity: "FATAL" | "ERROR" | "NOTICE" | "WARNING" | "INFO" | "LOG";
  code: SqlState | string;
  message: string;
  hint?: string | undefined;
  detail?: string | undefined;
}

function fields(f: NoticeFields): Buffer {
  const parts = [
    Buffer.from("S"),
    cstring(f.severity),
    Buffer.from("V"),
    cstring(f.severity),
    Buffer.from("C"),
    cstring(f.code),
    Buffer.from("M"),
    cstring(f.message),
  ];
  if (f.detail) parts.push(Buffer.from("D"), cstring(f.detail));
  if (f.hint) parts.push(Buffer.from("H"), cstring(f.hint));
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

export const errorResponse = (f: Omit<NoticeFields, "severity"> & { severity?: "FATAL" | "ERROR" }): Buffer =>
  message(BACKEND_TAGS.errorResponse, fields({ severity: "FATAL", ...f }));

export const noticeResponse = (f: Omit<NoticeFields, "severity"> & { severity?: NoticeFields["severity"] }): Buffer =>
  message(BACKEND_TAGS.noticeResponse, fields({ severity: "NOTICE", ...f }));

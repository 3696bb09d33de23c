import { ClientError, SQLSTATE, protocolError } from "./errors.js";
import { PROTOCOL_CODES } from "./codes.js";

export type FirstPacket =
  | { readonly type: "ssl" }
  | { readonly type: "gssenc" }
  | { readonly type: "cancel"; readonly processId: number; readonly secretKey: number }
  | {
      readonly type: "startup";
      readonly minorVersion: number;
      /** Parameters in arrival order, names as sent; `_pq_.` protocol options are kept apart. */
      readonly params: ReadonlyMap<string, string>;
      readonly protocolOptions: readonly string[];
    };

/**
 * Parse the body of the first (untagged) packet a client sends: the request code or protocol
 * version, then for a StartupMessage the NUL-terminated name/value pairs and the final NUL.
 */
export function parseFirstPacket(body: Buffer): FirstPacket {
  if (body.length < 4) throw protocolError(`invalid length of startup packet: ${body.length + 4}`);
  const code = body.readUInt32BE(0);
  switch (code) {
    case PROTOCOL_CODES.sslRequest:
      if (body.length !== 4) throw protocolError("invalid length of SSLRequest");
      return { type: "ssl" };
    case PROTOCOL_CODES.gssEncRequest:
      if (body.length !== 4) throw protocolError("invalid length of GSSENCRequest");
      return { type: "gssenc" };
    case PROTOCOL_CODES.cancelRequest:
      if (body.length !== 12) throw protocolError("invalid length of CancelRequest");
      return { type: "cancel", processId: body.readInt32BE(4), secretKey: body.readInt32BE(8) };
  }
  const major = code >>> 16;
  const minor = code & 0xffff;
  if (major !== 3) {
    throw new ClientError(
      "user",
      SQLSTATE.featureNotSupported,
      `unsupported frontend protocol ${major}.${minor}: the proxy supports 3.0 to 3.0`,
    );
  }
  const { params, protocolOptions } = parseStartupParams(body, 4);
  return { type: "startup", minorVersion: minor, params, protocolOptions };
}

function parseStartupParams(body: Buffer, start: number): { params: Map<string, string>; protocolOptions: string[] } {
  const params = new Map<string, string>();
  const protocolOptions: string[] = [];
  let pos = start;
  for (;;) {
    if (pos >= body.length) throw protocolError("invalid startup packet layout: expected terminator as last byte");
    if (body[pos] === 0) {
      if (pos !== body.length - 1) throw protocolError("invalid startup packet layout: bytes after the terminator");
      break;
    }
    const nameEnd = body.indexOf(0, pos);
    if (nameEnd < 0) throw protocolError("invalid startup packet layout: unterminated parameter name");
    const valueEnd = body.indexOf(0, nameEnd + 1);
    if (valueEnd < 0) throw protocolError("invalid startup packet layout: unterminated parameter value");
    const name = body.toString("utf8", pos, nameEnd);
    const value = body.toString("utf8", nameEnd + 1, valueEnd);
    if (name.startsWith("_pq_.")) protocolOptions.push(name);
    else params.set(name, value);
    pos = valueEnd + 1;
  }
  return { params, protocolOptions };
}

import { protocolError } from "./errors.js";
import type { PacketReader } from "./packet-reader.js";

/** PROXY protocol v2 signature (haproxy's proxy-protocol.txt, section 2.2). */
const SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const HEADER_BYTES = 16;
/** Addresses plus TLVs; load balancers send well under this. */
export const MAX_PROXY_HEADER_PAYLOAD = 512;
const COMMAND_LOCAL = 0x0;
const COMMAND_PROXY = 0x1;
const FAMILY_TCP4 = 0x11;
const FAMILY_TCP6 = 0x21;

export interface ProxiedAddress {
  /** The original client, as the load balancer saw it; null for LOCAL (health checks). */
  readonly source: { address: string; port: number } | null;
}

/**
 * Read a PROXY protocol v2 header from the start of a connection (DESIGN.md step 1, behind a
 * TCP load balancer): the real client address for logs, allow-lists and throttling. Only v2 is
 * accepted; a connection without the header is refused rather than trusted.
 */
export async function readProxyHeader(reader: PacketReader): Promise<ProxiedAddress> {
  const header = await reader.readFixed(HEADER_BYTES);
  if (!header.subarray(0, 12).equals(SIGNATURE)) throw protocolError("expected a PROXY protocol v2 header");
  const version = header[12]! >> 4;
  const command = header[12]! & 0x0f;
  const family = header[13]!;
  const length = header.readUInt16BE(14);
  if (version !== 2) throw protocolError(`unsupported PROXY protocol version ${version}`);
  if (length > MAX_PROXY_HEADER_PAYLOAD) throw protocolError(`PROXY protocol header too long: ${length} bytes`);
  const payload = length > 0 ? await reader.readFixed(length) : Buffer.alloc(0);
  if (command === COMMAND_LOCAL) return { source: null };
  if (command !== COMMAND_PROXY) throw protocolError(`unsupported PROXY protocol command ${command}`);
  if (family === FAMILY_TCP4) {
    if (payload.length < 12) throw protocolError("PROXY protocol header too short for TCP over IPv4");
    return { source: { address: [...payload.subarray(0, 4)].join("."), port: payload.readUInt16BE(8) } };
  }
  if (family === FAMILY_TCP6) {
    if (payload.length < 36) throw protocolError("PROXY protocol header too short for TCP over IPv6");
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(payload.readUInt16BE(i).toString(16));
    return { source: { address: compressIpv6(groups), port: payload.readUInt16BE(32) } };
  }
  // UNSPEC or UNIX: the connection is proxied but carries no usable address.
  return { source: null };
}

/** Encode a header (load balancers and tests). */
export function encodeProxyHeader(source: { address: string; port: number }, destination: { address: string; port: number }): Buffer {
  const v6 = source.address.includes(":");
  const addr = (a: string) => (v6 ? expandIpv6(a) : Buffer.from(a.split(".").map(Number)));
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(source.port, 0);
  ports.writeUInt16BE(destination.port, 2);
  const payload = Buffer.concat([addr(source.address), addr(destination.address), ports]);
  const head = Buffer.alloc(4);
  head[0] = 0x20 | COMMAND_PROXY;
  head[1] = v6 ? FAMILY_TCP6 : FAMILY_TCP4;
  head.writeUInt16BE(payload.length, 2);
  return Buffer.concat([SIGNATURE, head, payload]);
}

function compressIpv6(groups: string[]): string {
  const text = groups.join(":");
  const runs = [...text.matchAll(/(?:^|:)0(?::0)+(?::|$)/g)].sort((a, b) => b[0].length - a[0].length);
  const longest = runs[0];
  if (!longest) return text;
  return (text.slice(0, longest.index) + "::" + text.slice(longest.index! + longest[0].length)).replace(/^:(?!:)|(?<!:):$/g, "");
}

function expandIpv6(address: string): Buffer {
  const [head, tail] = address.split("::") as [string, string | undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g || "0", 16), i * 2));
  return out;
}

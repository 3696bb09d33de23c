import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { PacketReader } from "./packet-reader.js";
import { encodeProxyHeader, readProxyHeader } from "./proxy-protocol.js";

async function parse(bytes: Buffer, split = bytes.length) {
  const stream = new PassThrough();
  const reader = new PacketReader(stream);
  const result = readProxyHeader(reader);
  stream.write(bytes.subarray(0, split));
  stream.write(bytes.subarray(split));
  return result;
}

describe("PROXY protocol v2", () => {
  it("reads IPv4 and IPv6 sources, however the bytes are split", async () => {
    const v4 = encodeProxyHeader({ address: "203.0.113.7", port: 51000 }, { address: "10.0.0.1", port: 4432 });
    for (let i = 1; i < v4.length; i++) expect(await parse(v4, i)).toEqual({ source: { address: "203.0.113.7", port: 51000 } });
    const v6 = encodeProxyHeader({ address: "2001:db8::42", port: 1234 }, { address: "2001:db8::1", port: 4432 });
    expect(await parse(v6)).toEqual({ source: { address: "2001:db8::42", port: 1234 } });
  });

  it("treats LOCAL (load-balancer health checks) as having no client address", async () => {
    const local = encodeProxyHeader({ address: "1.2.3.4", port: 1 }, { address: "5.6.7.8", port: 2 });
    local[12] = 0x20;
    expect(await parse(local)).toEqual({ source: null });
  });

  it("refuses connections without the header, v1 text headers and oversized payloads", async () => {
    const startup = Buffer.alloc(16);
    await expect(parse(startup)).rejects.toThrow(/expected a PROXY protocol v2 header/);
    await expect(parse(Buffer.from("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"))).rejects.toThrow(/expected a PROXY protocol v2 header/);
    const big = encodeProxyHeader({ address: "1.2.3.4", port: 1 }, { address: "5.6.7.8", port: 2 });
    big.writeUInt16BE(60_000, 14);
    await expect(parse(big)).rejects.toThrow(/too long/);
  });
});

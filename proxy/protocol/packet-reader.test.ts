import { PassThrough } from "node:stream";
import fc from "fast-check";
import { serialize } from "pg-protocol";
import { describe, expect, it } from "vitest";
import { ClientError } from "./errors.js";
import { PacketReader } from "./packet-reader.js";
import { parseFirstPacket } from "./startup.js";

const startup = serialize.startup({ user: "app", database: "db", options: "endpoint=ep-x-1" });
const sasl = serialize.sendSASLInitialResponseMessage("SCRAM-SHA-256", "n,,n=,r=abcdef");
const saslFinal = serialize.sendSCRAMClientFinalMessage("c=biws,r=abcdefXYZ,p=AAAA");

async function readAll(chunks: Buffer[]) {
  const stream = new PassThrough();
  const reader = new PacketReader(stream);
  const results = Promise.all([
    reader.readUntagged(10_000).then((b) => parseFirstPacket(b)),
    Promise.resolve(),
  ]).then(async ([first]) => [first, await reader.readTagged(4096), await reader.readTagged(4096)] as const);
  for (const c of chunks) stream.write(c);
  return results;
}

describe("PacketReader", () => {
  const all = Buffer.concat([startup, sasl, saslFinal]);

  it("yields the same packets however the bytes are split (every position, and byte by byte)", async () => {
    const whole = await readAll([all]);
    const first = whole[0];
    if (first.type !== "startup") throw new Error("expected a startup packet");
    expect(first.params.get("user")).toBe("app");
    expect(first.params.get("database")).toBe("db");
    expect(first.params.get("options")).toBe("endpoint=ep-x-1");
    expect(whole[1].tag).toBe(0x70);
    expect(whole[2].body.toString()).toBe("c=biws,r=abcdefXYZ,p=AAAA");
    for (let i = 1; i < all.length; i++) {
      const split = await readAll([all.subarray(0, i), all.subarray(i)]);
      expect(split).toEqual(whole);
    }
    const bytewise = await readAll([...all].map((b) => Buffer.from([b])));
    expect(bytewise).toEqual(whole);
  });

  it("rejects an oversized length as soon as the length is known", async () => {
    const stream = new PassThrough();
    const reader = new PacketReader(stream);
    const p = reader.readUntagged(10_000);
    stream.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    await expect(p).rejects.toThrow(/exceeds the limit of 10000/);
  });

  it("refuses an unexpected tag before reading its length", async () => {
    const stream = new PassThrough();
    const reader = new PacketReader(stream);
    const p = reader.readTagged(100, { tags: [0x70], name: "SASLResponse" });
    stream.write(Buffer.from([0x51]));
    await expect(p).rejects.toThrow(/expected SASLResponse message, got message type "Q"/);
  });

  it("reports a peer that closes mid-packet as a disconnect", async () => {
    const stream = new PassThrough();
    const reader = new PacketReader(stream);
    const p = reader.readUntagged(10_000);
    stream.write(startup.subarray(0, 5));
    stream.end();
    await expect(p).rejects.toMatchObject({ kind: "disconnect" });
  });

  it("detach returns the bytes not yet consumed", async () => {
    const stream = new PassThrough();
    const reader = new PacketReader(stream);
    stream.write(Buffer.concat([startup, Buffer.from("rest")]));
    await reader.readUntagged(10_000);
    expect(reader.detach().toString()).toBe("rest");
  });
});

describe("startup and authentication parsers (fuzz, time-boxed)", () => {
  it("parseFirstPacket throws only ClientErrors on arbitrary bodies", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          parseFirstPacket(Buffer.from(bytes));
        } catch (err) {
          expect(err).toBeInstanceOf(ClientError);
        }
      }),
      { interruptAfterTimeLimit: 2_000, numRuns: 100_000 },
    );
  });

  it("parseFirstPacket on mutated valid startup packets throws only ClientErrors", () => {
    const body = startup.subarray(4);
    fc.assert(
      fc.property(fc.nat(body.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(body.length), (pos, value, cut) => {
        const mutated = Buffer.from(body.subarray(0, Math.max(cut, 4)));
        if (pos < mutated.length) mutated[pos] = value;
        try {
          const p = parseFirstPacket(mutated);
          expect(["startup", "ssl", "gssenc", "cancel"]).toContain(p.type);
        } catch (err) {
          expect(err).toBeInstanceOf(ClientError);
        }
      }),
      { interruptAfterTimeLimit: 1_000, numRuns: 50_000 },
    );
  });

  it("PacketReader ends any arbitrary stream with whole packets or a ClientError", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { maxLength: 20 }), async (chunks) => {
        const stream = new PassThrough();
        const reader = new PacketReader(stream);
        const reads = (async () => {
          for (let i = 0; i < 5; i++) await reader.readTagged(128);
        })();
        for (const c of chunks) stream.write(Buffer.from(c));
        stream.end();
        await reads.catch((err: unknown) => expect(err).toBeInstanceOf(ClientError));
      }),
      { interruptAfterTimeLimit: 2_000, numRuns: 2_000 },
    );
  });
});

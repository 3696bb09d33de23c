import { describe, expect, it } from "vitest";
import { compileAllowList, parseAllowEntry } from "../../router/allow-list.js";

describe("allow-list entries", () => {
  it.each([
    ["192.0.2.7", { family: 4, first: 0xc0000207n, last: 0xc0000207n }],
    ["192.0.2.0/24", { family: 4, first: 0xc0000200n, last: 0xc00002ffn }],
    // Host bits are ignored, as PostgreSQL's inet does.
    ["192.0.2.99/24", { family: 4, first: 0xc0000200n, last: 0xc00002ffn }],
    ["0.0.0.0/0", { family: 4, first: 0n, last: 0xffffffffn }],
    ["192.0.2.10-192.0.2.20", { family: 4, first: 0xc000020an, last: 0xc0000214n }],
    [" 10.0.0.1 - 10.0.0.1 ", { family: 4, first: 0x0a000001n, last: 0x0a000001n }],
    ["2001:db8::1", { family: 6, first: 0x20010db8000000000000000000000001n, last: 0x20010db8000000000000000000000001n }],
    ["2001:db8::/32", { family: 6, first: 0x20010db8000000000000000000000000n, last: 0x20010db8ffffffffffffffffffffffffn }],
    ["2001:db8::a-2001:db8::f", { family: 6, first: 0x20010db800000000000000000000000an, last: 0x20010db800000000000000000000000fn }],
    ["::ffff:192.0.2.7", { family: 4, first: 0xc0000207n, last: 0xc0000207n }],
  ])("%s", (text, range) => {
    expect(parseAllowEntry(text)).toEqual(range);
  });

  it.each(["", "not-an-address", "192.0.2.256", "192.0.2.0/33", "2001:db8::/129", "192.0.2.0/-1", "192.0.2.0/", "192.0.2.20-192.0.2.10", "192.0.2.1-2001:db8::1", "1.2.3.4/24/8", "010.0.0.1"])(
    "rejects %j",
    (text) => {
      expect(parseAllowEntry(text)).toBeNull();
    },
  );
});

describe("allow-lists", () => {
  it("empty allows everyone", () => {
    const { list } = compileAllowList([]);
    expect(list.allowsAll).toBe(true);
    expect(list.allows("203.0.113.9")).toBe(true);
  });

  it("match IPv4, IPv6 and IPv4-mapped client addresses against singles, ranges and CIDRs", () => {
    const { list, invalid } = compileAllowList(["127.0.0.2", "10.1.0.0/16", "192.0.2.10-192.0.2.20", "2001:db8:1::/48"]);
    expect(invalid).toEqual([]);
    expect(list.allows("127.0.0.2")).toBe(true);
    expect(list.allows("::ffff:127.0.0.2")).toBe(true);
    expect(list.allows("127.0.0.1")).toBe(false);
    expect(list.allows("10.1.255.255")).toBe(true);
    expect(list.allows("10.2.0.0")).toBe(false);
    expect(list.allows("192.0.2.15")).toBe(true);
    expect(list.allows("192.0.2.21")).toBe(false);
    expect(list.allows("2001:db8:1:ffff::1")).toBe(true);
    expect(list.allows("2001:db8:2::1")).toBe(false);
    expect(list.allows("fe80::1%eth0")).toBe(false);
    expect(list.allows("")).toBe(false);
  });

  it("an entry that does not parse matches nothing and never widens the list", () => {
    const { list, invalid } = compileAllowList(["garbage"]);
    expect(invalid).toEqual(["garbage"]);
    expect(list.allowsAll).toBe(false);
    expect(list.allows("127.0.0.1")).toBe(false);
  });
});

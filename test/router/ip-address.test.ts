import { describe, expect, it } from "vitest";
import { formatIp, parseIp, subnetKey } from "../../router/ip-address.js";
import { AUTH_SOURCE_PREFIXES, CANCEL_SUBNET_PREFIXES } from "../../router/settings.js";

describe("IP addresses and subnet keys", () => {
  it("parse IPv4, IPv6 (compressed, embedded IPv4, zone) and fold IPv4-mapped IPv6 into IPv4", () => {
    expect(parseIp("192.0.2.7")).toEqual({ family: 4, value: 0xc0000207n });
    expect(parseIp("::1")).toEqual({ family: 6, value: 1n });
    expect(parseIp("::")).toEqual({ family: 6, value: 0n });
    expect(parseIp("2001:db8::")).toEqual({ family: 6, value: 0x20010db8n << 96n });
    expect(parseIp("64:ff9b::192.0.2.33")).toEqual({ family: 6, value: (0x64ff9bn << 96n) | 0xc0000221n });
    expect(parseIp("fe80::1%eth0")).toEqual({ family: 6, value: (0xfe80n << 112n) | 1n });
    expect(parseIp("::ffff:10.0.0.1")).toEqual({ family: 4, value: 0x0a000001n });
    expect(parseIp("nonsense")).toBeNull();
    expect(parseIp("")).toBeNull();
  });

  it("format back (uncompressed IPv6: stable key text)", () => {
    expect(formatIp(parseIp("192.0.2.7")!)).toBe("192.0.2.7");
    expect(formatIp(parseIp("2001:db8::1")!)).toBe("2001:db8:0:0:0:0:0:1");
  });

  it("cancel subnets: /24 for IPv4, /64 for IPv6", () => {
    expect(subnetKey("192.0.2.7", CANCEL_SUBNET_PREFIXES)).toBe("192.0.2.0/24");
    expect(subnetKey("192.0.2.250", CANCEL_SUBNET_PREFIXES)).toBe("192.0.2.0/24");
    expect(subnetKey("192.0.3.1", CANCEL_SUBNET_PREFIXES)).toBe("192.0.3.0/24");
    expect(subnetKey("::ffff:192.0.2.7", CANCEL_SUBNET_PREFIXES)).toBe("192.0.2.0/24");
    expect(subnetKey("2001:db8:1:2:aaaa::1", CANCEL_SUBNET_PREFIXES)).toBe("2001:db8:1:2:0:0:0:0/64");
    expect(subnetKey("2001:db8:1:3::1", CANCEL_SUBNET_PREFIXES)).toBe("2001:db8:1:3:0:0:0:0/64");
    expect(subnetKey("not an address", CANCEL_SUBNET_PREFIXES)).toBeNull();
  });

  it("auth-failure sources: the IPv4 address, the IPv6 /64", () => {
    expect(subnetKey("192.0.2.7", AUTH_SOURCE_PREFIXES)).toBe("192.0.2.7/32");
    expect(subnetKey("2001:db8:1:2::7", AUTH_SOURCE_PREFIXES)).toBe(subnetKey("2001:db8:1:2::8", AUTH_SOURCE_PREFIXES));
  });
});

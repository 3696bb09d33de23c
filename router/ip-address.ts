import { isIPv4, isIPv6 } from "node:net";

/** An IP address as a number: 32 bits for IPv4, 128 for IPv6. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
}

export const IP_BITS = { 4: 32, 6: 128 } as const;

/** How much of an address identifies "one source": prefix lengths per family. */
export interface SubnetPrefixes {
  readonly v4: number;
  readonly v6: number;
}

/**
 * Parse an IPv4 or IPv6 address (zone ids dropped). IPv4-mapped IPv6 (`::ffff:a.b.c.d`, what a
 * dual-stack listener reports for IPv4 clients) is the IPv4 address, so rules written for IPv4
 * apply to those clients too.
 */
export function parseIp(text: string): IpAddress | null {
  const s = text.trim();
  if (isIPv4(s)) return { family: 4, value: ipv4Value(s) };
  const withoutZone = s.replace(/%.*$/, "");
  if (!isIPv6(withoutZone)) return null;
  const value = ipv6Value(withoutZone);
  if (value >> 32n === 0xffffn) return { family: 4, value: value & 0xffffffffn };
  return { family: 6, value };
}

/** Keep the first `prefix` bits. */
export function maskTo(address: IpAddress, prefix: number): IpAddress {
  const bits = BigInt(IP_BITS[address.family]);
  const p = BigInt(prefix);
  const mask = p === 0n ? 0n : ((1n << p) - 1n) << (bits - p);
  return { family: address.family, value: address.value & mask };
}

/** The address's network as text, e.g. "192.0.2.0/24" or "2001:db8:0:1:0:0:0:0/64"; null when not an address. */
export function subnetKey(text: string, prefixes: SubnetPrefixes): string | null {
  const address = parseIp(text);
  if (!address) return null;
  const prefix = address.family === 4 ? prefixes.v4 : prefixes.v6;
  return `${formatIp(maskTo(address, prefix))}/${prefix}`;
}

/** Dotted quad, or eight uncompressed hex groups (stable text for keys, not for people). */
export function formatIp(address: IpAddress): string {
  if (address.family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((address.value >> shift) & 0xffn)).join(".");
  }
  const groups: string[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(((address.value >> shift) & 0xffffn).toString(16));
  return groups.join(":");
}

function ipv4Value(s: string): bigint {
  return s.split(".").reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

/** A valid IPv6 text (isIPv6 checked) as a 128-bit number; handles "::" and a dotted-quad tail. */
function ipv6Value(s: string): bigint {
  const toGroups = (part: string): number[] => {
    if (part === "") return [];
    return part.split(":").flatMap((g) => {
      if (!g.includes(".")) return [parseInt(g, 16)];
      const v = Number(ipv4Value(g));
      return [Math.floor(v / 0x10000), v % 0x10000];
    });
  };
  const [headText, tailText] = s.split("::") as [string, string | undefined];
  const head = toGroups(headText);
  const tail = tailText === undefined ? [] : toGroups(tailText);
  const zeros = new Array<number>(8 - head.length - tail.length).fill(0);
  return [...head, ...zeros, ...tail].reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

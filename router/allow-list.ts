import { IP_BITS, maskTo, parseIp } from "./ip-address.js";

/** One allow-list entry as an inclusive range of addresses of one family. */
export interface AddressRange {
  readonly family: 4 | 6;
  readonly first: bigint;
  readonly last: bigint;
}

/**
 * Parse one entry: a single address ("192.0.2.7", "2001:db8::7"), a CIDR block ("192.0.2.0/24";
 * host bits are ignored, as PostgreSQL's inet does), or a range of two addresses of the same
 * family ("192.0.2.10-192.0.2.20"). Null when it is none of these.
 */
export function parseAllowEntry(text: string): AddressRange | null {
  const entry = text.trim();
  const dash = entry.indexOf("-");
  if (dash >= 0) {
    const first = parseIp(entry.slice(0, dash));
    const last = parseIp(entry.slice(dash + 1));
    if (!first || !last || first.family !== last.family || first.value > last.value) return null;
    return { family: first.family, first: first.value, last: last.value };
  }
  const slash = entry.indexOf("/");
  if (slash < 0) {
    const address = parseIp(entry);
    return address ? { family: address.family, first: address.value, last: address.value } : null;
  }
  const base = parseIp(entry.slice(0, slash));
  const prefixText = entry.slice(slash + 1);
  if (!base || !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  const bits = IP_BITS[base.family];
  if (prefix > bits) return null;
  const network = maskTo(base, prefix).value;
  return { family: base.family, first: network, last: network + (1n << BigInt(bits - prefix)) - 1n };
}

export interface AllowList {
  /** No entries: every address is allowed. */
  readonly allowsAll: boolean;
  allows(address: string): boolean;
}

/**
 * Compile an endpoint's allowed_cidrs. Entries that do not parse are returned in `invalid` and
 * match nothing: a broken list refuses rather than admits (an empty list is the only "allow all").
 */
export function compileAllowList(entries: readonly string[]): { list: AllowList; invalid: string[] } {
  const ranges: AddressRange[] = [];
  const invalid: string[] = [];
  for (const e of entries) {
    const range = parseAllowEntry(e);
    if (range) ranges.push(range);
    else invalid.push(e);
  }
  const allowsAll = entries.length === 0;
  return {
    invalid,
    list: {
      allowsAll,
      allows(text) {
        if (allowsAll) return true;
        const address = parseIp(text);
        if (!address) return false;
        return ranges.some((r) => r.family === address.family && r.first <= address.value && address.value <= r.last);
      },
    },
  };
}

import { isValidEndpointId } from "../common/endpoint-id.js";
import { RouterError } from "./errors.js";

export { ENDPOINT_ID_PATTERN, isValidEndpointId } from "../common/endpoint-id.js";

/** A host-name or option suffix that asks for the pooled path. */
export const POOLER_SUFFIX = "-pooler";

export type EndpointSource = "sni" | "options" | "password";

export interface EndpointRequest {
  readonly endpointId: string;
  /** `<endpoint>-pooler`: go through the pooler (transaction pooling). */
  readonly pooled: boolean;
  readonly source: EndpointSource;
}

export const HOW_TO_PASS_ENDPOINT =
  "Connect with the endpoint host name (<endpoint>.<region>.<domain>, SNI), " +
  "or pass options=endpoint=<endpoint-id> (libpq: options='endpoint=ep-...'), " +
  "or prefix the password: endpoint=<endpoint-id>;<password>";

/** Split `ep-x-pooler` into id + pooled flag and validate the id. */
export function parseEndpointLabel(label: string, source: EndpointSource): EndpointRequest {
  const lower = label.toLowerCase();
  const pooled = lower.endsWith(POOLER_SUFFIX);
  const endpointId = pooled ? lower.slice(0, -POOLER_SUFFIX.length) : lower;
  if (!isValidEndpointId(endpointId)) {
    throw new RouterError(
      "endpoint_invalid",
      `invalid endpoint id "${label.slice(0, 80)}" (from ${source}): expected "ep-" followed by lowercase letters, digits and "-"`,
    );
  }
  return { endpointId, pooled, source };
}

/**
 * The endpoint label of an SNI host name under one of our domains: `<label>.<domain>`.
 * Returns null for names outside our domains (e.g. "localhost"), which carry no endpoint.
 */
export function endpointLabelFromSni(servername: string | null | undefined, domains: readonly string[]): string | null {
  if (!servername) return null;
  const host = servername.toLowerCase().replace(/\.$/, "");
  for (const domain of domains) {
    const suffix = "." + domain.toLowerCase();
    if (host.endsWith(suffix)) {
      const label = host.slice(0, -suffix.length);
      if (label.length === 0 || label.includes(".")) return null;
      return label;
    }
  }
  return null;
}

/**
 * Split a libpq `options` value into words (whitespace separated, backslash escapes the next
 * character) and take out `endpoint=<id>` / `--endpoint=<id>`; the remaining words are
 * re-escaped so they can be forwarded to the compute unchanged.
 */
export function extractEndpointFromOptions(options: string | undefined): { label: string | null; rest: string } {
  if (!options) return { label: null, rest: "" };
  const words = splitOptions(options);
  let label: string | null = null;
  const rest: string[] = [];
  for (const w of words) {
    const m = /^(?:--)?endpoint=(.*)$/.exec(w);
    if (m) label = m[1]!;
    else rest.push(w);
  }
  return { label, rest: rest.map((w) => w.replace(/[\\\s]/g, (c) => "\\" + c)).join(" ") };
}

function splitOptions(s: string): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\" && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** `endpoint=<id>;<password>` or `endpoint=<id>$<password>` (for clients without SNI or options). */
export function parsePasswordHack(password: string): { label: string; password: string } | null {
  const m = /^endpoint=([^;$]*)[;$]([\s\S]*)$/.exec(password);
  return m ? { label: m[1]!, password: m[2]! } : null;
}

/**
 * Combine what SNI and options say. Both present and different is an error; neither is
 * answered later (the password may still carry it).
 */
export function resolveEndpoint(sniLabel: string | null, optionsLabel: string | null): EndpointRequest | null {
  const fromSni = sniLabel === null ? null : parseEndpointLabel(sniLabel, "sni");
  const fromOptions = optionsLabel === null ? null : parseEndpointLabel(optionsLabel, "options");
  if (fromSni && fromOptions && fromSni.endpointId !== fromOptions.endpointId) {
    throw new RouterError(
      "endpoint_mismatch",
      `the endpoint in the host name ("${fromSni.endpointId}") and in options ("${fromOptions.endpointId}") differ`,
      undefined,
      "Remove endpoint= from options or connect to the matching host name.",
    );
  }
  if (fromSni && fromOptions) return { ...fromSni, pooled: fromSni.pooled || fromOptions.pooled };
  return fromSni ?? fromOptions;
}

import { randomLowerAlphanumeric } from "./crypto/random.js";

/** DESIGN.md contract: "ep-" then lowercase letters, digits and "-", at most 63 characters. */
export { ENDPOINT_ID_PATTERN } from "../common/endpoint-id.js";
/** Cluster names: DNS-label-like, so they read well in CLIs and never look like an id. */
export const CLUSTER_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
/** Role and database names: plain SQL identifiers that need no quoting anywhere, at most 63 bytes (NAMEDATALEN). */
export const SQL_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;
/** Cluster ids carry a "_" so that no cluster name can ever be mistaken for one. */
export const CLUSTER_ID_PATTERN = /^cl_[a-z0-9]{20}$/;

const ADJECTIVES = ["quiet", "bold", "calm", "bright", "swift", "silent", "misty", "amber", "frosty", "gentle", "green", "lively", "rapid", "snowy", "sunny", "wild"];
const NOUNS = ["river", "forest", "meadow", "lake", "cloud", "field", "hill", "moon", "ocean", "pine", "rain", "sea", "star", "stone", "wave", "wind"];

function pick(words: readonly string[]): string {
  const [i] = randomLowerAlphanumeric(1);
  return words[parseInt(i ?? "0", 36) % words.length]!;
}

/** e.g. ep-quiet-river-a1b2c3d4: readable, and 36^8 random suffixes keep collisions improbable. */
export function newEndpointId(): string {
  return `ep-${pick(ADJECTIVES)}-${pick(NOUNS)}-${randomLowerAlphanumeric(8)}`;
}

export function newClusterId(): string {
  return `cl_${randomLowerAlphanumeric(20)}`;
}

export function newOrganizationId(): string {
  return `org_${randomLowerAlphanumeric(20)}`;
}

export function newApiKeyId(): string {
  return `key_${randomLowerAlphanumeric(20)}`;
}

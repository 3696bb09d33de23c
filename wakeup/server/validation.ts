import { ENDPOINT_ID_MAX_LENGTH, isValidEndpointId } from "../../common/endpoint-id.js";
import { parseScramSecret } from "../../common/scram/index.js";
import { MAX_CU } from "../backend/sizing.js";
import { invalidArgument } from "./errors.js";

export { ENDPOINT_ID_MAX_LENGTH, ENDPOINT_ID_PATTERN, isValidEndpointId } from "../../common/endpoint-id.js";

/** Plain SQL identifiers only (PostgreSQL truncates names beyond 63 bytes: NAMEDATALEN - 1). */
const IDENTIFIER_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** The scheduler administers computes as `postgres`; role specs reserve the others. */
const RESERVED_ROLES = new Set(["postgres", "public", "none", "current_user", "current_role", "session_user"]);
const RESERVED_DATABASES = new Set(["template0", "template1"]);


export function checkEndpointId(id: string, field = "endpoint_id"): string {
  if (!id) throw invalidArgument(`${field} is required`);
  if (!isValidEndpointId(id)) {
    throw invalidArgument(`${field} must be "ep-" followed by lowercase letters, digits and "-", at most ${ENDPOINT_ID_MAX_LENGTH} characters`);
  }
  return id;
}

export function checkCu(cu: number): number {
  if (!Number.isFinite(cu) || cu <= 0 || cu > MAX_CU) throw invalidArgument(`cu must be greater than 0 and at most ${MAX_CU}`);
  return cu;
}

export function checkRoleName(name: string): string {
  checkIdentifier(name, "role");
  if (RESERVED_ROLES.has(name.toLowerCase()) || name.toLowerCase().startsWith("pg_")) throw invalidArgument(`role "${name}" is reserved`);
  return name;
}

export function checkDatabaseName(name: string): string {
  checkIdentifier(name, "database");
  if (RESERVED_DATABASES.has(name.toLowerCase())) throw invalidArgument(`database "${name}" is reserved`);
  return name;
}

/** pg_authid.rolpassword form; only base64, `$` and `:` can pass, so it is safe in a SQL literal. */
export function checkScramSecret(secret: string): string {
  if (parseScramSecret(secret) === null) throw invalidArgument("scram_secret must be SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey> (as pg_authid stores it)");
  return secret;
}

function checkIdentifier(name: string, field: string): void {
  if (!IDENTIFIER_PATTERN.test(name)) {
    throw invalidArgument(`${field} must start with a letter or "_" and contain only letters, digits and "_" (at most 63)`);
  }
}

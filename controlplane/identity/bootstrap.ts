import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import type pg from "pg";
import type { Logger } from "../../common/log.js";
import { newOrganizationId } from "../names.js";
import { findActiveApiKey } from "../store/api-keys.js";
import { withTransaction } from "../store/db.js";
import { getOperatorOrganization, insertOrganization, type Organization } from "../store/organizations.js";
import { hashApiKey, looksLikeApiKey } from "./api-key-secret.js";
import { createApiKey } from "./api-keys.js";

export const LOCAL_ORGANIZATION_NAME = "local";

/** `<state dir>/admin-key` (DESIGN.md contract: the key alone, mode 0600). */
export function adminKeyPath(stateDir: string): string {
  return join(stateDir, "admin-key");
}

/**
 * Local mode: make sure the local (operator) organisation exists and that `<state dir>/admin-key`
 * holds a working admin key of it. First start creates both; a later start with the file lost
 * or its key revoked mints a new one. Returns whether a key was written.
 */
export async function bootstrapLocalAdmin(pool: pg.Pool, stateDir: string, logger: Logger): Promise<{ organization: Organization; keyFile: string; created: boolean }> {
  const keyFile = adminKeyPath(stateDir);
  let organization = await getOperatorOrganization(pool);
  if (organization && existsSync(keyFile)) {
    const saved = readFileSync(keyFile, "utf8").trim();
    if (looksLikeApiKey(saved)) {
      const key = await findActiveApiKey(pool, hashApiKey(saved));
      if (key && key.organizationId === organization.id && key.scope === "admin") return { organization, keyFile, created: false };
    }
  }
  const key = await withTransaction(pool, async (tx) => {
    organization = (await getOperatorOrganization(tx)) ?? (await insertOrganization(tx, { id: newOrganizationId(), name: LOCAL_ORGANIZATION_NAME, plan: "enterprise", isOperator: true }));
    return (await createApiKey(tx, organization.id, "local admin", "admin")).key;
  });
  mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
  const tmp = `${keyFile}.tmp-${process.pid}`;
  writeFileSync(tmp, key, { mode: 0o600 });
  renameSync(tmp, keyFile);
  logger.info({ keyFile }, "local admin API key saved");
  return { organization: organization!, keyFile, created: true };
}

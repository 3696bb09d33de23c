import type { Queryable } from "../store/db.js";
import { insertApiKey, type ApiKeyRecord, type Scope } from "../store/api-keys.js";
import { newApiKeyId } from "../names.js";
import { apiKeyDisplayPrefix, hashApiKey, newApiKeySecret } from "./api-key-secret.js";

/** Mint a key: only its hash is stored; the key itself is returned once, here. */
export async function createApiKey(db: Queryable, organizationId: string, name: string, scope: Scope): Promise<{ record: ApiKeyRecord; key: string }> {
  const key = newApiKeySecret();
  const record = await insertApiKey(db, { id: newApiKeyId(), organizationId, name, scope, keyHash: hashApiKey(key), keyPrefix: apiKeyDisplayPrefix(key) });
  return { record, key };
}

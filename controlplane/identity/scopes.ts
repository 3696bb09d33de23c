import type { Scope } from "../store/api-keys.js";

const RANK: Record<Scope, number> = { read: 0, write: 1, admin: 2 };

/** admin ⊇ write ⊇ read. */
export function scopeAllows(held: Scope, needed: Scope): boolean {
  return RANK[held] >= RANK[needed];
}

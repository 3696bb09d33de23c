import { resourcesForCu } from "../sizing.js";

export type GucValue = string | number | boolean;

/**
 * Settings chosen for start-up speed on a suspend (fast shutdown) → wake cycle. A fast shutdown
 * writes a shutdown checkpoint, so the next start needs no WAL replay; what is left of the start
 * is forking the postmaster and its helpers and mapping shared memory, which these keep small.
 */
const FAST_START_SETTINGS: Readonly<Record<string, GucValue>> = {
  // With the default "try", every start first attempts a MAP_HUGETLB mapping that fails without
  // reserved huge pages; "off" goes straight to the mapping that will be used.
  huge_pages: "off",
  // After a kill -9 the start-up syncs the whole data directory before crash recovery; one
  // syncfs() of the file system is much cheaper than an fsync per file.
  recovery_init_sync_method: "syncfs",
  // The socket directory is private already; keep the socket itself private too.
  unix_socket_permissions: "0700",
};

/**
 * GUCs for a compute of `cu` compute units: sizing from the instance table, the fast-start set,
 * then operator overrides (e.g. fsync=off for throwaway test computes) last so they win.
 */
export function computeSettings(cu: number, overrides: Readonly<Record<string, GucValue>> = {}): Record<string, GucValue> {
  const r = resourcesForCu(cu);
  return {
    max_connections: r.maxConnections,
    shared_buffers: `${r.sharedBuffersMb}MB`,
    effective_cache_size: `${r.effectiveCacheSizeMb}MB`,
    ...FAST_START_SETTINGS,
    ...overrides,
  };
}

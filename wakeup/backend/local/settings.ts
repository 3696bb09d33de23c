import { resourcesForCu } from "../sizing.js";

export type GucValue = string | number | boolean;

/**
 * Settings chosen for start-up speed on a suspend (fast shutdown) → wake cycle. A fast shutdown
 * writes a shutdown checkpoint, so the next start needs no WAL replay; what is left of the start
 * is forking the postmaster and its helpers and mapping shared memory, which these keep small.
 */
const FAST_START_SETTINGS: Readonly<Record<string, GucValue>> = {
  // With the default "try", a start first attempts a MAP_HUGETLB mapping, which fails where no
  // huge pages are reserved (the common case for many small computes); "off" skips the attempt.
  huge_pages: "off",
  // The socket directory is private already; keep the socket itself private too.
  unix_socket_permissions: "0700",
};

/**
 * After a kill -9 the start-up syncs the whole data directory before crash recovery; one
 * syncfs() of the file system is much cheaper than an fsync per file. PostgreSQL 14 and later.
 */
const CRASH_RESTART_SETTINGS: Readonly<Record<string, GucValue>> = { recovery_init_sync_method: "syncfs" };
const CRASH_RESTART_SETTINGS_SINCE = 14;

/**
 * GUCs for a compute of `cu` compute units: sizing from the instance table, the fast-start set,
 * then operator overrides (e.g. fsync=off for throwaway test computes) last so they win.
 */
export function computeSettings(cu: number, pgMajor: number, overrides: Readonly<Record<string, GucValue>> = {}): Record<string, GucValue> {
  const r = resourcesForCu(cu);
  return {
    max_connections: r.maxConnections,
    shared_buffers: `${r.sharedBuffersMb}MB`,
    effective_cache_size: `${r.effectiveCacheSizeMb}MB`,
    ...FAST_START_SETTINGS,
    ...(pgMajor >= CRASH_RESTART_SETTINGS_SINCE ? CRASH_RESTART_SETTINGS : {}),
    ...overrides,
  };
}

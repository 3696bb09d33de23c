/**
 * Resources of a compute from its compute units (CU), following the instance table in DESIGN.md:
 * 0.25 CU → 25 connections, 1 → 100, 2 → 200, 4 → 400, 8 → 800, i.e. 100 connections per CU.
 * shared_buffers is 128 MB per CU (PostgreSQL's own default for a small machine, scaled), never
 * below 32 MB so a 0.25 CU compute still caches its catalog and hot pages. effective_cache_size
 * follows the usual "shared_buffers is a quarter of RAM" rule: 3 × shared_buffers of OS cache.
 */
export const MAX_CU = 8;
export const CONNECTIONS_PER_CU = 100;
/** Below this max_connections leaves no room beside superuser_reserved_connections (3). */
export const MIN_MAX_CONNECTIONS = 10;
export const SHARED_BUFFERS_MB_PER_CU = 128;
export const MIN_SHARED_BUFFERS_MB = 32;
export const EFFECTIVE_CACHE_FACTOR = 3;

export interface ComputeResources {
  readonly maxConnections: number;
  readonly sharedBuffersMb: number;
  readonly effectiveCacheSizeMb: number;
}

export function resourcesForCu(cu: number): ComputeResources {
  if (!(cu > 0 && cu <= MAX_CU)) throw new RangeError(`cu must be in (0, ${MAX_CU}], got ${cu}`);
  const sharedBuffersMb = Math.max(MIN_SHARED_BUFFERS_MB, Math.round(SHARED_BUFFERS_MB_PER_CU * cu));
  return {
    maxConnections: Math.max(MIN_MAX_CONNECTIONS, Math.round(CONNECTIONS_PER_CU * cu)),
    sharedBuffersMb,
    effectiveCacheSizeMb: sharedBuffersMb * EFFECTIVE_CACHE_FACTOR,
  };
}

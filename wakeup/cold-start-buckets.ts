/**
 * Buckets of `orochi_cold_start_duration_seconds`, shared by the scheduler and its callers.
 * A local PostgreSQL is ready about 40 ms after it is spawned and the goal is a cold start within
 * 1.5× of that floor, so the buckets are fine-grained from 25 ms to 250 ms where a regression would
 * show; 0.5–5 s catches starts that replay WAL after a crash or wait on a slow host; 10 and 30 s
 * mark the start timeout and the Wake deadline (beyond that a wake has failed, not been slow).
 */
export const COLD_START_BUCKETS_SECONDS = [0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * wakeup/: the scheduler contract (scheduler.proto), its client, and the scheduler itself.
 *
 * Callers (router/proxy) keep one client per scheduler address (its circuit breaker belongs to it):
 *
 *   const scheduler = createSchedulerClient({ address: "127.0.0.1:50051", token, hooks: createWakeMetrics(registry) });
 *
 * Wake only after the client has authenticated, and again (a bounded number of times) when a
 * connect to the returned or cached address fails: the scheduler then notices a dead compute and
 * restarts it.
 *
 *   const { host, port, coldStart } = await scheduler.wake(endpointId, { signal });
 *
 * Report open sessions on change (debounced) and periodically, as a full snapshot with a TTL a
 * few report periods long, so a crashed proxy's sessions expire:
 *
 *   await scheduler.reportActivity({ proxyId: `${hostname()}:${process.pid}`, endpoints, fullSnapshot: true, ttlSeconds: 30 });
 *
 * Every call has a deadline (DEFAULT_DEADLINES_MS, or `deadlineMs` per call), is retried with
 * exponential backoff and full jitter when its error is retryable (`SchedulerClientError.retryable`),
 * goes through the circuit breaker (fails fast with code CIRCUIT_OPEN while open), and concurrent
 * wake() calls for one endpoint in this process share one RPC. Failures are SchedulerClientError
 * with a stable `code`: ENDPOINT_NOT_FOUND, CAPACITY_EXHAUSTED, COMPUTE_START_FAILED / _TIMEOUT,
 * SCHEDULER_UNAVAILABLE / _TIMEOUT, CIRCUIT_OPEN, … (a proxy maps the compute and scheduler ones
 * to 57P03, capacity to 53300).
 *
 * Metrics: the client takes hooks (`onWake`); createWakeMetrics(registry) returns hooks that keep
 * `orochi_wake_requests_total{result}` and `orochi_cold_start_duration_seconds` (the wake as the
 * caller saw it, retries included) in the caller's registry. The scheduler keeps its own registry,
 * served on its health port (default 9433).
 */
export { createSchedulerClient } from "./client/scheduler-client.js";
export type { ActivityReport, CallOptions, SchedulerClient } from "./client/scheduler-client.js";
export { DEFAULT_DEADLINES_MS } from "./client/options.js";
export type { SchedulerClientOptions } from "./client/options.js";
export { SchedulerClientError, isRetryable, SCHEDULER_CLIENT_ERROR_CODES } from "./client/errors.js";
export type { SchedulerClientErrorCode } from "./client/errors.js";
export { DEFAULT_RETRY_POLICY } from "./client/retry.js";
export type { RetryPolicy } from "./client/retry.js";
export { DEFAULT_BREAKER_OPTIONS } from "./client/circuit-breaker.js";
export type { BreakerState, CircuitBreakerOptions } from "./client/circuit-breaker.js";
export type { SchedulerClientHooks, WakeEvent, WakeRequestResult } from "./client/hooks.js";
export { createWakeMetrics } from "./client/wake-metrics.js";

export type * from "./proto/messages.js";
export { COMPUTE_STATES } from "./proto/messages.js";
export { isValidEndpointId, ENDPOINT_ID_PATTERN, ENDPOINT_ID_MAX_LENGTH } from "./server/validation.js";

export { startScheduler } from "./server/scheduler.js";
export type { RunningScheduler } from "./server/scheduler.js";
export type { SchedulerConfig, SchedulerConfigInput } from "./server/config.js";
export { DEFAULT_SCHEDULER_LISTEN, DEFAULT_SCHEDULER_HTTP_PORT, SCHEDULER_TOKEN_ENV, defaultSchedulerStateDir } from "./server/config.js";
export type { ComputeBackend, ComputeAddress, ComputeHandle, ComputeSpec } from "./backend/compute-backend.js";
export { resourcesForCu } from "./backend/sizing.js";

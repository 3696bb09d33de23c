import type { ChannelOptions } from "@grpc/grpc-js";
import type { SchedulerMethod } from "../proto/messages.js";
import { DEFAULT_BREAKER_OPTIONS, type CircuitBreakerOptions } from "./circuit-breaker.js";
import type { UnaryTransport } from "./grpc-transport.js";
import { DEFAULT_RETRY_POLICY, type RetryEnvironment, type RetryPolicy } from "./retry.js";
import type { SchedulerClientHooks } from "./hooks.js";

/**
 * Deadline of each call, covering all of its attempts. Wake waits for a cold start (PostgreSQL
 * after a crash may replay WAL for a while); Provision copies a data directory and creates the
 * database; Describe and ReportActivity only touch memory.
 */
export const DEFAULT_DEADLINES_MS: Readonly<Record<SchedulerMethod, number>> = {
  Wake: 30_000,
  Provision: 60_000,
  Deprovision: 30_000,
  Suspend: 30_000,
  Describe: 5_000,
  ReportActivity: 5_000,
};

export interface SchedulerClientOptions {
  /** host:port of the scheduler (default port 50051 in DESIGN.md). */
  readonly address: string;
  /** Shared token, sent as `authorization: Bearer <token>`. */
  readonly token?: string;
  readonly tls?: { readonly ca?: string | Buffer; readonly serverName?: string };
  readonly deadlinesMs?: Partial<Record<SchedulerMethod, number>>;
  readonly retry?: Partial<RetryPolicy>;
  readonly breaker?: Partial<CircuitBreakerOptions>;
  readonly hooks?: SchedulerClientHooks;
  readonly channelOptions?: ChannelOptions;
  /** Replaces the gRPC transport (unit tests with a scripted fake). */
  readonly transport?: UnaryTransport;
  /** Replaces the clock, sleep and randomness (unit tests). */
  readonly environment?: Partial<RetryEnvironment>;
}

export interface ResolvedClientOptions {
  readonly deadlinesMs: Readonly<Record<SchedulerMethod, number>>;
  readonly retry: RetryPolicy;
  readonly breaker: CircuitBreakerOptions;
}

/** Merge with the defaults and check once; each bad option is named. */
export function resolveClientOptions(options: SchedulerClientOptions): ResolvedClientOptions {
  if (!options.address) throw new Error("scheduler client: address is required (host:port)");
  const deadlinesMs = { ...DEFAULT_DEADLINES_MS, ...options.deadlinesMs };
  for (const [method, ms] of Object.entries(deadlinesMs)) positive(`deadlinesMs.${method}`, ms);
  const retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  positive("retry.maxAttempts", retry.maxAttempts);
  positive("retry.initialBackoffMs", retry.initialBackoffMs);
  if (retry.maxBackoffMs < retry.initialBackoffMs) throw new Error("scheduler client: retry.maxBackoffMs must be at least retry.initialBackoffMs");
  if (!(retry.multiplier >= 1)) throw new Error("scheduler client: retry.multiplier must be at least 1");
  const breaker = { ...DEFAULT_BREAKER_OPTIONS, ...options.breaker };
  positive("breaker.failureThreshold", breaker.failureThreshold);
  positive("breaker.openMs", breaker.openMs);
  return Object.freeze({ deadlinesMs: Object.freeze(deadlinesMs), retry: Object.freeze(retry), breaker: Object.freeze(breaker) });
}

function positive(name: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) throw new Error(`scheduler client: ${name} must be a positive number, got ${value}`);
}

import { setTimeout as sleep } from "node:timers/promises";
import { SchedulerClientError } from "./errors.js";

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly multiplier: number;
}

/**
 * Four attempts over roughly 50 + 100 + 200 ms of (jittered) backoff: enough to ride out a
 * scheduler restart on the same machine or a transient start failure, short enough that a client
 * waiting on a wake hears about a real outage within a second.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 4, initialBackoffMs: 50, maxBackoffMs: 1_000, multiplier: 2 };

export interface RetryEnvironment {
  readonly now: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random: () => number;
}

export const REAL_ENVIRONMENT: RetryEnvironment = {
  now: Date.now,
  sleep: (ms, signal) => sleep(ms, undefined, { signal }),
  random: Math.random,
};

/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"):
 * a uniform delay in [0, min(max, initial × multiplier^retry)], which spreads the retries of many
 * callers that failed together instead of having them return in lock-step.
 */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * policy.multiplier ** retry);
  return random() * ceiling;
}

/**
 * Run `attempt` until it succeeds, fails with an error that is not retryable, runs out of
 * attempts, or the next backoff would end past `deadlineAt` (the last error is thrown then).
 */
export async function withRetry<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  policy: RetryPolicy,
  deadlineAt: number,
  env: RetryEnvironment,
  signal?: AbortSignal,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (!(err instanceof SchedulerClientError) || !err.retryable || n >= policy.maxAttempts) throw err;
      const delay = backoffDelayMs(n - 1, policy, env.random);
      if (env.now() + delay >= deadlineAt || signal?.aborted) throw err;
      await env.sleep(delay, signal).catch(() => {
        throw err; // aborted while waiting: report what failed, not the abort
      });
    }
  }
}

import { setTimeout as sleepFor } from "node:timers/promises";

/**
 * Exponential backoff with full jitter: a uniform delay in [0, min(max, base × 2^retry)], so
 * proxies that lost the control plane together do not come back in lock-step.
 */
export function backoffDelayMs(retry: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  return random() * Math.min(maxMs, baseMs * 2 ** retry);
}

/** Sleep that ends early (resolving false) when `signal` aborts. */
export async function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await sleepFor(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

import { RouterError } from "./errors.js";

/**
 * Wait for work someone else started (a shared wake) for at most `timeoutMs`, or until `signal`
 * aborts (the client went away); the work itself goes on for whoever else waits on it.
 */
export async function waitWithin<T>(work: Promise<T>, timeoutMs: number, signal: AbortSignal | undefined, onTimeout: () => Error): Promise<T> {
  const timeout = AbortSignal.timeout(Math.max(1, Math.ceil(timeoutMs)));
  const stop = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let onAbort = () => undefined as void;
  const abandoned = new Promise<never>((_, reject) => {
    onAbort = () => reject(timeout.aborted ? onTimeout() : new RouterError("compute_unavailable", "connection abandoned while the compute was being woken", "the client went away"));
  });
  if (stop.aborted) onAbort();
  else stop.addEventListener("abort", onAbort, { once: true });
  try {
    return await Promise.race([work, abandoned]);
  } finally {
    stop.removeEventListener("abort", onAbort);
  }
}

/**
 * Wait for work someone else started (a coalesced or shared wake) for at most `timeoutMs`, or
 * until `signal` aborts (the caller went away). Only this caller stops waiting: the work goes on
 * for everyone else waiting on it. Each caller names the errors it answers with.
 */
export function waitWithin<T>(
  work: Promise<T>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  errors: { timeout: () => Error; abandoned: () => Error },
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => finish(() => reject(errors.timeout())), Math.max(1, Math.ceil(timeoutMs)));
    const onAbort = () => finish(() => reject(errors.abandoned()));
    function finish(settle: () => void) {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      settle();
    }
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => finish(() => resolve(value)),
      (err: unknown) => finish(() => reject(err)),
    );
  });
}

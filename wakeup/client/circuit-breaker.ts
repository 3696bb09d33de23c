export interface CircuitBreakerOptions {
  /** Consecutive scheduler failures that open the circuit. */
  readonly failureThreshold: number;
  /** How long an open circuit fails calls fast before one probe call is let through. */
  readonly openMs: number;
}

/**
 * Five failures in a row is more than one retry sequence (four attempts) can produce on its own,
 * so a single unlucky call never opens the circuit; five seconds matches a scheduler restart.
 */
export const DEFAULT_BREAKER_OPTIONS: CircuitBreakerOptions = { failureThreshold: 5, openMs: 5_000 };

export type BreakerState = "closed" | "open" | "half-open";

/**
 * Closed: calls pass; consecutive scheduler failures are counted. Open: calls fail at once until
 * `openMs` has passed. Half-open: one probe call passes (others still fail fast); its success
 * closes the circuit, its failure opens it again. Only failures of the scheduler itself count
 * (see SchedulerClientError.schedulerFault); an answer such as NOT_FOUND proves it is up.
 */
export class CircuitBreaker {
  private current: BreakerState = "closed";
  private consecutiveFailures = 0;
  private openedAt = 0;
  private probeInFlight = false;

  constructor(
    private readonly options: CircuitBreakerOptions,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): BreakerState {
    if (this.current === "open" && this.now() - this.openedAt >= this.options.openMs) this.current = "half-open";
    return this.current;
  }

  /** Milliseconds until an open circuit lets a probe through (0 unless open). */
  retryAfterMs(): number {
    return this.state === "open" ? Math.max(0, this.openedAt + this.options.openMs - this.now()) : 0;
  }

  /** May a call go out now? Every true must be followed by exactly one record…() call. */
  tryAcquire(): boolean {
    switch (this.state) {
      case "closed":
        return true;
      case "open":
        return false;
      case "half-open":
        if (this.probeInFlight) return false;
        this.probeInFlight = true;
        return true;
    }
  }

  /** The scheduler answered (successfully or with an error about the request). */
  recordAnswer(): void {
    this.current = "closed";
    this.consecutiveFailures = 0;
    this.probeInFlight = false;
  }

  recordFailure(): void {
    this.probeInFlight = false;
    this.consecutiveFailures += 1;
    if (this.current === "half-open" || this.consecutiveFailures >= this.options.failureThreshold) {
      this.current = "open";
      this.openedAt = this.now();
    }
  }

  /** The caller abandoned the call: it says nothing about the scheduler. */
  recordAbandoned(): void {
    this.probeInFlight = false;
  }
}

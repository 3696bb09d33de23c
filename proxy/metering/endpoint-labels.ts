/** The label value shared by every endpoint without a slot of its own. */
export const OTHER_ENDPOINTS_LABEL = "other";

/**
 * A slot of an endpoint idle for this long may be handed to a newcomer before the idle release.
 * Longer than any sane scrape interval, so the series' last increments have been scraped.
 */
export const MIN_IDLE_BEFORE_TAKEOVER_MS = 2 * 60_000;

export interface EndpointLabelOptions {
  /** Slots for endpoints' own label values. */
  maxLabeled: number;
  /** A slot whose endpoint had no open session on this proxy for this long is released. */
  idleReleaseMs: number;
  /** Endpoints that always have their own value, outside the slots (operator's choice). */
  allowList: readonly string[];
  /** Called with a released value, so the series can be removed from the registry. */
  onRelease(endpointId: string): void;
}

/**
 * The cardinality rule for per-endpoint label values on a proxy (documented in
 * proxy/metering/README.md): an allow-list, plus at most `maxLabeled` slots given to endpoints
 * as they become active on this proxy; everything else is "other". A slot is released after its
 * endpoint has had no session here for `idleReleaseMs`, or taken over by an active newcomer
 * once its endpoint has been idle for MIN_IDLE_BEFORE_TAKEOVER_MS. So a metric labelled this
 * way has at most maxLabeled + allow-list + 1 series per proxy, whatever the number of tenants,
 * and `sum without (endpoint)` is always the proxy's total.
 */
export class EndpointLabels {
  private readonly allow: ReadonlySet<string>;
  /** Slot holders → since when idle (null: sessions open). */
  private readonly slots = new Map<string, number | null>();

  constructor(private readonly opts: EndpointLabelOptions) {
    this.allow = new Set(opts.allowList);
  }

  /** The label value for an endpoint, giving it a slot if one is free (or can be taken over). */
  labelFor(endpointId: string, now: number): string {
    if (this.allow.has(endpointId) || this.slots.has(endpointId)) return endpointId;
    if (this.slots.size >= this.opts.maxLabeled && !this.takeOverIdleSlot(now)) return OTHER_ENDPOINTS_LABEL;
    this.slots.set(endpointId, null);
    return endpointId;
  }

  /** Keep idle times: `open` is the endpoint's open sessions on this proxy. */
  sessionsChanged(endpointId: string, open: number, now: number): void {
    if (!this.slots.has(endpointId)) return;
    const idleSince = this.slots.get(endpointId);
    if (open > 0) this.slots.set(endpointId, null);
    else if (idleSince === null) this.slots.set(endpointId, now);
  }

  /** Release slots idle for idleReleaseMs. */
  sweep(now: number): void {
    for (const [endpointId, idleSince] of this.slots) {
      if (idleSince !== null && now - idleSince >= this.opts.idleReleaseMs) this.release(endpointId);
    }
  }

  get labeled(): number {
    return this.slots.size;
  }

  private takeOverIdleSlot(now: number): boolean {
    let oldest: [string, number] | null = null;
    for (const [endpointId, idleSince] of this.slots) {
      if (idleSince !== null && now - idleSince >= MIN_IDLE_BEFORE_TAKEOVER_MS && (!oldest || idleSince < oldest[1])) oldest = [endpointId, idleSince];
    }
    if (!oldest) return false;
    this.release(oldest[0]);
    return true;
  }

  private release(endpointId: string): void {
    this.slots.delete(endpointId);
    this.opts.onRelease(endpointId);
  }
}

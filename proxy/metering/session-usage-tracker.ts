import type { LiveSession, SessionRegistry } from "../session/session-registry.js";
import type { UsageAccumulator } from "./usage-accumulator.js";

/** What the meter has taken from one session so far (kept beside it, not on it). */
interface SessionMark {
  /** Seconds up to this instant are marked. */
  accountedUntil: number;
  /** Spliced bytes already added to the accumulator. */
  bytesIn: number;
  bytesOut: number;
}

export interface TrackerHooks {
  /** CU-seconds this proxy counted for the first time (for the metric). */
  onCuSeconds(endpointId: string, cuSeconds: number): void;
  /** An endpoint's session count changed to `open` (label bookkeeping). */
  onSessions?(endpointId: string, open: number): void;
}

/** Spliced bytes of a session: the compute socket's counters minus the login exchange. */
function splicedBytes(s: LiveSession): { in: number; out: number } {
  return { in: Math.max(0, s.compute.bytesWritten - s.loginBytesWritten), out: Math.max(0, s.compute.bytesRead - s.loginBytesRead) };
}

/**
 * Turns the session registry into usage: when a session ends, and on every tick for open ones,
 * the seconds it was open are marked for its (endpoint, CU); bytes are read from the compute
 * socket's counters when sampled and at the end. Nothing runs per message: the cost is one
 * pass over open sessions per tick, and one mask update per (endpoint, CU) with open sessions.
 */
export class SessionUsageTracker {
  private readonly marks = new WeakMap<LiveSession, SessionMark>();
  private detached = false;

  constructor(
    private readonly sessions: SessionRegistry,
    private readonly usage: UsageAccumulator,
    private readonly hooks: TrackerHooks,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Start observing. Sessions already open are adopted from their start for seconds (masks
   * merge idempotently) and from now for bytes (bytes before belong to whoever metered them).
   */
  attach(): void {
    for (const s of this.sessions.all()) {
      const b = splicedBytes(s);
      this.marks.set(s, { accountedUntil: s.startedAt, bytesIn: b.in, bytesOut: b.out });
    }
    this.sessions.observe({
      added: (s) => {
        if (this.detached) return;
        this.marks.set(s, { accountedUntil: s.startedAt, bytesIn: 0, bytesOut: 0 });
        this.hooks.onSessions?.(s.endpointId, this.sessions.countFor(s.endpointId));
      },
      removed: (s) => {
        if (this.detached) return;
        this.end(s);
        this.hooks.onSessions?.(s.endpointId, this.sessions.countFor(s.endpointId));
      },
    });
  }

  /** Account every open session up to now, then stop listening (the registry keeps no way to unsubscribe). */
  detach(): void {
    this.tick();
    this.sampleBytes();
    this.detached = true;
  }

  /**
   * Mark seconds of open sessions up to now. Sessions of one (endpoint, CU) are all open now,
   * so the union of their unaccounted intervals is one interval from the earliest start.
   */
  tick(): void {
    if (this.detached) return;
    const now = this.now();
    const groups = new Map<string, { endpointId: string; cu: number; from: number }>();
    for (const s of this.sessions.all()) {
      const mark = this.markOf(s);
      const from = Math.min(mark.accountedUntil, now);
      mark.accountedUntil = now;
      const key = `${s.endpointId}\u0000${s.cu}`;
      const g = groups.get(key);
      if (!g) groups.set(key, { endpointId: s.endpointId, cu: s.cu, from });
      else g.from = Math.min(g.from, from);
    }
    for (const g of groups.values()) this.mark(g.endpointId, g.cu, g.from, now);
    this.usage.pruneCounted(now);
  }

  /** Move the bytes open sessions spliced since the last sample into the accumulator. */
  sampleBytes(): void {
    if (this.detached) return;
    const now = this.now();
    for (const s of this.sessions.all()) this.takeBytes(s, this.markOf(s), now);
  }

  private end(s: LiveSession): void {
    const mark = this.markOf(s);
    const now = this.now();
    this.mark(s.endpointId, s.cu, Math.min(mark.accountedUntil, now), now);
    this.takeBytes(s, mark, now);
    this.marks.delete(s);
  }

  private takeBytes(s: LiveSession, mark: SessionMark, now: number): void {
    const b = splicedBytes(s);
    this.usage.addBytes(s.endpointId, s.cu, now, b.in - mark.bytesIn, b.out - mark.bytesOut);
    mark.bytesIn = Math.max(mark.bytesIn, b.in);
    mark.bytesOut = Math.max(mark.bytesOut, b.out);
  }

  private mark(endpointId: string, cu: number, from: number, to: number): void {
    const cuSeconds = this.usage.markActive(endpointId, cu, from, to);
    if (cuSeconds > 0) this.hooks.onCuSeconds(endpointId, cuSeconds);
  }

  /** Every session gets its mark in attach() or added(); a missing one is treated as new. */
  private markOf(s: LiveSession): SessionMark {
    let mark = this.marks.get(s);
    if (!mark) {
      mark = { accountedUntil: s.startedAt, bytesIn: 0, bytesOut: 0 };
      this.marks.set(s, mark);
    }
    return mark;
  }
}

import type { Socket } from "node:net";

/** A spliced session, as the rest of the proxy sees it (drain, activity reports, metering). */
export interface LiveSession {
  readonly id: string;
  readonly endpointId: string;
  readonly role: string;
  readonly pooled: boolean;
  readonly startedAt: number;
  readonly cu: number;
  readonly compute: Socket;
  /** Bytes already counted into metrics/usage: counters move forward from here. */
  countedIn: number;
  countedOut: number;
  readonly loginBytesRead: number;
  readonly loginBytesWritten: number;
  close(): void;
}

type Listener = (endpointId: string, openSessions: number) => void;

/** Hears each session as it is spliced and as it ends (usage accounting, activity reports). */
export interface SessionObserver {
  added?(s: LiveSession): void;
  removed?(s: LiveSession): void;
}

/** Live sessions by id and counts per endpoint; listeners hear every count change. */
export class SessionRegistry {
  private readonly sessions = new Map<string, LiveSession>();
  private readonly perEndpoint = new Map<string, number>();
  private readonly listeners: Listener[] = [];
  private readonly observers: SessionObserver[] = [];
  private readonly idleWaiters: Array<() => void> = [];

  get size(): number {
    return this.sessions.size;
  }

  add(s: LiveSession): void {
    this.sessions.set(s.id, s);
    this.bump(s.endpointId, 1);
    for (const o of this.observers) o.added?.(s);
  }

  remove(s: LiveSession): void {
    if (!this.sessions.delete(s.id)) return;
    this.bump(s.endpointId, -1);
    for (const o of this.observers) o.removed?.(s);
    if (this.sessions.size === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  onChange(listener: Listener): void {
    this.listeners.push(listener);
  }

  observe(observer: SessionObserver): void {
    this.observers.push(observer);
  }

  countFor(endpointId: string): number {
    return this.perEndpoint.get(endpointId) ?? 0;
  }

  /** Open sessions per endpoint (for activity reports). */
  counts(): ReadonlyMap<string, number> {
    return this.perEndpoint;
  }

  all(): IterableIterator<LiveSession> {
    return this.sessions.values();
  }

  /** Resolves when no session is left, or after timeoutMs (returns false then). */
  waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.sessions.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private bump(endpointId: string, by: number): void {
    const n = (this.perEndpoint.get(endpointId) ?? 0) + by;
    if (n <= 0) this.perEndpoint.delete(endpointId);
    else this.perEndpoint.set(endpointId, n);
    for (const l of this.listeners) l(endpointId, Math.max(n, 0));
  }
}
